import Testing
@testable import SalesPulseProjections

/// Stamps in a ``ShardedMap``: every insertion and every change notes the map's stamp, so the
/// entries changed since a stamp are found; copies keep their own, and equality ignores them.
@Suite struct ShardedMapStampTests {
    @Test func entriesChangedSinceAStampAreFoundInKeyOrder() {
        var map = ShardedMap<Int>()
        map.stamp = 1
        for index in 0..<100 { map["k\(index)"] = index }
        map.stamp = 5
        _ = map.modify("k7") { $0 += 1 }
        _ = map.modify("k3", inserting: { 0 }) { $0 += 1 }
        map["k50"] = -1
        _ = map.insertIfAbsent("new", 1)
        _ = map.insertIfAbsent("k60", 1) // present: not changed
        _ = map.modify("absent") { $0 += 1 } // absent: nothing
        #expect(map.countChanged(since: 5) == 4)
        #expect(map.countChanged(since: 1) == 101)
        #expect(map.countChanged(since: 6) == 0)
        var changed: [Int] = []
        map.forEachValueAddressSortedByKey(changedSince: 5) { changed.append($0.pointee) }
        #expect(changed == [4, -1, 8, 1], "k3, k50, k7, new: by key")
        var all = 0
        map.forEachValueAddressSortedByKey { _ in all += 1 }
        #expect(all == 101)
    }

    @Test func aCopyKeepsItsStampsAndEqualityIgnoresThem() {
        var map = ShardedMap<Int>()
        for index in 0..<10 { map["k\(index)"] = index }
        let snapshot = map
        map.stamp = 9
        map.modifyEach { $0 += 0 }
        #expect(map.countChanged(since: 9) == 10)
        #expect(snapshot.countChanged(since: 9) == 0, "the snapshot's entries are its own")
        #expect(map == snapshot, "the same keys and values")
    }
}
