import SalesPulseModel

// The positional checkpoint layout of the counters (see ``StateWriter``): counters, groups,
// values and seconds sorted, so the bytes depend only on the state. Seconds are written as the
// first one and then the (positive) steps between them. Changing this layout changes the
// checkpoint format version.

extension CounterProjection {
    /// Writes every counter's state, by counter id.
    ///
    /// Positional: through the generic `Encoder` the nested dictionaries of a partition's
    /// counters took half the time of its checkpoint once customers were written this way
    /// (BENCHMARKS.md, session 19).
    public func write(to writer: inout StateWriter) {
        writer.write(states) { $1.write(to: &$0) }
    }

    /// Reads what ``write(to:)`` wrote.
    public init(reading reader: inout StateReader) throws(StateReadError) {
        self.init()
        states = try reader.readDictionary { reader throws(StateReadError) in try CounterState(reading: &reader) }
    }
}

extension CounterState {
    /// Writes the distinct occurrences (group, value, seconds) and the buckets (group, second,
    /// amount), each level sorted.
    public func write(to writer: inout StateWriter) {
        writer.write(occurrences) { writer, values in
            writer.write(values) { Self.write(seconds: $1, to: &$0) }
        }
        writer.write(buckets) { writer, amounts in
            let (seconds, amounts) = amounts.merged
            Self.write(seconds: seconds, to: &writer)
            for amount in amounts { writer.write(amount) }
        }
    }

    /// Reads what ``write(to:)`` wrote; throws on seconds out of order (damaged bytes).
    public init(reading reader: inout StateReader) throws(StateReadError) {
        self.init()
        occurrences = try reader.readDictionary { reader throws(StateReadError) in
            try reader.readDictionary { reader throws(StateReadError) in try Self.readSeconds(from: &reader) }
        }
        buckets = try reader.readDictionary { reader throws(StateReadError) in
            let seconds = try Self.readSeconds(from: &reader)
            var amounts: [Double] = []
            amounts.reserveCapacity(seconds.count)
            for _ in seconds { amounts.append(try reader.readDouble()) }
            return SecondAmounts(ascending: seconds, amounts: amounts)
        }
    }

    /// Ascending distinct seconds: the count, the first, then the steps between them.
    private static func write(seconds: [Int64], to writer: inout StateWriter) {
        writer.write(count: seconds.count)
        guard let first = seconds.first else { return }
        writer.write(first)
        for index in seconds.indices.dropFirst() { writer.write(UInt64(seconds[index] - seconds[index - 1])) }
    }

    private static func readSeconds(from reader: inout StateReader) throws(StateReadError) -> [Int64] {
        let count = try reader.readCount()
        guard count > 0 else { return [] }
        var seconds = [try reader.readInt64()]
        seconds.reserveCapacity(count)
        for _ in 1..<count {
            let position = reader.position
            let step = try reader.read()
            let (next, overflow) = seconds[seconds.count - 1].addingReportingOverflow(Int64(truncatingIfNeeded: step))
            guard step > 0, step <= UInt64(Int64.max), !overflow else { throw StateReadError(position: position, "seconds not in ascending order") }
            seconds.append(next)
        }
        return seconds
    }
}
