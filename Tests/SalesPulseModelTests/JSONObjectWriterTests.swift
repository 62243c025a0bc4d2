import Foundation
import Testing
import SalesPulseModel

/// The writer must produce exactly the bytes Foundation writes with `.sortedKeys` and
/// `.withoutEscapingSlashes` for the same members: alerts on the alerts topic and the live
/// stream kept their form when Foundation was replaced.
@Suite struct JSONObjectWriterTests {
    static let awkward = [
        "", "plain", "quote \" and backslash \\ and slash /", "\u{01}\u{08}\u{0C}\n\r\t\u{1F}\u{7F}",
        "é 中文 😀 \u{2028}", "ends with a backslash \\", "\"", "\u{00}nul",
    ]

    static func foundation(_ object: [String: Any]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    @Test(arguments: awkward)
    func everyStringIsEscapedAsFoundationEscapesIt(_ text: String) {
        var writer = JSONObjectWriter()
        writer.field("a", text)
        writer.field("b", [text, "x"])
        #expect(writer.finish() == Self.foundation(["a": text, "b": [text, "x"]]), "\(Array(text.utf8))")
    }

    /// Strings are scanned eight bytes at a time: a character needing an escape, at any place
    /// in a word or across words, and next to non-ASCII text, is escaped as Foundation does.
    @Test(arguments: ["\"", "\\", "\u{00}", "\u{1F}", "\n", "\u{7F}", "é", "/", " "])
    func aCharacterAtAnyPlaceOfALongStringIsEscapedAsFoundationEscapesIt(_ special: String) {
        for length in [7, 8, 9, 16, 23, 24, 25] {
            for place in 0..<length {
                let text = String(repeating: "a", count: place) + special + String(repeating: "中", count: length - place)
                var writer = JSONObjectWriter()
                writer.field("a", text)
                #expect(writer.finish() == Self.foundation(["a": text]), "\(special) at \(place) of \(length)")
            }
        }
        // Every ASCII byte, in one string.
        let ascii = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        var writer = JSONObjectWriter()
        writer.field("a", ascii)
        #expect(writer.finish() == Self.foundation(["a": ascii]))
    }

    @Test func nestedObjectsOptionalsAndArraysMatchFoundation() {
        var writer = JSONObjectWriter(capacity: 8)
        writer.object("data") { data in
            data.field("empty", [String]())
            data.field("missing", nil as String?)
            data.object("inner") { inner in inner.field("k", "v") }
            data.field("list", ["a", "b/c"])
        }
        writer.field("id", "1.fired")
        writer.field("none", nil as [String]?)
        let expected = Self.foundation(["data": ["empty": [String](), "inner": ["k": "v"], "list": ["a", "b/c"]], "id": "1.fired"])
        #expect(writer.finish() == expected)
    }

    @Test func anEmptyObjectIsTwoBraces() {
        #expect(JSONObjectWriter().finish() == Array("{}".utf8))
        var writer = JSONObjectWriter()
        writer.object("o") { _ in }
        #expect(writer.finish() == Array(#"{"o":{}}"#.utf8))
    }

    @Test(arguments: awkward)
    func aValueInTwoPartsIsTheirJoinedStringEscaped(_ text: String) {
        var writer = JSONObjectWriter()
        writer.field("a", text, "-\"tail\"")
        writer.field("b", "head/", text)
        #expect(writer.finish() == Self.foundation(["a": text + "-\"tail\"", "b": "head/" + text]), "\(Array(text.utf8))")
    }

    @Test func aTimeIsWrittenAsItsTextAndLeftOutWhenNil() {
        let time = EventTime(epochMilliseconds: 1_772_414_104_123)
        var writer = JSONObjectWriter()
        writer.field("at", time: time)
        writer.field("never", time: nil)
        #expect(writer.finish() == Self.foundation(["at": "2026-03-02T01:15:04.123Z"]))
    }

    @Test func objectsAppendedBackToBackKeepWhatIsBeforeThem() {
        var bytes = Array("key".utf8)
        JSONObjectWriter.append(to: &bytes) { $0.field("a", "1") }
        JSONObjectWriter.append(to: &bytes) { _ in }
        JSONObjectWriter.append(to: &bytes) { object in
            object.object("o") { $0.field("b", ["x"]) }
            object.field("c", "\n")
        }
        #expect(String(decoding: bytes, as: UTF8.self) == #"key{"a":"1"}{}{"o":{"b":["x"]},"c":"\n"}"#)
    }

    /// Short members are put together on the stack and appended at once, longer ones piece by
    /// piece: around that limit, with and without characters to escape, the bytes are the same.
    @Test func membersAroundTheShortMemberLimitMatchFoundation() {
        for length in stride(from: 150, through: 230, by: 1) {
            for special in ["", "\"", "\n"] {
                let text = String(repeating: "x", count: length) + special
                var writer = JSONObjectWriter()
                writer.field("first", "a")
                writer.field("joined", text, special)
                writer.field("text", text)
                #expect(writer.finish() == Self.foundation(["first": "a", "text": text, "joined": text + special]), "\(length) \(Array(special.utf8))")
            }
        }
    }
}
