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
public struct JSONObjectWriter: Sendable {
    /// The object so far; ``finish()`` closes it.
    public private(set) var bytes: [UInt8]
    /// Whether the object being written has no member yet (no comma before the next one).
    private var empty = true

    /// An empty object.
    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// A writer with no bytes yet, not even the opening brace.
    private init(nothing: Void) {
        bytes = []
    }

    /// Writes an object, its members written by `body`, at the end of `bytes`: many objects
    /// written back to back into one buffer (a batch's alerts-topic records) cost no array each.
    public static func append(to bytes: inout [UInt8], _ body: (inout JSONObjectWriter) -> Void) {
        // The buffer is swapped in and out, never copied (each copy would be of every object
        // written before).
        var writer = JSONObjectWriter(nothing: ())
        swap(&writer.bytes, &bytes)
        writer.bytes.append(UInt8(ascii: "{"))
        body(&writer)
        writer.bytes.append(UInt8(ascii: "}"))
        swap(&writer.bytes, &bytes)
    }

    /// The object, closed.
    public consuming func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// A string member.
    public mutating func field(_ key: StaticString, _ value: String) {
        let written = value.utf8.withContiguousStorageIfAvailable { appendShortMember(key, $0, UnsafeBufferPointer(start: nil, count: 0)) }
        if written == true { return }
        begin(key)
        append(string: value)
    }

    /// A string member, left out when `value` is nil.
    public mutating func field(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        field(key, value)
    }

    /// A string member whose value is `first` followed by `second`, without a string joining
    /// them first.
    public mutating func field(_ key: StaticString, _ first: String, _ second: String) {
        let written = first.utf8.withContiguousStorageIfAvailable { first in
            second.utf8.withContiguousStorageIfAvailable { appendShortMember(key, first, $0) }
        }
        if written == true { return }
        begin(key, quoting: true)
        appendEscaped(contentsOf: first)
        appendEscaped(contentsOf: second)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A time member as ``EventTime/rfc3339UTC`` (which needs no escaping), left out when
    /// `time` is nil.
    public mutating func field(_ key: StaticString, time: EventTime?) {
        guard let time else { return }
        begin(key, quoting: true)
        time.appendRFC3339UTC(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// An array of strings, left out when `values` is nil.
    public mutating func field(_ key: StaticString, _ values: [String]?) {
        guard let values else { return }
        begin(key)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            append(string: value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A member that is an object, written by `body`.
    public mutating func object(_ key: StaticString, _ body: (inout JSONObjectWriter) -> Void) {
        begin(key)
        bytes.append(UInt8(ascii: "{"))
        empty = true
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        empty = false
    }

    /// The longest member (comma, quoted name, colon, quoted value) put together on the stack
    /// and appended at once (longer ones are appended piece by piece).
    private static let shortMemberLimit = 192

    /// Writes `"key":"first second"` (after a comma unless first) with one append when it is
    /// short and neither part needs escaping; false (nothing written) otherwise. An alert's
    /// event has seventeen string members: appended piece by piece — comma, quote, name, quote,
    /// colon, quote, value, quote — each append checked the array's uniqueness and capacity.
    private mutating func appendShortMember(_ key: StaticString, _ first: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8>) -> Bool {
        let length = (empty ? 0 : 1) + key.utf8CodeUnitCount + 4 + first.count + second.count + 1
        guard length <= Self.shortMemberLimit, !Self.mayNeedEscaping(first), !Self.mayNeedEscaping(second) else { return false }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { member in
            var end = writeName(key, quoting: true, into: member)
            func put(_ part: UnsafeBufferPointer<UInt8>) {
                guard let start = part.baseAddress, !part.isEmpty else { return }
                (member.baseAddress! + end).update(from: start, count: part.count)
                end += part.count
            }
            put(first)
            put(second)
            member[end] = UInt8(ascii: "\"")
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: member[...end]))
        }
        empty = false
        return true
    }

    /// The member name, quoted as it is, and the colon (and, `quoting`, a string value's
    /// opening quote), in one append: escaping names scanned each of their bytes, for a dozen
    /// literals per alert.
    private mutating func begin(_ key: StaticString, quoting: Bool = false) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: key.utf8CodeUnitCount + 5) { prefix in
            let end = writeName(key, quoting: quoting, into: prefix)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: prefix[..<end]))
        }
        empty = false
    }

    /// Writes the comma (unless the member is the object's first), the quoted name, the colon
    /// and, `quoting`, a string value's opening quote at the start of `buffer` (at least the
    /// name's length plus five bytes); returns how many bytes it wrote.
    private func writeName(_ key: StaticString, quoting: Bool, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let name = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        assert(!name.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }, "a member name needing escapes: \(key)")
        var end = 0
        if !empty { buffer[end] = UInt8(ascii: ","); end += 1 }
        buffer[end] = UInt8(ascii: "\""); end += 1
        (buffer.baseAddress! + end).update(from: name.baseAddress!, count: name.count)
        end += name.count
        buffer[end] = UInt8(ascii: "\""); end += 1
        buffer[end] = UInt8(ascii: ":"); end += 1
        if quoting { buffer[end] = UInt8(ascii: "\""); end += 1 }
        return end
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

    private mutating func append(string: String) {
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(contentsOf: string)
        bytes.append(UInt8(ascii: "\""))
    }

    /// The escaped bytes of `string`, without quotes.
    private mutating func appendEscaped(contentsOf string: String) {
        // Read where the string lies (native strings are contiguous UTF-8); a copy of it only
        // for the others.
        if string.utf8.withContiguousStorageIfAvailable({ appendEscaped(utf8: $0) }) != nil { return }
        var text = string
        text.withUTF8 { appendEscaped(utf8: $0) }
    }

    /// The escaped bytes of `utf8`, without quotes.
    private mutating func appendEscaped(utf8: UnsafeBufferPointer<UInt8>) {
        let raw = UnsafeRawBufferPointer(utf8)
        var start = 0
        var index = 0
        while index < utf8.count {
            // Eight bytes at a time while none of them needs escaping (most text: a byte at a
            // time, this scan was a fifth of writing an alert's event).
            if index + 8 <= utf8.count, !Self.mayNeedEscaping(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                index += 8
                continue
            }
            let end = min(index + 8, utf8.count)
            while index < end {
                let byte = utf8[index]
                index += 1
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<(index - 1)]))
                start = index
                appendEscaped(byte)
            }
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
    }

    /// The escape of a byte that needs one: `"` and `\` after a backslash, control characters
    /// by their short names or as `\u00xx`.
    private mutating func appendEscaped(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
        }
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
