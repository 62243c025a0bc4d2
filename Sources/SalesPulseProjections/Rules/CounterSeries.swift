import SalesPulseModel

/// One counter's values per group as a function of event time (whole seconds), for evaluating
/// rules at any second of the retained history: O(log n) per value, and the seconds at which a
/// group's value can change (a bucket entering or leaving the window).
struct CounterSeries {
    let counter: CounterDefinition
    let windowSeconds: Int64
    private let state: CounterState
    /// Groups prepared for many lookups (sorted seconds), built on first need during one evaluation.
    private final class Prepared {
        var sums: [String: (seconds: [Int64], prefix: [Double])] = [:]
        var distinct: [String: [[Int64]]] = [:]
    }
    private let prepared = Prepared()

    init(state: CounterState, counter: CounterDefinition) {
        self.counter = counter
        self.windowSeconds = max(1, counter.windowMilliseconds / 1000)
        self.state = state
    }

    /// Groups with any retained data.
    var groups: Set<String> { Set(state.buckets.keys).union(state.occurrences.keys) }

    /// Sorts a group's data once, for the many lookups of a run search.
    private func prepare(_ group: String) {
        if prepared.sums[group] == nil, let buckets = state.buckets[group] {
            let seconds = buckets.keys.sorted()
            var prefix: [Double] = [0]
            prefix.reserveCapacity(seconds.count + 1)
            for second in seconds { prefix.append(prefix.last! + buckets[second]!) }
            prepared.sums[group] = (seconds, prefix)
        }
        if prepared.distinct[group] == nil, let values = state.occurrences[group] {
            prepared.distinct[group] = values.keys.sorted().map { values[$0]! }
        }
    }

    /// The value of `group` for the window ending at `second` (seconds in (second − window, second]):
    /// a scan of the group's buckets, or a binary search once the group is prepared.
    func value(_ group: String, at second: Int64) -> Double {
        let first = second - windowSeconds + 1
        if let series = prepared.sums[group] {
            return series.prefix[Self.upperBound(series.seconds, second)] - series.prefix[Self.lowerBound(series.seconds, first)]
        }
        if let values = prepared.distinct[group] {
            var count = 0
            for seconds in values {
                let index = Self.lowerBound(seconds, first)
                if index < seconds.count && seconds[index] <= second { count += 1 }
            }
            return Double(count)
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
        prepare(group)
        var points: [Int64] = []
        func add(_ seconds: [Int64]) {
            for second in seconds {
                if range.contains(second) { points.append(second) }
                if range.contains(second + windowSeconds) { points.append(second + windowSeconds) }
            }
        }
        if let series = prepared.sums[group] { add(series.seconds) }
        for seconds in prepared.distinct[group] ?? [] { add(seconds) }
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
