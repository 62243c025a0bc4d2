import SalesPulseModel

/// One counter's values per group as a function of event time (whole seconds), for evaluating
/// rules at any second of the retained history: O(log n) per value, and the seconds at which a
/// group's value can change (a bucket entering or leaving the window).
struct CounterSeries {
    let counter: CounterDefinition
    let windowSeconds: Int64
    /// Count and sum measures: per group, sorted seconds and prefix sums of their amounts.
    private var sums: [String: (seconds: [Int64], prefix: [Double])] = [:]
    /// Distinct measures: per group, per distinct value, its sorted seconds.
    private var distinct: [String: [[Int64]]] = [:]

    init(state: CounterState, counter: CounterDefinition) {
        self.counter = counter
        self.windowSeconds = max(1, counter.windowMilliseconds / 1000)
        for (group, buckets) in state.buckets {
            let seconds = buckets.keys.sorted()
            var prefix: [Double] = [0]
            prefix.reserveCapacity(seconds.count + 1)
            for second in seconds { prefix.append(prefix.last! + buckets[second]!) }
            sums[group] = (seconds, prefix)
        }
        for (group, values) in state.occurrences {
            distinct[group] = values.keys.sorted().map { values[$0]! }
        }
    }

    /// Groups with any retained data.
    var groups: Set<String> { Set(sums.keys).union(distinct.keys) }

    /// The value of `group` for the window ending at `second` (seconds in (second − window, second]).
    func value(_ group: String, at second: Int64) -> Double {
        let first = second - windowSeconds + 1
        if let series = sums[group] {
            return series.prefix[Self.upperBound(series.seconds, second)] - series.prefix[Self.lowerBound(series.seconds, first)]
        }
        if let values = distinct[group] {
            var count = 0
            for seconds in values {
                let index = Self.lowerBound(seconds, first)
                if index < seconds.count && seconds[index] <= second { count += 1 }
            }
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
        if let series = sums[group] { add(series.seconds) }
        for seconds in distinct[group] ?? [] { add(seconds) }
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
