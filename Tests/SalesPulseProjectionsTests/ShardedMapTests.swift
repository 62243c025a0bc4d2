import Testing
@testable import SalesPulseProjections

/// The customer map: a dictionary under random operations, growth and removals, keys told apart
/// by their bytes, equality and hashing independent of insertion order.
@Suite struct ShardedMapTests {
    @Test func behavesLikeADictionaryUnderRandomOperations() {
        var generator = SystemRandomNumberGenerator()
        var model: [String: Int] = [:]
        var map = ShardedMap<Int>()
        for step in 0..<20_000 {
            let key = "cust-\(Int.random(in: 0..<3_000, using: &generator))"
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: model[key] = nil; map[key] = nil
            case 1: model[key, default: 0] += step; map[key, default: 0] += step
            case 2: #expect(map.insertIfAbsent(key, step) == (model[key] == nil)); if model[key] == nil { model[key] = step }
            default: #expect(map.modify(key) { $0 += 1; return $0 } == model[key].map { $0 + 1 }); if model[key] != nil { model[key]! += 1 }
            }
        }
        #expect(map.count == model.count)
        #expect(Dictionary(uniqueKeysWithValues: map.map { ($0.key, $0.value) }) == model)
        #expect(map.values.sorted() == model.values.sorted())
        #expect(map.valuesSortedByKey() == model.keys.sorted().map { model[$0]! }, "in key order, each with its own key's value")
        #expect((0..<ShardedMap<Int>.shardCount).reduce(0) { $0 + map.values(inShard: $1).count } == model.count)
        for shard in 0..<ShardedMap<Int>.shardCount {
            var lent: [Int] = []
            map.forEachValue(inShard: shard) { lent.append($0) }
            #expect(lent == Array(map.values(inShard: shard)), "every value of the shard, once, in the shard's order")
        }
        #expect(ShardedMap(model.keys.sorted().map { ($0, model[$0]!) }.shuffled(), key: \.0).count == model.count)
    }

    /// Many doublings of every shard's table, then most keys removed (each removal moves a
    /// shard's last entry and shifts its probe run back): every key left is still found with
    /// its own value, and none removed is.
    @Test func findsEveryKeyAfterGrowthAndRemovals() {
        var map = ShardedMap<Int>()
        let keys = (0..<40_000).map { "cust-\($0)" }
        for (index, key) in keys.enumerated() { map[key] = index }
        #expect(map.count == keys.count)
        for (index, key) in keys.enumerated() where index % 3 != 0 { map[key] = nil }
        #expect(map.count == (keys.count + 2) / 3)
        for (index, key) in keys.enumerated() {
            #expect(map[key] == (index % 3 == 0 ? index : nil), "key \(key)")
        }
        // Removing a key twice, or one never present, changes nothing.
        map["cust-1"] = nil
        map["nobody"] = nil
        #expect(map.count == (keys.count + 2) / 3)
        // Re-inserted keys are found again, next to the ones that stayed.
        for (index, key) in keys.enumerated() where index % 3 == 1 { map[key] = -index }
        #expect(map["cust-1"] == -1 && map["cust-3"] == 3 && map["cust-2"] == nil)
        #expect(Set(map.keys).count == map.count)
    }

    /// Keys that differ in one character, long keys (more than one 8-byte word) and non-ASCII
    /// keys are told apart.
    @Test func tellsApartSimilarLongAndNonASCIIKeys() {
        var map = ShardedMap<String>()
        let keys = ["", "a", "b", "ab", "ba", "cust-000123", "cust-000124", "cust-000123 ",
                    String(repeating: "x", count: 64), String(repeating: "x", count: 65),
                    "客户-001", "客户-002", "Zürich", "Zu\u{308}rich"]
        for key in keys { map[key] = key }
        // Keys are told apart by their UTF-8 bytes, as Kafka tells record keys apart: "Zürich"
        // precomposed and decomposed are two keys (`==` on `String` would make them one).
        #expect(map.count == keys.count)
        for key in keys { #expect(map[key].map { Array($0.utf8) } == Array(key.utf8)) }
    }

    @Test func equalContentsAreEqualWhateverTheInsertionOrder() {
        let keys = (0..<1_000).map { "id-\($0)" }
        var a = ShardedMap<Int>(), b = ShardedMap<Int>()
        for key in keys { a[key] = key.count }
        for key in keys.reversed() { b[key] = key.count }
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        b["id-7"] = 0
        #expect(a != b)
    }
}
