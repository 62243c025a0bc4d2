import Foundation
import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// ``SmallMap``, the sorted map of a customer's flows, fields, open alerts and a visit's actions:
/// it must behave like `[String: Value]` for every operation the folds use, in key order, for
/// small maps (compared key by key) and large ones (searched by halves).
@Suite struct SmallMapTests {
    /// `0..<count` as keys in a scrambled order (a multiplier coprime to `count`), with keys
    /// whose order as strings differs from their order as numbers ("k10" < "k2").
    static func keys(_ count: Int, multiplier: Int) -> [String] {
        precondition(gcd(multiplier, count) == 1)
        return (0..<count).map { "k\(($0 * multiplier + 5) % count)" }
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    @Test(arguments: [0, 1, 2, 7, 8, 9, 16, 100])
    func matchesADictionaryThroughInsertsUpdatesAndRemovals(count: Int) {
        var map = SmallMap<Int>()
        var dictionary: [String: Int] = [:]
        // Keys wander over a range a little wider than `count`; operations cycle with another
        // period, so every key meets every operation.
        for step in 0..<(count * 6 + 10) {
            let key = "k\((step * 31 + 7) % (count + 3))"
            switch (step * 13 / 3) % 6 {
            case 0: map[key] = nil; dictionary[key] = nil
            case 1: #expect(map.removeValue(forKey: key) == dictionary.removeValue(forKey: key))
            case 2: map[key, default: 0] += step; dictionary[key, default: 0] += step
            case 3:
                // Stored unless the value there is odd.
                map.store(step, forKey: key) { $0 % 2 == 1 }
                if dictionary[key].map({ $0 % 2 == 1 }) != true { dictionary[key] = step }
            case 4:
                let index = map.index(forKey: key) { -step }
                if dictionary[key] == nil { dictionary[key] = -step }
                #expect(map[index].key == key)
            default: map[key] = step; dictionary[key] = step
            }
            #expect(map[key] == dictionary[key])
            #expect(map.withValue(forKey: key) { $0 * 2 } == dictionary[key].map { $0 * 2 })
        }
        #expect(map.count == dictionary.count)
        #expect(Array(map.keys) == dictionary.keys.sorted())
        #expect(map.mapValues { $0 } == dictionary)
        for key in dictionary.keys { #expect(map.index(forKey: key).map { map[$0].value } == dictionary[key]) }
        #expect(map["absent"] == nil)
        #expect(map.index(forKey: "absent") == nil)
    }

    @Test(arguments: [1, 8, 9, 50])
    func aValueChangedWhereItLiesKeepsItsPlaceAndIsNotCopied(count: Int) {
        var map = SmallMap<[Int]>()
        for key in Self.keys(count, multiplier: 1) {
            var value = [1, 2, 3]
            value.reserveCapacity(16)
            map[key] = value
        }
        let keysBefore = Array(map.keys)
        let position = map.index(forKey: "k\(count / 2)")!
        let stored = map[position].value.withUnsafeBufferPointer { $0.baseAddress }
        #expect(map[valueAt: position] == [1, 2, 3])
        // Changed through the accessor, the array is the map's only reference: appending within
        // its capacity writes to the same buffer (a copy would have a buffer of its own).
        map[valueAt: position].append(4)
        #expect(map[position].value.withUnsafeBufferPointer { $0.baseAddress } == stored)
        #expect(map["k\(count / 2)"] == [1, 2, 3, 4])
        #expect(Array(map.keys) == keysBefore)
        #expect(map.count == count)
    }

    @Test(arguments: [3, 8, 9, 50])
    func equalAndSameHashWhateverTheInsertionOrder(count: Int) {
        var forward = SmallMap<String>()
        var shuffled = SmallMap<String>()
        for key in (0..<count).map({ "k\($0)" }) { forward[key] = key.uppercased() }
        for key in Self.keys(count, multiplier: 7) { shuffled[key] = key.uppercased() }
        #expect(forward == shuffled)
        #expect(forward.hashValue == shuffled.hashValue)
        #expect(Array(forward.keys) == Array(shuffled.keys))
        shuffled["k0"] = "changed"
        #expect(forward != shuffled)
    }

    @Test func iteratesInKeyOrderByStringComparison() {
        let map: SmallMap<Int> = ["b": 2, "k10": 10, "a": 1, "k2": 2, "价格": 3, "B": 0]
        #expect(Array(map.keys) == ["B", "a", "b", "k10", "k2", "价格"])
        #expect(map.map(\.value) == [0, 1, 2, 10, 2, 3])
        #expect(Array(map.values) == [0, 1, 2, 10, 2, 3])
        #expect(map.first?.key == "B")
    }

    @Test func modifiesInPlaceOnlyWhenPresent() {
        var map: SmallMap<[Int]> = ["a": [1]]
        #expect(map.modifyValue(forKey: "a") { $0.append(2); return $0.count } == 2)
        #expect(map.modifyValue(forKey: "z") { $0.append(9); return 0 } == nil)
        #expect(map["a"] == [1, 2])
        #expect(map["z"] == nil)
        #expect(map.count == 1)
    }

    @Test func defaultingSubscriptInsertsAtTheKeysPlace() {
        var map: SmallMap<Int> = ["a": 1, "c": 3]
        map["b", default: 10] += 1
        #expect(Array(map.keys) == ["a", "b", "c"])
        #expect(map["b"] == 11)
        #expect(map["d", default: 4] == 4)
        #expect(map.count == 3, "reading through the default does not insert")
    }

    @Test func appendInOrderFallsBackToInsertingForKeysOutOfOrder() {
        var map = SmallMap<Int>()
        map.appendInOrder("a", 1)
        map.appendInOrder("c", 3)
        map.appendInOrder("b", 2)
        map.appendInOrder("c", 30)
        #expect(Array(map.keys) == ["a", "b", "c"])
        #expect(map["c"] == 30)
        #expect(map == ["a": 1, "b": 2, "c": 30])
    }

    @Test func encodesAsAJSONObjectAndDecodesInAnyOrder() throws {
        let map: SmallMap<Int> = ["b": 2, "a": 1]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(map), as: UTF8.self) == #"{"a":1,"b":2}"#)
        let decoded = try JSONDecoder().decode(SmallMap<Int>.self, from: Data(#"{"z":26,"a":1,"m":13}"#.utf8))
        #expect(Array(decoded.keys) == ["a", "m", "z"])
        #expect(decoded["m"] == 13)
    }

    @Test func checkpointBytesAreTheCountThenTheEntriesInKeyOrder() throws {
        let dictionary = Dictionary(uniqueKeysWithValues: Self.keys(20, multiplier: 3).map { ($0, $0.count) })
        var expected = StateWriter()
        expected.write(count: 20)
        for key in dictionary.keys.sorted() {
            expected.write(key)
            expected.write(dictionary[key]!)
        }
        var written = StateWriter()
        written.write(SmallMap(dictionary)) { $0.write($1) }
        #expect(written.bytes == expected.bytes)
        var reader = StateReader(written.bytes)
        let read = try reader.readMap { reader throws(StateReadError) in try reader.readInt() }
        #expect(read == SmallMap(dictionary))
    }
}
