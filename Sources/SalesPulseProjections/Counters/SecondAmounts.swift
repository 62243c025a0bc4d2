/// The amounts of one group of a count or sum counter, per epoch second, in second order: what
/// ``CounterState/buckets`` holds for each group.
///
/// Two arrays side by side instead of a dictionary of seconds: events come mostly in time order,
/// so counting one adds to the last second or appends one, with no hashing (folding a counted
/// event hashed its second and, as the dictionary grew, rehashed all of it: with the lookups
/// and copies that went with it, the counters took a fifth longer on the soak's events;
/// BENCHMARKS.md, session 38). Eviction drops a prefix,
/// and checkpoints and rule series read the seconds in order without sorting them.
///
/// An amount out of order (a late event, or a repartitioned input behind another partition's)
/// goes to its place, found by binary search. Put there in the one array, it moved every later
/// second: a repartitioned group of weeks' retention holds some 20,000 seconds, inputs from
/// partitions at different event times land thousands from the end, and the moves took half of
/// folding repartitioned counter inputs (BENCHMARKS.md, session 56). So a second out of order
/// more than ``directInsertLimit`` from the end waits in a short run of its own, merged into
/// the array once it holds ``outOfOrderLimit`` seconds.
///
/// Equal, hashed and coded as the amounts by second (as a dictionary of them was), however
/// they are split between the two runs.
public struct SecondAmounts: Sendable {
    /// Seconds in order, ascending and distinct.
    private var inOrder: [Int64] = []
    /// The amount of each second of ``inOrder``, laid out with it.
    private var inOrderAmounts: [Double] = []
    /// Seconds that came out of order and are not merged into ``inOrder`` yet: ascending,
    /// distinct, none in ``inOrder`` and all before its last (empty when ``inOrder`` is).
    private var outOfOrder: [Int64] = []
    /// The amount of each second of ``outOfOrder``, laid out with it.
    private var outOfOrderAmounts: [Double] = []

    /// A second out of order with at most this many seconds after its place goes there at once.
    static let directInsertLimit = 64
    /// Seconds out of order wait for a merge until there are this many.
    static let outOfOrderLimit = 128

    /// No amounts.
    public init() {}

    /// The amounts of `seconds`, which must be ascending and distinct (as a checkpoint holds them).
    init(ascending seconds: [Int64], amounts: [Double]) {
        precondition(seconds.count == amounts.count, "one amount per second")
        inOrder = seconds
        inOrderAmounts = amounts
    }

    /// The seconds with an amount, ascending and distinct.
    public var seconds: [Int64] { merged.seconds }

    /// The amount of each second of ``seconds``, laid out with it.
    public var amounts: [Double] { merged.amounts }

    /// The seconds and their amounts in one run (the stored ones when none waits for a merge).
    public var merged: (seconds: [Int64], amounts: [Double]) {
        guard !outOfOrder.isEmpty else { return (inOrder, inOrderAmounts) }
        var copy = self
        copy.mergeOutOfOrder()
        return (copy.inOrder, copy.inOrderAmounts)
    }

    /// How many seconds have an amount.
    public var count: Int { inOrder.count + outOfOrder.count }

    /// True when no second has an amount.
    public var isEmpty: Bool { inOrder.isEmpty }

    /// The amount of `second`, nil when it has none.
    public subscript(second: Int64) -> Double? {
        let index = SortedSeconds.lowerBound(inOrder, second)
        if index < inOrder.count, inOrder[index] == second { return inOrderAmounts[index] }
        let waiting = SortedSeconds.lowerBound(outOfOrder, second)
        return waiting < outOfOrder.count && outOfOrder[waiting] == second ? outOfOrderAmounts[waiting] : nil
    }

    /// Adds `amount` to `second`'s amount (a second without one starts at 0).
    @inline(__always)
    public mutating func add(_ amount: Double, at second: Int64) {
        if let last = inOrder.last, last >= second {
            if last == second {
                inOrderAmounts[inOrderAmounts.count - 1] += amount
                return
            }
            addOutOfOrder(amount, at: second)
            return
        }
        // After the last in order, so after every second waiting too.
        inOrder.append(second)
        inOrderAmounts.append(amount)
    }

    /// ``add(_:at:)`` for a second before the last in order.
    private mutating func addOutOfOrder(_ amount: Double, at second: Int64) {
        let index = SortedSeconds.lowerBound(inOrder, second)
        if inOrder[index] == second {
            inOrderAmounts[index] += amount
            return
        }
        let waiting = SortedSeconds.lowerBound(outOfOrder, second)
        if waiting < outOfOrder.count, outOfOrder[waiting] == second {
            outOfOrderAmounts[waiting] += amount
            return
        }
        if inOrder.count - index <= Self.directInsertLimit {
            inOrder.insert(second, at: index)
            inOrderAmounts.insert(amount, at: index)
            return
        }
        outOfOrder.insert(second, at: waiting)
        outOfOrderAmounts.insert(amount, at: waiting)
        if outOfOrder.count >= Self.outOfOrderLimit { mergeOutOfOrder() }
    }

    /// Merges the seconds waiting into those in order, in place from the back (each second in
    /// order after the first waiting moves once).
    private mutating func mergeOutOfOrder() {
        let waiting = outOfOrder.count
        guard waiting > 0 else { return }
        let kept = inOrder.count
        inOrder.append(contentsOf: repeatElement(0, count: waiting))
        inOrderAmounts.append(contentsOf: repeatElement(0, count: waiting))
        inOrder.withUnsafeMutableBufferPointer { seconds in
            inOrderAmounts.withUnsafeMutableBufferPointer { amounts in
                outOfOrder.withUnsafeBufferPointer { late in
                    outOfOrderAmounts.withUnsafeBufferPointer { lateAmounts in
                        var from = kept - 1, next = waiting - 1, to = kept + waiting - 1
                        while next >= 0 {
                            if from >= 0, seconds[from] > late[next] {
                                seconds[to] = seconds[from]
                                amounts[to] = amounts[from]
                                from -= 1
                            } else {
                                seconds[to] = late[next]
                                amounts[to] = lateAmounts[next]
                                next -= 1
                            }
                            to -= 1
                        }
                    }
                }
            }
        }
        outOfOrder.removeAll(keepingCapacity: true)
        outOfOrderAmounts.removeAll(keepingCapacity: true)
    }

    /// Drops the amounts of the seconds before `second`.
    public mutating func removeAll(before second: Int64) {
        let kept = SortedSeconds.lowerBound(inOrder, second)
        if kept > 0 {
            inOrder.removeFirst(kept)
            inOrderAmounts.removeFirst(kept)
        }
        let keptWaiting = SortedSeconds.lowerBound(outOfOrder, second)
        if keptWaiting > 0 {
            outOfOrder.removeFirst(keptWaiting)
            outOfOrderAmounts.removeFirst(keptWaiting)
        }
        // Every second waiting is before the last in order: none is left when none in order is.
        assert(!inOrder.isEmpty || outOfOrder.isEmpty)
    }

    /// The sum of the amounts of the seconds in `first...last` (0 when there are none).
    public func total(from first: Int64, through last: Int64) -> Double {
        guard first <= last else { return 0 }
        return Self.total(inOrder, inOrderAmounts, from: first, through: last) + Self.total(outOfOrder, outOfOrderAmounts, from: first, through: last)
    }

    private static func total(_ seconds: [Int64], _ amounts: [Double], from first: Int64, through last: Int64) -> Double {
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
        let (seconds, amounts) = merged
        let (otherSeconds, otherAmounts) = other.merged
        var mergedSeconds: [Int64] = [], mergedAmounts: [Double] = []
        mergedSeconds.reserveCapacity(seconds.count + otherSeconds.count)
        mergedAmounts.reserveCapacity(seconds.count + otherSeconds.count)
        var mine = 0, theirs = 0
        while mine < seconds.count || theirs < otherSeconds.count {
            if theirs == otherSeconds.count || (mine < seconds.count && seconds[mine] < otherSeconds[theirs]) {
                mergedSeconds.append(seconds[mine])
                mergedAmounts.append(amounts[mine])
                mine += 1
            } else if mine == seconds.count || otherSeconds[theirs] < seconds[mine] {
                mergedSeconds.append(otherSeconds[theirs])
                mergedAmounts.append(otherAmounts[theirs])
                theirs += 1
            } else {
                mergedSeconds.append(seconds[mine])
                mergedAmounts.append(amounts[mine] + otherAmounts[theirs])
                mine += 1
                theirs += 1
            }
        }
        self = SecondAmounts(ascending: mergedSeconds, amounts: mergedAmounts)
    }
}

extension SecondAmounts: Hashable {
    public static func == (a: SecondAmounts, b: SecondAmounts) -> Bool {
        a.count == b.count && a.merged == b.merged
    }

    public func hash(into hasher: inout Hasher) {
        let (seconds, amounts) = merged
        hasher.combine(seconds)
        hasher.combine(amounts)
    }
}

extension SecondAmounts: Sequence {
    /// Each second with its amount, in second order.
    public struct Iterator: IteratorProtocol {
        private let seconds: [Int64]
        private let amounts: [Double]
        private var index = 0

        fileprivate init(_ group: SecondAmounts) {
            (seconds, amounts) = group.merged
        }

        public mutating func next() -> (key: Int64, value: Double)? {
            guard index < seconds.count else { return nil }
            defer { index += 1 }
            return (seconds[index], amounts[index])
        }
    }

    public func makeIterator() -> Iterator { Iterator(self) }

    public var underestimatedCount: Int { count }
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
        let (seconds, amounts) = merged
        try Dictionary(uniqueKeysWithValues: zip(seconds, amounts)).encode(to: encoder)
    }
}
