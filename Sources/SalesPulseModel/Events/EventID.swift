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

    @usableFromInline enum Storage: Sendable {
        /// The bytes (zero after the end) and their count.
        case inline(Words, Int8)
        /// An id longer than ``inlineCapacity`` bytes.
        case text(String)
    }

    @usableFromInline let storage: Storage

    /// The id `string`.
    public init(_ string: String) {
        var string = string
        storage = string.withUTF8 { Self.inline(UnsafeRawBufferPointer($0)) } ?? .text(string)
    }

    /// The id whose UTF-8 bytes are `bytes` (valid UTF-8: a string is made of them only when
    /// they do not fit in the value).
    public init(utf8 bytes: UnsafeRawBufferPointer) {
        storage = Self.inline(bytes) ?? .text(String(decoding: bytes, as: UTF8.self))
    }

    /// `bytes` kept in the value, if they fit.
    private static func inline(_ bytes: UnsafeRawBufferPointer) -> Storage? {
        guard bytes.count <= inlineCapacity else { return nil }
        var words: Words = (0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: bytes) }
        return .inline(words, Int8(bytes.count))
    }

    /// The id as written.
    public var string: String {
        if case .text(let text) = storage { return text }
        return withUTF8 { String(decoding: $0, as: UTF8.self) }
    }

    public var description: String { string }

    /// Lends the id's UTF-8 bytes to `body`.
    @inlinable
    public func withUTF8<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case .inline(var words, let count):
            return try withUnsafeBytes(of: &words) { try body(UnsafeRawBufferPointer(rebasing: $0[..<Int(count)])) }
        case .text(var text):
            return try text.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Equal when the bytes are.
    public static func == (a: EventID, b: EventID) -> Bool {
        switch (a.storage, b.storage) {
        case (.inline(let x, let m), .inline(let y, let n)): return m == n && x == y
        case (.text(let x), .text(let y)): return x.utf8.elementsEqual(y.utf8)
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        withUTF8 { hasher.combine(bytes: $0) }
    }
}
