import Testing
@testable import SalesPulseModel

/// An event id kept in the value (up to 40 bytes) or as a string gives back exactly what was
/// written, lends the same bytes, and is equal to another id, and hashes like it, exactly when
/// their bytes are equal.
@Suite struct EventIDTests {
    static let ids: [String] = [
        "", "a", "00000123-0d6e-4f0e-9a51-3f7c2a1d9e01", "00000123-0D6E-4F0E-9A51-3F7C2A1D9E01",
        String(repeating: "x", count: 39), String(repeating: "x", count: 40), String(repeating: "x", count: 41),
        "sim-7-123456", "订单-2026-03-02-0001", String(repeating: "é", count: 20), String(repeating: "é", count: 21),
        "e\u{301}", "\u{e9}", String(repeating: "z", count: 300), "\u{0}", "a\u{0}",
    ]

    @Test func givesBackWhatWasWrittenByEveryRoute() {
        for id in Self.ids {
            let kept = EventID(id)
            #expect(kept.string == id)
            #expect(kept.string.utf8.elementsEqual(id.utf8), "\(id)")
            #expect(kept.withUTF8 { Array($0) } == Array(id.utf8))
            let fromBytes = Array(id.utf8).withUnsafeBytes { EventID(utf8: $0) }
            #expect(fromBytes == kept)
            #expect(fromBytes.hashValue == kept.hashValue)
            var event = SalesEvent(id: id, type: .quoteOpened, source: "s", time: EventTime(epochMilliseconds: 0), subject: "c", payload: .quoteOpened(quote: "q"))
            #expect(event.id == id && event.eventID == kept)
            event.id = id + "!"
            #expect(event.id == id + "!")
        }
    }

    @Test func equalExactlyWhenTheBytesAre() {
        for a in Self.ids {
            for b in Self.ids {
                let same = Array(a.utf8) == Array(b.utf8)
                #expect((EventID(a) == EventID(b)) == same, "\(a) / \(b)")
                if same { #expect(EventID(a).hashValue == EventID(b).hashValue) }
            }
        }
        // Two spellings of one letter are equal strings but two ids.
        #expect("e\u{301}" == "\u{e9}")
        #expect(EventID("e\u{301}") != EventID("\u{e9}"))
    }
}
