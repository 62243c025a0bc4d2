import SalesPulseModel

/// The state of one counter in one partition. Exact and independent of arrival order: distinct
/// measures keep, per group and value, the distinct seconds in which the value occurred; counts
/// and sums keep per-second buckets (sums in steps of 2⁻¹⁶, see ``quantized(_:)``). Partition
/// states merge by union / addition.
public struct CounterState: Sendable, Hashable, Codable {
    /// Distinct measures: group → value → sorted distinct epoch seconds.
    public var occurrences: [String: [String: [Int64]]] = [:]
    /// Count and sum measures: group → amount per epoch second (``SecondAmounts``).
    public var buckets: [String: SecondAmounts] = [:]

    public init() {}

    /// Folds one event (pure). `derived` supplies attributes computed by the flow projection
    /// (e.g. `timeToSignDays` of a won deal), looked up before the event's own.
    public mutating func apply(_ event: SalesEvent, counter: CounterDefinition, derived: [String: String] = [:]) {
        withUnsafePointer(to: counter) { apply(event, counter: $0, reading: ResolvedAttributes(counter), derived: derived) }
    }

    /// ``apply(_:counter:derived:)`` with the attributes the counter reads resolved beforehand.
    @inline(__always)
    mutating func apply(_ event: SalesEvent, counter: UnsafePointer<CounterDefinition>, reading attributes: ResolvedAttributes, derived: [String: String]) {
        apply(type: event.type, time: event.time, counter: counter) { attributes.value(named: $0, in: event, derived: derived) }
    }

    /// Folds one occurrence given by its type, time and attribute lookup (pure): what a
    /// repartitioned counter input carries instead of the whole event.
    public mutating func apply(type: SalesEventType, time: EventTime, counter: CounterDefinition, attribute lookup: (String) -> String?) {
        withUnsafePointer(to: counter) { apply(type: type, time: time, counter: $0, attribute: lookup) }
    }

    /// ``apply(type:time:counter:attribute:)`` with the definition read where it lies (in the
    /// configuration's array): passed by value from there, it was copied (its id, filter and
    /// names retained, then released) for every occurrence, because the fold's calls out could
    /// in principle change the array.
    @inline(__always)
    mutating func apply(type: SalesEventType, time: EventTime, counter: UnsafePointer<CounterDefinition>, attribute lookup: (String) -> String?) {
        guard type == counter.pointee.type else { return }
        if !counter.pointee.filter.isEmpty {
            for (name, expected) in counter.pointee.filter where lookup(name) != expected { return }
        }
        let group: String
        if let groupBy = counter.pointee.groupBy {
            guard let value = lookup(groupBy) else { return }
            group = value
        } else {
            group = "all"
        }
        let exact = Self.second(of: time)
        let resolution = counter.pointee.resolutionSeconds
        let second = resolution == 1 ? exact : exact - ((exact % resolution) + resolution) % resolution
        switch counter.pointee.measure {
        case .count:
            buckets[group, default: SecondAmounts()].add(1, at: second)
        case .sum(let attribute):
            guard let text = lookup(attribute), let amount = Double(text) else { return }
            buckets[group, default: SecondAmounts()].add(Self.quantized(amount), at: second)
        case .distinct(let attribute):
            guard let value = lookup(attribute) else { return }
            // Mutated in place through the subscripts: no copy of the seconds array.
            Self.insert(second, into: &occurrences[group, default: [:]][value, default: []])
        }
    }

    /// An amount to be summed, in steps of 2⁻¹⁶ (about 0.000015 of a unit). Sums of such values
    /// are exact up to ±2³⁷ (about 1.4 × 10¹¹), so a sum does not depend on the order in which
    /// its amounts were added: per second as inputs from other partitions arrive, over a window
    /// (buckets are read in dictionary order) or across merged partitions. Floating-point sums
    /// of arbitrary amounts do depend on it, in their last bits, and then a replay or a restart
    /// could show a different figure.
    static func quantized(_ amount: Double) -> Double { (amount * 65_536).rounded() / 65_536 }

    /// Drops everything before `second` (kept: window + allowed lateness behind the watermark).
    public mutating func evict(before second: Int64) {
        for group in Array(occurrences.keys) {
            // Only groups with a value seen before `second` change, and those in place: copying
            // every value's seconds at every tick (each tick evicts) cost more than the eviction.
            guard occurrences[group]!.values.contains(where: { ($0.first ?? .min) < second }) else { continue }
            var values = occurrences.removeValue(forKey: group)!
            var emptied: [String] = []
            for index in values.indices {
                // A value's seconds are sorted: those evicted are a prefix.
                let evicted = values.values[index].prefix { $0 < second }.count
                if evicted == values.values[index].count {
                    emptied.append(values.keys[index])
                } else if evicted > 0 {
                    values.values[index].removeFirst(evicted)
                }
            }
            for value in emptied { values[value] = nil }
            if !values.isEmpty { occurrences[group] = values }
        }
        for group in Array(buckets.keys) {
            // In place: the group's seconds are ordered, so those evicted are a prefix.
            buckets[group]!.removeAll(before: second)
            if buckets[group]!.isEmpty { buckets[group] = nil }
        }
    }

    /// Merges partition states (exact: union of seconds, sum of buckets).
    public static func merge(_ states: [CounterState]) -> CounterState {
        if states.count == 1 { return states[0] }
        var merged = CounterState()
        for state in states {
            for (group, values) in state.occurrences {
                for (value, seconds) in values {
                    if let existing = merged.occurrences[group]?[value] {
                        merged.occurrences[group]![value] = Array(Set(existing + seconds)).sorted()
                    } else {
                        merged.occurrences[group, default: [:]][value] = seconds
                    }
                }
            }
            for (group, seconds) in state.buckets {
                merged.buckets[group, default: SecondAmounts()].add(seconds)
            }
        }
        return merged
    }

    /// Values per group for the window ending at `now` (seconds in (now − window, now]).
    public func values(at now: EventTime, counter: CounterDefinition) -> [String: Double] {
        let last = Self.second(of: now)
        let first = last - max(1, counter.windowMilliseconds / 1000) + 1
        var result: [String: Double] = [:]
        switch counter.measure {
        case .distinct:
            for (group, values) in occurrences {
                let count = values.values.reduce(0) { total, seconds in
                    total + (seconds.contains { $0 >= first && $0 <= last } ? 1 : 0)
                }
                if count > 0 { result[group] = Double(count) }
            }
        case .count, .sum:
            for (group, seconds) in buckets {
                let total = seconds.total(from: first, through: last)
                if total != 0 { result[group] = total }
            }
        }
        return result
    }

    /// Inserts `second` into sorted distinct `seconds` unless present. In order it is an
    /// append; out of order (inputs from other partitions, late events) a binary search, since
    /// a value seen every second holds up to 3,600 of them.
    static func insert(_ second: Int64, into seconds: inout [Int64]) {
        guard let last = seconds.last, last >= second else {
            seconds.append(second)
            return
        }
        if last == second { return }
        let index = SortedSeconds.lowerBound(seconds, second) // < count: the last is > second
        if seconds[index] != second { seconds.insert(second, at: index) }
    }

    /// The whole epoch second `time` falls in (rounded down, also before 1970).
    public static func second(of time: EventTime) -> Int64 {
        time.epochMilliseconds >= 0 ? time.epochMilliseconds / 1000 : (time.epochMilliseconds - 999) / 1000
    }
}
