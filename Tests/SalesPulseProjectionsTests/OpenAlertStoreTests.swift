import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// Open alerts are stored at their id's place found by digits (``SmallMap/store(_:)``): the
/// map must come out as storing through the string-keyed subscript makes it, whatever the ids.
@Suite struct OpenAlertStoreTests {
    static func alert(id: String, reason: String = "r") -> Alert {
        var alert = Alert(rule: "step-sla", customer: "c1", rep: nil, organisation: Organisation(), region: nil, since: EventTime(epochMilliseconds: 0), reason: reason)
        alert.id = id
        return alert
    }

    /// Ids that sort apart in every byte: digits only, letters only, both, and the ends.
    static let ids = ["0000000000000000", "ffffffffffffffff", "9fffffffffffffff", "a000000000000000", "0123456789abcdef",
                      "0123456789abcdee", "01234567a9abcdef", "fedcba9876543210", "00000000000000a0", "0000000000000099"]

    @Test func digitsSortAsTheIDsDo() {
        for first in Self.ids {
            for second in Self.ids {
                #expect(IdentifierDigits(first)!.sorts(before: IdentifierDigits(second)!) == (first < second), "\(first) < \(second)")
            }
        }
    }

    @Test func storingInAnyOrderGivesTheMapTheSubscriptGives() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var stored = SmallMap<Alert>()
            var expected = SmallMap<Alert>()
            for id in Self.ids.shuffled(using: &generator) {
                stored.store(Self.alert(id: id))
                expected[id] = Self.alert(id: id)
            }
            #expect(Array(stored.keys) == Array(expected.keys))
            #expect(Array(stored.keys) == Self.ids.sorted())
        }
    }

    @Test func anAlertWithAnIDAlreadyStoredReplacesIt() {
        var map = SmallMap<Alert>()
        for id in Self.ids { map.store(Self.alert(id: id)) }
        map.store(Self.alert(id: Self.ids[4], reason: "again"))
        #expect(map.count == Self.ids.count)
        #expect(map[Self.ids[4]]?.reason == "again")
    }

    @Test func anIDThatIsNotSixteenDigitsIsPlacedAsAString() {
        var map = SmallMap<Alert>()
        for id in ["0123456789abcdef", "short", "ffffffffffffffff", "a-longer-id-than-sixteen"] { map.store(Self.alert(id: id)) }
        map.store(Self.alert(id: "9000000000000000"))
        #expect(Array(map.keys) == ["0123456789abcdef", "9000000000000000", "a-longer-id-than-sixteen", "ffffffffffffffff", "short"])
    }
}
