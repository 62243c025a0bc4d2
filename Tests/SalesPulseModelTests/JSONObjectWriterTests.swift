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
}
