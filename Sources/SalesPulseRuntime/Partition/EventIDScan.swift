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
        // Byte by byte: the key is a few dozen bytes in, after a handful of quotes, and a call
        // to `memchr` for each quote cost more than the bytes it skipped (BENCHMARKS.md,
        // session 27).
        while index + 4 <= limit {
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
            // Up to the closing quote; an escape before it gives up.
            let start = cursor + 1
            var end = start
            while end < count {
                switch base.load(fromByteOffset: end, as: UInt8.self) {
                case 0x22: return UnsafeRawBufferPointer(start: base + start, count: end - start)
                case 0x5C: return nil
                default: end += 1
                }
            }
            return nil
        }
        return nil
    }
}
