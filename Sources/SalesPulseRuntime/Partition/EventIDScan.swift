#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds an event's id in its JSON without decoding it: the string after the first `"id"`
/// key, among the value's first bytes. For prefetching only (see
/// `PartitionProjector+LookAhead.swift`): it does not parse, so it can be fooled (an `"id"` key
/// nested in `data` before the top-level one, an id further in than it looks); it gives up on
/// an escaped id. A wrong answer costs a useless prefetch, never a wrong result.
enum EventIDScan {
    /// How far into the value the key is looked for (CloudEvents put `id` near the start).
    static let searchLimit = 192

    /// The id's bytes as they appear in `json`, if found.
    static func id(in json: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let base = json.baseAddress else { return nil }
        let count = json.count
        let limit = min(count, searchLimit)
        // `"id"` as a little-endian word: a quote, i, d, a quote.
        let key = UInt32(0x22) | UInt32(UInt8(ascii: "i")) << 8 | UInt32(UInt8(ascii: "d")) << 16 | UInt32(0x22) << 24
        var index = 0
        while index + 4 <= limit {
            // Quotes are found by memchr (vectorised); each is checked for `"id"`.
            guard let quote = memchr(base + index, 0x22, limit - index) else { return nil }
            index = UnsafeRawPointer(quote) - base
            guard index + 4 <= limit else { return nil }
            guard base.loadUnaligned(fromByteOffset: index, as: UInt32.self) == UInt32(littleEndian: key) else {
                index += 1
                continue
            }
            var cursor = index + 4
            while cursor < count, base.load(fromByteOffset: cursor, as: UInt8.self) == 0x20 { cursor += 1 }
            guard cursor < count, base.load(fromByteOffset: cursor, as: UInt8.self) == UInt8(ascii: ":") else {
                index += 4
                continue
            }
            cursor += 1
            while cursor < count, base.load(fromByteOffset: cursor, as: UInt8.self) == 0x20 { cursor += 1 }
            guard cursor < count, base.load(fromByteOffset: cursor, as: UInt8.self) == 0x22 else { return nil }
            let start = cursor + 1
            guard start < count, let close = memchr(base + start, 0x22, count - start) else { return nil }
            let end = UnsafeRawPointer(close) - base
            guard memchr(base + start, 0x5C, end - start) == nil else { return nil }
            return UnsafeRawBufferPointer(start: base + start, count: end - start)
        }
        return nil
    }
}
