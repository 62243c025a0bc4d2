import SalesPulseModel

/// One counter's values per group as a function of event time (whole seconds), for evaluating
/// rules at any second of the retained history: O(log n) per value, and the seconds at which a
/// group's value can change (a bucket entering or leaving the window).
struct CounterSeries {
    let counter: CounterDefinition
    let windowSeconds: Int64
    private let state: CounterState
    /// Whether every group is prepared at its first lookup (see ``init(state:counter:preparingEagerly:)``).
    let preparesEagerly: Bool
    /// Groups prepared for many lookups (sorted seconds), built on first need during one evaluation.
    private final class Prepared {
        var groups: [String: PreparedGroup] = [:]
        /// The group looked up last, and its data: a rule reads one group at many seconds in a
        /// row (a run's change points), and hashing its name for each read was a fifth of
        /// the evaluation.
        var lastGroup: String?
        var last: PreparedGroup?

        func lookup(_ group: String) -> PreparedGroup? {
            if let lastGroup, lastGroup == group { return last }
            guard let found = groups[group] else { return nil }
            lastGroup = group
            last = found
            return found
        }
    }
    /// One group's data sorted by second: per-second amounts as prefix sums (counts and sums),
    /// or the distinct count as a step function (the seconds at which it changes, and the count
    /// from each on).
    fileprivate enum PreparedGroup {
        case sums(seconds: [Int64], prefix: [Double])
        case steps(seconds: [Int64], counts: [Double])
        case empty
    }
    private let prepared = Prepared()

    /// A series over `state`. `preparingEagerly`: prepare each group's data at its first lookup,
    /// worth it when the evaluation reads many seconds (several evaluation points); otherwise a
    /// group is prepared only when its change points are asked for, and single values are read
    /// from the group's data as it is (a binary search of a count or sum group's ordered
    /// seconds, a scan of a distinct group's values).
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
        if let done = prepared.lookup(group) { return done }
        let made: PreparedGroup
        if let buckets = state.buckets[group] {
            // In second order already (``SecondAmounts``).
            let (seconds, amounts) = buckets.merged
            var prefix: [Double] = [0]
            prefix.reserveCapacity(amounts.count + 1)
            for amount in amounts { prefix.append(prefix.last! + amount) }
            made = .sums(seconds: seconds, prefix: prefix)
        } else if let values = state.occurrences[group] {
            made = Self.steps(values.values, windowSeconds: windowSeconds)
        } else {
            made = .empty
        }
        prepared.groups[group] = made
        return made
    }

    /// The value of `group` for the window ending at `second` (seconds in (second − window, second]):
    /// a binary search once the group is prepared or for a count or sum, else a scan of the
    /// group's values.
    func value(_ group: String, at second: Int64) -> Double {
        let first = second - windowSeconds + 1
        let known = preparesEagerly ? prepare(group) : prepared.lookup(group)
        if let known { return value(of: known, at: second) }
        if let buckets = state.buckets[group] {
            return buckets.total(from: first, through: second)
        }
        if let values = state.occurrences[group] {
            var count = 0
            for seconds in values.values where seconds.contains(where: { $0 >= first && $0 <= second }) { count += 1 }
            return Double(count)
        }
        return 0
    }

    /// One group's data prepared for reads by binary search, held to read it without looking
    /// the group up by name each time (``group(_:)``, ``value(_:at:)-(Group,_)``).
    struct Group {
        fileprivate let data: PreparedGroup
    }

    /// The data of `group`, prepared (sorted) on first need.
    func group(_ name: String) -> Group { Group(data: prepare(name)) }

    /// The value of a prepared group for the window ending at `second`.
    func value(_ group: Group, at second: Int64) -> Double { value(of: group.data, at: second) }

    private func value(of prepared: PreparedGroup, at second: Int64) -> Double {
        switch prepared {
        case .sums(let seconds, let prefix):
            return prefix[SortedSeconds.upperBound(seconds, second)] - prefix[SortedSeconds.lowerBound(seconds, second - windowSeconds + 1)]
        case .steps(let seconds, let counts):
            let index = SortedSeconds.upperBound(seconds, second)
            return index == 0 ? 0 : counts[index - 1]
        case .empty:
            return 0
        }
    }

    /// The distinct count of a group's values (each value's sorted seconds) as a step function:
    /// a value counts at `t` when it occurred in (t − window, t], so each occurrence at `s`
    /// counts from `s` to `s + window − 1`; a value's overlapping spans are joined, and the
    /// count changes where the joined spans begin and end. Only real changes are kept. Read by
    /// one binary search, where a count over the values searched each value's seconds.
    private static func steps(_ values: some Collection<[Int64]>, windowSeconds: Int64) -> PreparedGroup {
        var edges: [(second: Int64, change: Int)] = []
        for seconds in values {
            guard var start = seconds.first else { continue }
            var end = start + windowSeconds - 1
            for second in seconds.dropFirst() {
                if second > end + 1 {
                    edges.append((start, 1))
                    edges.append((end + 1, -1))
                    start = second
                }
                end = second + windowSeconds - 1
            }
            edges.append((start, 1))
            edges.append((end + 1, -1))
        }
        edges.sort { $0.second < $1.second }
        var seconds: [Int64] = [], counts: [Double] = []
        var count = 0, index = 0
        while index < edges.count {
            let second = edges[index].second
            var change = 0
            while index < edges.count && edges[index].second == second {
                change += edges[index].change
                index += 1
            }
            guard change != 0 else { continue }
            count += change
            seconds.append(second)
            counts.append(Double(count))
        }
        return seconds.isEmpty ? .empty : .steps(seconds: seconds, counts: counts)
    }

    /// Seconds in `range` at which the value of `group` may change (each at most once for a
    /// distinct count; a count or sum may list a second twice).
    func changePoints(_ group: String, in range: ClosedRange<Int64>) -> [Int64] { changePoints(of: prepare(group), in: range) }

    /// Seconds in `range` at which the value of a prepared group may change (as
    /// ``changePoints(_:in:)-(String,_)``).
    func changePoints(_ group: Group, in range: ClosedRange<Int64>) -> [Int64] { changePoints(of: group.data, in: range) }

    private func changePoints(of prepared: PreparedGroup, in range: ClosedRange<Int64>) -> [Int64] {
        var points: [Int64] = []
        /// The seconds of sorted `seconds` in `low...high`, each shifted by `shift`.
        func add(_ seconds: [Int64], _ low: Int64, _ high: Int64, shift: Int64) {
            var index = SortedSeconds.lowerBound(seconds, low)
            while index < seconds.count && seconds[index] <= high {
                points.append(seconds[index] + shift)
                index += 1
            }
        }
        switch prepared {
        case .sums(let seconds, _):
            // A bucket changes the value when it enters the window and when it leaves it.
            add(seconds, range.lowerBound, range.upperBound, shift: 0)
            add(seconds, range.lowerBound - windowSeconds, range.upperBound - windowSeconds, shift: windowSeconds)
        case .steps(let seconds, _):
            add(seconds, range.lowerBound, range.upperBound, shift: 0)
        case .empty:
            break
        }
        return points
    }
}
