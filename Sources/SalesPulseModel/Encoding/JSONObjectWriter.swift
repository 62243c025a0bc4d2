/// A JSON object written straight into UTF-8 bytes, compact, its members in the order they are
/// written (write them sorted for the canonical order of `JSONSerialization`'s and
/// `JSONEncoder`'s `.sortedKeys`). Strings are escaped as Foundation escapes them with
/// `.withoutEscapingSlashes`: `"` and `\`, `\b \f \n \r \t`, other control characters as
/// `\u00xx`; everything else, `/` and non-ASCII included, as is. Member names are literals,
/// written as they are: they must need no escaping (no `"`, `\` or control character).
///
/// Alerts leave the runtime as JSON on the alerts topic and on the live stream, one per alert
/// change. Foundation serialised each with key sorting that compares through the locale: about
/// 0.2 ms per alert, 40 % of a `run` process's CPU on a backlog that fires many alerts.
///
/// The bytes go through a ``JSONWriteBuffer``: a member checks the room once and is copied in,
/// where appending each piece to an array checked the array's uniqueness and capacity every
/// time (with short pieces copied as words, a tenth of writing an alert's event went;
/// BENCHMARKS.md, session 43). A writer is used within
/// one call and never copied, so it is neither `Copyable` nor `Sendable`.
public struct JSONObjectWriter: ~Copyable {
    /// The object so far.
    private var buffer: JSONWriteBuffer
    /// Whether the object being written has no member yet (no comma before the next one).
    private var empty = true

    /// An empty object.
    public init(capacity: Int = 512) {
        buffer = JSONWriteBuffer(capacity: capacity)
        buffer.put(UInt8(ascii: "{"))
    }

    private init(buffer: consuming JSONWriteBuffer) {
        self.buffer = buffer
    }

    /// Writes an object, its members written by `body`, at the end of `bytes`: many objects
    /// written back to back into one buffer (a batch's alerts-topic records) cost no array each.
    /// The object is put together on the stack (on the heap past a few KiB) and appended whole.
    public static func append(to bytes: inout [UInt8], _ body: (inout JSONObjectWriter) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2048) { scratch in
            var writer = JSONObjectWriter(buffer: JSONWriteBuffer(scratch: scratch))
            writer.buffer.put(UInt8(ascii: "{"))
            body(&writer)
            writer.buffer.put(UInt8(ascii: "}"))
            writer.buffer.withWritten { bytes.append(contentsOf: $0) }
        }
    }

    /// The object, closed.
    public consuming func finish() -> [UInt8] {
        buffer.put(UInt8(ascii: "}"))
        return buffer.withWritten { Array($0) }
    }

    /// A string member.
    public mutating func field(_ key: StaticString, _ value: String) {
        Self.withUTF8(value) { member(key, $0, UnsafeBufferPointer(start: nil, count: 0)) }
    }

    /// A string member, left out when `value` is nil.
    public mutating func field(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        field(key, value)
    }

    /// A string member whose value is `first` followed by `second`, without a string joining
    /// them first.
    public mutating func field(_ key: StaticString, _ first: String, _ second: String) {
        Self.withUTF8(first) { first in
            Self.withUTF8(second) { member(key, first, $0) }
        }
    }

    /// A time member as ``EventTime/rfc3339UTC`` (which needs no escaping), left out when
    /// `time` is nil.
    public mutating func field(_ key: StaticString, time: EventTime?) {
        guard let time else { return }
        begin(key, quoting: true)
        buffer.reserve(EventTime.rfc3339UTCMaximumLength + 1)
        buffer.advance(by: buffer.withRoom { time.writeRFC3339UTC(into: $0) })
        buffer.put(UInt8(ascii: "\""))
    }

    /// An array of strings, left out when `values` is nil.
    public mutating func field(_ key: StaticString, _ values: [String]?) {
        guard let values else { return }
        begin(key)
        buffer.put(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { buffer.put(UInt8(ascii: ",")) }
            Self.withUTF8(value) { quoted($0) }
        }
        buffer.put(UInt8(ascii: "]"))
    }

    /// A member that is an object, written by `body`.
    public mutating func object(_ key: StaticString, _ body: (inout JSONObjectWriter) -> Void) {
        begin(key)
        buffer.put(UInt8(ascii: "{"))
        empty = true
        body(&self)
        buffer.put(UInt8(ascii: "}"))
        empty = false
    }

    /// Calls `body` with the UTF-8 bytes of `text` where they lie (native strings are
    /// contiguous UTF-8, small ones copied to the stack); a copy only for the others.
    @inline(__always)
    private static func withUTF8(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if text.utf8.withContiguousStorageIfAvailable(body) != nil { return }
        var copy = text
        copy.withUTF8(body)
    }

    /// Writes `"key":"first second"` (after a comma unless first), the value escaped.
    private mutating func member(_ key: StaticString, _ first: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8>) {
        begin(key, quoting: true)
        escaped(first)
        escaped(second)
        buffer.put(UInt8(ascii: "\""))
    }

    /// `text` escaped, in quotes.
    private mutating func quoted(_ text: UnsafeBufferPointer<UInt8>) {
        buffer.put(UInt8(ascii: "\""))
        escaped(text)
        buffer.put(UInt8(ascii: "\""))
    }

    /// The comma (unless the member is the object's first), the quoted name, the colon and,
    /// `quoting`, a string value's opening quote. Names are literals: escaping them scanned
    /// each of their bytes, for a dozen names per alert.
    private mutating func begin(_ key: StaticString, quoting: Bool = false) {
        let name = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        assert(!name.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }, "a member name needing escapes: \(key)")
        buffer.reserve(name.count + 5)
        if !empty { buffer.putReserved(UInt8(ascii: ",")) }
        buffer.putReserved(UInt8(ascii: "\""))
        buffer.putReserved(name)
        buffer.putReserved(UInt8(ascii: "\""))
        buffer.putReserved(UInt8(ascii: ":"))
        if quoting { buffer.putReserved(UInt8(ascii: "\"")) }
        empty = false
    }

    /// The escaped bytes of `utf8`, without quotes: copied whole when nothing in them needs an
    /// escape (most text), else run by run between the escapes.
    private mutating func escaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        guard Self.mayNeedEscaping(utf8) else { return buffer.put(utf8) }
        let raw = UnsafeRawBufferPointer(utf8)
        var start = 0
        var index = 0
        while index < utf8.count {
            // Eight bytes at a time while none of them needs escaping.
            if index + 8 <= utf8.count, !Self.mayNeedEscaping(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                index += 8
                continue
            }
            let end = min(index + 8, utf8.count)
            while index < end {
                let byte = utf8[index]
                index += 1
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.put(UnsafeBufferPointer(rebasing: utf8[start..<(index - 1)]))
                start = index
                escape(byte)
            }
        }
        buffer.put(UnsafeBufferPointer(rebasing: utf8[start...]))
    }

    /// The escape of a byte that needs one: `"` and `\` after a backslash, control characters
    /// by their short names or as `\u00xx`.
    private mutating func escape(_ byte: UInt8) {
        buffer.reserve(6)
        buffer.putReserved(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): buffer.putReserved(byte)
        case 0x08: buffer.putReserved(UInt8(ascii: "b"))
        case 0x0C: buffer.putReserved(UInt8(ascii: "f"))
        case 0x0A: buffer.putReserved(UInt8(ascii: "n"))
        case 0x0D: buffer.putReserved(UInt8(ascii: "r"))
        case 0x09: buffer.putReserved(UInt8(ascii: "t"))
        default:
            let hex: StaticString = "0123456789abcdef"
            buffer.putReserved(UInt8(ascii: "u"))
            buffer.putReserved(UInt8(ascii: "0"))
            buffer.putReserved(UInt8(ascii: "0"))
            buffer.putReserved(hex.utf8Start[Int(byte >> 4)])
            buffer.putReserved(hex.utf8Start[Int(byte & 0x0F)])
        }
    }

    /// Whether any byte of `text` may need escaping (a control character, `"` or `\`; never
    /// false when one does): eight bytes at a time, then the last few one by one.
    private static func mayNeedEscaping(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let start = text.baseAddress else { return false }
        let raw = UnsafeRawPointer(start)
        var index = 0
        while index + 8 <= text.count {
            if mayNeedEscaping(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) { return true }
            index += 8
        }
        while index < text.count {
            let byte = text[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return true }
            index += 1
        }
        return false
    }

    /// Whether any of the eight bytes of `word` may need escaping: a control character, `"` or
    /// `\` (never false when one does; the bytes are then looked at one by one). A byte is below
    /// 0x20 when subtracting 0x20 borrows into its top bit and its top bit was clear; it equals
    /// `c` when it is zero after an exclusive or with `c`, i.e. below 1.
    @inline(__always)
    static func mayNeedEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tops: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslashes = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        let control = (word &- ones &* 0x20) & ~word
        let quote = (quotes &- ones) & ~quotes
        let backslash = (backslashes &- ones) & ~backslashes
        return (control | quote | backslash) & tops != 0
    }
}
