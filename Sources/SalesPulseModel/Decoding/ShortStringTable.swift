/// Makes Swift `String`s from the parser's UTF-8 bytes, reusing the `String` made last time for
/// the same short byte sequence.
///
/// Most values of an event repeat from event to event (source, region, rep, flow, step, action,
/// objection codes…). A string of at most 15 bytes is packed into two words (its bytes and its
/// length) that key a direct-mapped table: a hit costs two loads and a compare instead of UTF-8
/// validation and string formation; a miss makes the string and replaces the slot. Longer
/// strings are always made afresh. The result equals `String(decoding:as:)` of the same bytes.
///
/// Not thread-safe: each ``EventDecoder`` owns one.
final class ShortStringTable {
    /// Slots in the table (a power of two).
    static let capacity = 1024

    private let keys: UnsafeMutablePointer<SIMD2<UInt64>>
    private let strings: UnsafeMutablePointer<String>

    init() {
        keys = .allocate(capacity: Self.capacity)
        // No packed key has length byte 0xFF, so empty slots never match.
        keys.initialize(repeating: SIMD2(0, UInt64.max), count: Self.capacity)
        strings = .allocate(capacity: Self.capacity)
        strings.initialize(repeating: "", count: Self.capacity)
    }

    deinit {
        keys.deinitialize(count: Self.capacity)
        keys.deallocate()
        strings.deinitialize(count: Self.capacity)
        strings.deallocate()
    }

    /// The string of `bytes` (UTF-8; invalid sequences are repaired as `String(decoding:as:)` does).
    /// - Precondition: when `bytes` has at most 15 bytes, 16 bytes from its start are readable.
    ///   The simdjson shim guarantees this for every string it reports (its buffers are padded).
    @inline(__always)
    func string(_ bytes: UnsafeRawBufferPointer) -> String {
        let count = bytes.count
        guard count < 16, let start = bytes.baseAddress else { return String(decoding: bytes, as: UTF8.self) }
        let key = Self.pack(start, count: count)
        let slot = Int(truncatingIfNeeded: ((key.x &* 0x9E37_79B9_7F4A_7C15) ^ (key.y &* 0xC2B2_AE3D_27D4_EB4F)) >> 54)
        if keys[slot] == key { return strings[slot] }
        let made = String(decoding: bytes, as: UTF8.self)
        keys[slot] = key
        strings[slot] = made
        return made
    }

    /// The `count` (< 16) bytes at `start` as two little-endian words, bytes past `count` zeroed,
    /// with `count` in the last byte (which a string under 16 bytes never occupies).
    @inline(__always)
    static func pack(_ start: UnsafeRawPointer, count: Int) -> SIMD2<UInt64> {
        let low = UInt64(littleEndian: start.loadUnaligned(as: UInt64.self))
        let high = UInt64(littleEndian: start.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let bits = UInt64(count) &* 8
        // Smart shifts: a shift by 64 or more gives 0, so the masks are right at every length.
        let lowMask: UInt64 = count >= 8 ? ~0 : (1 << bits) &- 1
        let highMask: UInt64 = count <= 8 ? 0 : (1 << (bits &- 64)) &- 1
        return SIMD2(low & lowMask, (high & highMask) | UInt64(count) << 56)
    }
}
