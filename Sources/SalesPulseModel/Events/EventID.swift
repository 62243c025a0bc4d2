/// A CloudEvents `id` as ``SalesEvent`` keeps it: an id of up to 40 UTF-8 bytes (a UUID has 36)
/// in the value itself, a longer one as a string.
///
/// Swift keeps a string of more than 15 bytes on the heap. A decoded event's id was such a
/// string, allocated, copied and freed for every event, though most events never read it:
/// de-duplication hashes its bytes, which ``withUTF8(_:)`` lends from the value. That was about
/// 4 % of the per-event work (BENCHMARKS.md, session 26). ``string`` makes the string when it is
/// read.
///
/// Ids are compared by their bytes, as Kafka compares keys (and as de-duplication tells ids
/// apart): two spellings of one accented letter are two ids.
public struct EventID: Sendable, Hashable, CustomStringConvertible {
    /// The most bytes kept in the value.
    public static let inlineCapacity = 40

    @usableFromInline typealias Words = (UInt64, UInt64, UInt64, UInt64, UInt64)

    /// The bytes of an id of up to ``inlineCapacity`` bytes (zero after the end); zero for a
    /// longer one.
    @usableFromInline let words: Words
    /// The count of bytes in ``words``, or -1 for an id kept in ``text``.
    @usableFromInline let count: Int8
    /// An id longer than ``inlineCapacity`` bytes; nil for the rest. (A struct, not an enum of
    /// the two: reading the bytes of an enum's case copied the whole value first, through a
    /// call that switched on its case: BENCHMARKS.md, session 35.)
    @usableFromInline let text: String?

    /// The id `string`.
    public init(_ string: String) {
        var string = string
        if let (words, count) = string.withUTF8({ Self.inline(UnsafeRawBufferPointer($0)) }) {
            self.init(words: words, count: count, text: nil)
        } else {
            self.init(words: (0, 0, 0, 0, 0), count: -1, text: string)
        }
    }

    /// The id whose UTF-8 bytes are `bytes` (valid UTF-8: a string is made of them only when
    /// they do not fit in the value).
    public init(utf8 bytes: UnsafeRawBufferPointer) {
        if let (words, count) = Self.inline(bytes) {
            self.init(words: words, count: count, text: nil)
        } else {
            self.init(words: (0, 0, 0, 0, 0), count: -1, text: String(decoding: bytes, as: UTF8.self))
        }
    }

    private init(words: Words, count: Int8, text: String?) {
        self.words = words
        self.count = count
        self.text = text
    }

    /// `bytes` as words, if they fit.
    private static func inline(_ bytes: UnsafeRawBufferPointer) -> (Words, Int8)? {
        guard bytes.count <= inlineCapacity else { return nil }
        var words: Words = (0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: bytes) }
        return (words, Int8(bytes.count))
    }

    /// The id as written.
    public var string: String {
        if let text { return text }
        return withUTF8 { String(decoding: $0, as: UTF8.self) }
    }

    public var description: String { string }

    /// Lends the id's UTF-8 bytes to `body`.
    @inlinable
    public func withUTF8<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard count >= 0 else {
            var text = text!
            return try text.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
        }
        return try withUnsafeBytes(of: words) { try body(UnsafeRawBufferPointer(rebasing: $0[..<Int(count)])) }
    }

    /// Equal when the bytes are.
    public static func == (a: EventID, b: EventID) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count >= 0 else { return a.text!.utf8.elementsEqual(b.text!.utf8) }
        return a.words == b.words
    }

    public func hash(into hasher: inout Hasher) {
        withUTF8 { hasher.combine(bytes: $0) }
    }
}

/// Coded as the id string.
extension EventID: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(string)
    }
}
