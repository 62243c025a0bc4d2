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

    /// Pieces are copied by length (two words up to 16 bytes, a call past that): every length
    /// around those bounds, in a name's value and in a value in two parts, as Foundation writes.
    @Test func valuesOfEveryShortLengthMatchFoundation() {
        for length in 0...40 {
            let text = String((0..<length).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
            var writer = JSONObjectWriter(capacity: 1)
            writer.field("a", text)
            writer.field("b", text, "/\(length)")
            writer.field("c", [text, text])
            #expect(writer.finish() == Self.foundation(["a": text, "b": text + "/\(length)", "c": [text, text]]), "length \(length)")
        }
    }

    /// An object appended to a buffer is put together in scratch space on the stack; one larger
    /// than that space moves to the heap part way through a member and comes out whole.
    @Test func objectsLargerThanTheScratchSpaceComeOutWhole() {
        for length in [1_000, 2_030, 2_048, 2_100, 5_000, 70_000] {
            let text = String(repeating: "é\"x", count: length / 4)
            var bytes = Array("key".utf8)
            JSONObjectWriter.append(to: &bytes) { object in
                object.field("a", text)
                object.field("b", ["1", text])
                object.field("t", time: EventTime(epochMilliseconds: 1_772_414_104_123))
            }
            let expected = Array("key".utf8) + Self.foundation(["a": text, "b": ["1", text], "t": "2026-03-02T01:15:04.123Z"])
            // Compared as a whole (a failed comparison of the arrays would print them all).
            let same = bytes == expected
            #expect(same, "length \(length): \(bytes.count) bytes against \(expected.count)")
        }
    }

    /// A time is written in place: four-digit years as 24 bytes, others as their text, each as
    /// ``EventTime/rfc3339UTC`` reads.
    @Test(arguments: [Int64(1_772_413_200_123), 0, -1, -86_400_001, 253_402_300_799_999, 253_402_300_800_000, 4_102_444_800_000_000, -4_102_444_800_000_000])
    func aTimeIsWrittenInPlaceAsItsText(millis: Int64) {
        let time = EventTime(epochMilliseconds: millis)
        var writer = JSONObjectWriter(capacity: 1)
        writer.field("at", time: time)
        #expect(writer.finish() == Array(#"{"at":"\#(time.rfc3339UTC)"}"#.utf8))
        let room = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: EventTime.rfc3339UTCMaximumLength)
        defer { room.deallocate() }
        let written = time.writeRFC3339UTC(into: room)
        #expect(Array(room[..<written]) == Array(time.rfc3339UTC.utf8))
    }
}
