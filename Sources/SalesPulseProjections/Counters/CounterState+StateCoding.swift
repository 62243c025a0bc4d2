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
        writer.write(count: states.count)
        for id in states.keys.sorted() {
            writer.write(id)
            states[id]!.write(to: &writer)
        }
    }

    /// Reads what ``write(to:)`` wrote.
    public init(reading reader: inout StateReader) throws(StateReadError) {
        self.init()
        for _ in 0..<(try reader.readCount()) {
            let id = try reader.readString()
            states[id] = try CounterState(reading: &reader)
        }
    }
}

extension CounterState {
    /// Writes the distinct occurrences (group, value, seconds) and the buckets (group, second,
    /// amount), each level sorted.
    public func write(to writer: inout StateWriter) {
        writer.write(count: occurrences.count)
        for group in occurrences.keys.sorted() {
            let values = occurrences[group]!
            writer.write(group)
            writer.write(count: values.count)
            for value in values.keys.sorted() {
                writer.write(value)
                Self.write(seconds: values[value]!, to: &writer)
            }
        }
        writer.write(count: buckets.count)
        for group in buckets.keys.sorted() {
            let amounts = buckets[group]!
            writer.write(group)
            let seconds = amounts.keys.sorted()
            Self.write(seconds: seconds, to: &writer)
            for second in seconds { writer.write(amounts[second]!) }
        }
    }

    /// Reads what ``write(to:)`` wrote; throws on seconds out of order (damaged bytes).
    public init(reading reader: inout StateReader) throws(StateReadError) {
        self.init()
        for _ in 0..<(try reader.readCount()) {
            let group = try reader.readString()
            var values: [String: [Int64]] = [:]
            for _ in 0..<(try reader.readCount()) {
                let value = try reader.readString()
                values[value] = try Self.readSeconds(from: &reader)
            }
            occurrences[group] = values
        }
        for _ in 0..<(try reader.readCount()) {
            let group = try reader.readString()
            let seconds = try Self.readSeconds(from: &reader)
            var amounts: [Int64: Double] = [:]
            amounts.reserveCapacity(seconds.count)
            for second in seconds { amounts[second] = try reader.readDouble() }
            buckets[group] = amounts
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
