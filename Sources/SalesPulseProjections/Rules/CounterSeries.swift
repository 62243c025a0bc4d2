import SalesPulseModel

/// One counter's values per group as a function of event time (whole seconds), for evaluating
/// rules at any second of the retained history: O(log n) per value, and the seconds at which a
/// group's value can change (a bucket entering or leaving the window).
struct CounterSeries {
    let counter: CounterDefinition
    let windowSeconds: Int64
    private let state: CounterState
    /// Whether every group is prepared at its first lookup (see ``init(state:counter:preparingEagerly:)``).
    private let preparesEagerly: Bool
    /// Groups prepared for many lookups (sorted seconds), built on first need during one evaluation.
    private final class Prepared {
        var groups: [String: PreparedGroup] = [:]
    }
    /// One group's data sorted by second: per-second amounts as prefix sums (counts and sums),
    /// or each distinct value's sorted seconds.
    private enum PreparedGroup {
        case sums(seconds: [Int64], prefix: [Double])
        case distinct([[Int64]])
        case empty
    }
    private let prepared = Prepared()

    /// A series over `state`. `preparingEagerly`: sort each group's data at its first lookup,
    /// worth it when the evaluation reads many seconds (several evaluation points); otherwise a
    /// group is sorted only when its change points are asked for, and single values are read by
    /// a scan of the group's buckets.
    init(state: CounterState, counter: CounterDefinition, preparingEagerly: Bool = false) {
        self.counter = counter
        self.windowSeconds = max(1, counter.windowMilliseconds / 1000)
        self.state = state
        self.preparesEagerly = preparingEagerly
    }

    /// Groups with any retained data.
    var groups: Set<String> { Set(state.buckets.keys).union(state.occurrences.keys) }

    /// A group's data sorted once, for the many lookups of a run search.
    @discardableResult
    private func prepare(_ group: String) -> PreparedGroup {
        if let done = prepared.groups[group] { return done }
        let made: PreparedGroup
        if let buckets = state.buckets[group] {
            let seconds = buckets.keys.sorted()
            var prefix: [Double] = [0]
            prefix.reserveCapacity(seconds.count + 1)
            for second in seconds { prefix.append(prefix.last! + buckets[second]!) }
            made = .sums(seconds: seconds, prefix: prefix)
        } else if let values = state.occurrences[group] {
            made = .distinct(values.keys.sorted().map { values[$0]! })
        } else {
            made = .empty
        }
        prepared.groups[group] = made
        return made
    }

    /// The value of `group` for the window ending at `second` (seconds in (second − window, second]):
    /// a binary search once the group is prepared, else a scan of the group's buckets.
    func value(_ group: String, at second: Int64) -> Double {
        let first = second - windowSeconds + 1
        let known = preparesEagerly ? prepare(group) : prepared.groups[group]
        if let known {
            switch known {
            case .sums(let seconds, let prefix):
                return prefix[Self.upperBound(seconds, second)] - prefix[Self.lowerBound(seconds, first)]
            case .distinct(let values):
                var count = 0
                for seconds in values {
                    let index = Self.lowerBound(seconds, first)
                    if index < seconds.count && seconds[index] <= second { count += 1 }
                }
                return Double(count)
            case .empty:
                return 0
            }
        }
        if let buckets = state.buckets[group] {
            var total = 0.0
            for (bucket, amount) in buckets where bucket >= first && bucket <= second { total += amount }
            return total
        }
        if let values = state.occurrences[group] {
            var count = 0
            for seconds in values.values where seconds.contains(where: { $0 >= first && $0 <= second }) { count += 1 }
            return Double(count)
        }
        return 0
    }

    /// Seconds in `range` at which the value of `group` may change.
    func changePoints(_ group: String, in range: ClosedRange<Int64>) -> [Int64] {
        var points: [Int64] = []
        func add(_ seconds: [Int64]) {
            for second in seconds {
                if range.contains(second) { points.append(second) }
                if range.contains(second + windowSeconds) { points.append(second + windowSeconds) }
            }
        }
        switch prepare(group) {
        case .sums(let seconds, _): add(seconds)
        case .distinct(let values): for seconds in values { add(seconds) }
        case .empty: break
        }
        return points
    }

    /// First index whose second is ≥ `second`.
    static func lowerBound(_ seconds: [Int64], _ second: Int64) -> Int {
        var low = 0, high = seconds.count
        while low < high {
            let middle = (low + high) / 2
            if seconds[middle] < second { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// First index whose second is > `second`.
    static func upperBound(_ seconds: [Int64], _ second: Int64) -> Int {
        var low = 0, high = seconds.count
        while low < high {
            let middle = (low + high) / 2
            if seconds[middle] <= second { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
