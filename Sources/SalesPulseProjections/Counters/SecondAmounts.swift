/// The amounts of one group of a count or sum counter, per epoch second, in second order: what
/// ``CounterState/buckets`` holds for each group.
///
/// Two arrays side by side instead of a dictionary of seconds: events come mostly in time order,
/// so counting one adds to the last second or appends one, with no hashing (folding a counted
/// event hashed its second and, as the dictionary grew, rehashed all of it: with the lookups
/// and copies that went with it, the counters took a fifth longer on the soak's events;
/// BENCHMARKS.md, session 38). Eviction drops a prefix,
/// and checkpoints and rule series read the seconds in order without sorting them. An amount
/// out of order (a late event, or a repartitioned input behind another partition's) is
/// inserted at its place, found by binary search.
///
/// Equal, hashed and coded as the amounts by second (as a dictionary of them was).
public struct SecondAmounts: Sendable, Hashable {
    /// The seconds with an amount, ascending and distinct.
    public private(set) var seconds: [Int64] = []
    /// The amount of each second, laid out with ``seconds``.
    public private(set) var amounts: [Double] = []

    /// No amounts.
    public init() {}

    /// The amounts of `seconds`, which must be ascending and distinct (as a checkpoint holds them).
    init(ascending seconds: [Int64], amounts: [Double]) {
        precondition(seconds.count == amounts.count, "one amount per second")
        self.seconds = seconds
        self.amounts = amounts
    }

    /// How many seconds have an amount.
    public var count: Int { seconds.count }

    /// True when no second has an amount.
    public var isEmpty: Bool { seconds.isEmpty }

    /// The amount of `second`, nil when it has none.
    public subscript(second: Int64) -> Double? {
        let index = SortedSeconds.lowerBound(seconds, second)
        return index < seconds.count && seconds[index] == second ? amounts[index] : nil
    }

    /// Adds `amount` to `second`'s amount (a second without one starts at 0).
    @inline(__always)
    public mutating func add(_ amount: Double, at second: Int64) {
        if let last = seconds.last, last >= second {
            if last == second {
                amounts[amounts.count - 1] += amount
                return
            }
            let index = SortedSeconds.lowerBound(seconds, second)
            if seconds[index] == second {
                amounts[index] += amount
            } else {
                seconds.insert(second, at: index)
                amounts.insert(amount, at: index)
            }
            return
        }
        seconds.append(second)
        amounts.append(amount)
    }

    /// Drops the amounts of the seconds before `second`.
    public mutating func removeAll(before second: Int64) {
        let kept = SortedSeconds.lowerBound(seconds, second)
        guard kept > 0 else { return }
        seconds.removeFirst(kept)
        amounts.removeFirst(kept)
    }

    /// The sum of the amounts of the seconds in `first...last` (0 when there are none).
    public func total(from first: Int64, through last: Int64) -> Double {
        guard first <= last else { return 0 }
        var total = 0.0
        var index = SortedSeconds.lowerBound(seconds, first)
        while index < seconds.count, seconds[index] <= last {
            total += amounts[index]
            index += 1
        }
        return total
    }

    /// Adds every amount of `other` to this one's, second by second.
    public mutating func add(_ other: SecondAmounts) {
        if isEmpty {
            self = other
            return
        }
        var mergedSeconds: [Int64] = [], mergedAmounts: [Double] = []
        mergedSeconds.reserveCapacity(seconds.count + other.seconds.count)
        mergedAmounts.reserveCapacity(seconds.count + other.seconds.count)
        var mine = 0, theirs = 0
        while mine < seconds.count || theirs < other.seconds.count {
            if theirs == other.seconds.count || (mine < seconds.count && seconds[mine] < other.seconds[theirs]) {
                mergedSeconds.append(seconds[mine])
                mergedAmounts.append(amounts[mine])
                mine += 1
            } else if mine == seconds.count || other.seconds[theirs] < seconds[mine] {
                mergedSeconds.append(other.seconds[theirs])
                mergedAmounts.append(other.amounts[theirs])
                theirs += 1
            } else {
                mergedSeconds.append(seconds[mine])
                mergedAmounts.append(amounts[mine] + other.amounts[theirs])
                mine += 1
                theirs += 1
            }
        }
        seconds = mergedSeconds
        amounts = mergedAmounts
    }
}

extension SecondAmounts: Sequence {
    /// Each second with its amount, in second order.
    public struct Iterator: IteratorProtocol {
        private let seconds: [Int64]
        private let amounts: [Double]
        private var index = 0

        fileprivate init(_ amounts: SecondAmounts) {
            self.seconds = amounts.seconds
            self.amounts = amounts.amounts
        }

        public mutating func next() -> (key: Int64, value: Double)? {
            guard index < seconds.count else { return nil }
            defer { index += 1 }
            return (seconds[index], amounts[index])
        }
    }

    public func makeIterator() -> Iterator { Iterator(self) }

    public var underestimatedCount: Int { seconds.count }
}

extension SecondAmounts: Codable {
    /// Decoded from the amounts by second.
    public init(from decoder: any Decoder) throws {
        let bySecond = try [Int64: Double](from: decoder)
        let seconds = bySecond.keys.sorted()
        self.init(ascending: seconds, amounts: seconds.map { bySecond[$0]! })
    }

    /// Encoded as the amounts by second.
    public func encode(to encoder: any Encoder) throws {
        try Dictionary(uniqueKeysWithValues: zip(seconds, amounts)).encode(to: encoder)
    }
}
