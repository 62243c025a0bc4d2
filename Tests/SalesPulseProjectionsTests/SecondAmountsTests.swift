import Foundation
import Testing
@testable import SalesPulseProjections

/// ``SecondAmounts``: a count or sum counter group's amounts per second, kept in second order,
/// against a dictionary of the same amounts, in many small cases.
@Suite struct SecondAmountsTests {
    /// The amounts added, in this order, as (second, amount).
    static func amounts(_ additions: [(Int64, Double)]) -> SecondAmounts {
        var amounts = SecondAmounts()
        for (second, amount) in additions { amounts.add(amount, at: second) }
        return amounts
    }

    /// What a dictionary of seconds gives for the same additions.
    static func dictionary(_ additions: [(Int64, Double)]) -> [Int64: Double] {
        var amounts: [Int64: Double] = [:]
        for (second, amount) in additions { amounts[second, default: 0] += amount }
        return amounts
    }

    @Test func startsEmpty() {
        let amounts = SecondAmounts()
        #expect(amounts.isEmpty)
        #expect(amounts.count == 0)
        #expect(amounts[0] == nil)
        #expect(amounts.total(from: .min, through: .max) == 0)
    }

    @Test func addsInOrderToTheLastSecondOrAfterIt() {
        let amounts = Self.amounts([(10, 1), (10, 1), (11, 2.5), (15, 1)])
        #expect(amounts.seconds == [10, 11, 15])
        #expect(amounts.amounts == [2, 2.5, 1])
        #expect(amounts[10] == 2)
        #expect(amounts[12] == nil)
    }

    @Test(arguments: [
        [(Int64(20), 1.0), (10, 1), (15, 1)],            // before the first, then between
        [(10, 1), (30, 1), (20, 2), (20, 3), (10, 4)],   // into the middle twice, onto the first
        [(5, 1), (4, 1), (3, 1), (2, 1), (1, 1)],        // all descending
        [(-3, 1), (-1000, 2), (7, 1), (-3, 0.5)],        // before 1970
    ])
    func keepsSecondsOrderedWhateverTheArrivalOrder(additions: [(Int64, Double)]) {
        let amounts = Self.amounts(additions)
        let expected = Self.dictionary(additions)
        #expect(amounts.seconds == expected.keys.sorted())
        #expect(amounts.amounts == expected.keys.sorted().map { expected[$0]! })
        for (second, amount) in expected { #expect(amounts[second] == amount) }
        #expect(Array(amounts.map(\.key)) == expected.keys.sorted())
    }

    @Test func equalWhenTheSameAmountsArrivedInAnotherOrder() {
        let forward = Self.amounts([(1, 1), (2, 2), (3, 3)])
        let backward = Self.amounts([(3, 3), (2, 2), (1, 1)])
        #expect(forward == backward)
        #expect(forward.hashValue == backward.hashValue)
        #expect(forward != Self.amounts([(1, 1), (2, 2), (3, 4)]))
    }

    @Test(arguments: [
        (Int64.min, Int64.max, 6.0),
        (1, 3, 6),
        (2, 2, 2),
        (2, 3, 5),
        (4, 9, 0),       // after the last
        (-5, 0, 0),      // before the first
        (3, 1, 0),       // empty range
        (0, 1, 1),
    ])
    func totalsTheSecondsInARange(first: Int64, last: Int64, total: Double) {
        #expect(Self.amounts([(1, 1), (2, 2), (3, 3)]).total(from: first, through: last) == total)
    }

    @Test(arguments: [(0, [1, 2, 3]), (2, [2, 3]), (3, [3]), (4, []), (.max, [])] as [(Int64, [Int64])])
    func removesTheSecondsBeforeOne(before second: Int64, kept: [Int64]) {
        var amounts = Self.amounts([(1, 1), (2, 2), (3, 3)])
        amounts.removeAll(before: second)
        #expect(amounts.seconds == kept)
        #expect(amounts.amounts == kept.map(Double.init))
    }

    @Test func addsAnotherSecondBySecond() {
        var mine = Self.amounts([(1, 1), (3, 3), (5, 5)])
        mine.add(Self.amounts([(0, 10), (3, 30), (6, 60)]))
        #expect(mine.seconds == [0, 1, 3, 5, 6])
        #expect(mine.amounts == [10, 1, 33, 5, 60])
        var empty = SecondAmounts()
        empty.add(mine)
        #expect(empty == mine)
        mine.add(SecondAmounts())
        #expect(mine.amounts == [10, 1, 33, 5, 60])
    }

    @Test func codedAsTheDictionaryOfAmountsBySecond() throws {
        let additions: [(Int64, Double)] = [(30, 1), (10, 2.5), (20, 1)]
        let bytes = try JSONEncoder().encode(Self.amounts(additions))
        #expect(try JSONDecoder().decode([Int64: Double].self, from: bytes) == Self.dictionary(additions))
        #expect(try JSONDecoder().decode(SecondAmounts.self, from: bytes) == Self.amounts(additions))
        let written = try JSONEncoder().encode(Self.dictionary(additions))
        #expect(try JSONDecoder().decode(SecondAmounts.self, from: written) == Self.amounts(additions))
    }

    /// Many seconds out of order far from the end — more than wait for a merge, some onto
    /// seconds waiting, some onto seconds in order — with evictions between: every read equals
    /// the dictionary's, and the group equals (and hashes and is written as) the same amounts
    /// added in order.
    @Test(arguments: [1, 7, 42])
    func manySecondsFarOutOfOrderReadAsADictionary(seed: UInt64) throws {
        var random = PartitioningPropertyTests.Generator(state: seed)
        var amounts = SecondAmounts()
        var expected: [Int64: Double] = [:]
        var evictedBefore = Int64.min
        for step in 0..<6_000 {
            // Mostly in order near the front, often thousands of seconds back.
            let front = Int64(step * 3)
            let second = random.next(3) == 0 ? front : max(evictedBefore, front - Int64(random.next(4_000)))
            let amount = Double(random.next(5) + 1)
            amounts.add(amount, at: second)
            expected[second, default: 0] += amount
            if step % 1_500 == 1_499 {
                evictedBefore = front - 3_000
                amounts.removeAll(before: evictedBefore)
                expected = expected.filter { $0.key >= evictedBefore }
            }
            if step % 250 == 0 {
                let probe = front - Int64(random.next(4_000))
                #expect(amounts[probe] == expected[probe])
                let first = probe - Int64(random.next(500))
                #expect(amounts.total(from: first, through: probe) == expected.filter { $0.key >= first && $0.key <= probe }.values.reduce(0, +))
            }
        }
        let ordered = expected.keys.sorted()
        #expect(amounts.count == ordered.count)
        #expect(amounts.seconds == ordered)
        #expect(amounts.amounts == ordered.map { expected[$0]! })
        #expect(Array(amounts.map(\.key)) == ordered)
        let inOrder = Self.amounts(ordered.map { ($0, expected[$0]!) })
        #expect(amounts == inOrder)
        #expect(amounts.hashValue == inOrder.hashValue)
        var writtenOutOfOrder = StateWriter(), writtenInOrder = StateWriter()
        var state = CounterState(), stateInOrder = CounterState()
        state.buckets["g"] = amounts
        stateInOrder.buckets["g"] = inOrder
        state.write(to: &writtenOutOfOrder)
        stateInOrder.write(to: &writtenInOrder)
        #expect(writtenOutOfOrder.bytes == writtenInOrder.bytes)
        var added = Self.amounts([(ordered[0], 1), (ordered.last! + 1, 2)])
        added.add(amounts)
        #expect(added[ordered[0]] == expected[ordered[0]]! + 1)
        #expect(added[ordered.last! + 1] == 2)
        #expect(added.count == ordered.count + 1)
    }
}
