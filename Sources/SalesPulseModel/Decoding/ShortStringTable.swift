/// Makes Swift `String`s from the parser's UTF-8 bytes, reusing the `String` made last time for
/// the same short byte sequence.
///
/// Most values of an event repeat from event to event (source, region, rep, flow, step, action,
/// objection codes…). A string of at most 15 bytes is packed into two words (its bytes and its
/// length) that key a direct-mapped table: a hit costs two loads and a compare instead of UTF-8
/// validation and string formation; a miss makes the string and replaces the slot. Strings of
/// 16 to 31 bytes (heap-allocated by Swift) are packed into four words and kept in a second,
/// smaller table, so a hit shares the stored string's buffer instead of allocating one. Longer
/// strings are always made afresh. The result equals `String(decoding:as:)` of the same bytes.
///
/// Not thread-safe: each ``EventDecoder`` owns one.
final class ShortStringTable {
    /// Slots in the table (a power of two).
    static let capacity = 1024

    /// Slots for strings of 16 to 31 bytes (a power of two).
    static let mediumCapacity = 256

    private let keys: UnsafeMutablePointer<SIMD2<UInt64>>
    private let strings: UnsafeMutablePointer<String>
    private let mediumKeys: UnsafeMutablePointer<SIMD4<UInt64>>
    private let mediumStrings: UnsafeMutablePointer<String>

    init() {
        keys = .allocate(capacity: Self.capacity)
        // No packed key has length byte 0xFF, so empty slots never match.
        keys.initialize(repeating: SIMD2(0, UInt64.max), count: Self.capacity)
        strings = .allocate(capacity: Self.capacity)
        strings.initialize(repeating: "", count: Self.capacity)
        mediumKeys = .allocate(capacity: Self.mediumCapacity)
        mediumKeys.initialize(repeating: SIMD4(0, 0, 0, UInt64.max), count: Self.mediumCapacity)
        mediumStrings = .allocate(capacity: Self.mediumCapacity)
        mediumStrings.initialize(repeating: "", count: Self.mediumCapacity)
    }

    deinit {
        keys.deinitialize(count: Self.capacity)
        keys.deallocate()
        strings.deinitialize(count: Self.capacity)
        strings.deallocate()
        mediumKeys.deinitialize(count: Self.mediumCapacity)
        mediumKeys.deallocate()
        mediumStrings.deinitialize(count: Self.mediumCapacity)
        mediumStrings.deallocate()
    }

    /// The string of `bytes` (UTF-8; invalid sequences are repaired as `String(decoding:as:)` does).
    /// - Precondition: when `bytes` has at most 31 bytes, 32 bytes from its start are readable.
    ///   The simdjson shim guarantees this for every string it reports (its buffers are padded).
    @inline(__always)
    func string(_ bytes: UnsafeRawBufferPointer) -> String {
        let count = bytes.count
        guard count < 16, let start = bytes.baseAddress else { return mediumString(bytes) }
        let key = Self.pack(start, count: count)
        let slot = Int(truncatingIfNeeded: ((key.x &* 0x9E37_79B9_7F4A_7C15) ^ (key.y &* 0xC2B2_AE3D_27D4_EB4F)) >> 54)
        if keys[slot] == key { return strings[slot] }
        let made = String(decoding: bytes, as: UTF8.self)
        keys[slot] = key
        strings[slot] = made
        return made
    }

    private func mediumString(_ bytes: UnsafeRawBufferPointer) -> String {
        let count = bytes.count
        guard count < 32, let start = bytes.baseAddress else { return String(decoding: bytes, as: UTF8.self) }
        let key = Self.packMedium(start, count: count)
        let mixed = (key.x &* 0x9E37_79B9_7F4A_7C15) ^ (key.y &* 0xC2B2_AE3D_27D4_EB4F) ^ (key.z &* 0x1656_67B1_9E37_79F9) ^ (key.w &* 0x27D4_EB2F_1656_67C5)
        let slot = Int(truncatingIfNeeded: mixed >> 56)
        if mediumKeys[slot] == key { return mediumStrings[slot] }
        let made = String(decoding: bytes, as: UTF8.self)
        mediumKeys[slot] = key
        mediumStrings[slot] = made
        return made
    }

    /// The `count` (16...31) bytes at `start` as four little-endian words, bytes past `count`
    /// zeroed, with `count` in the last byte.
    @inline(__always)
    static func packMedium(_ start: UnsafeRawPointer, count: Int) -> SIMD4<UInt64> {
        let low = pack(start, count: 15)  // the first 15 bytes, with 15 in byte 15
        let byte15 = UInt64(start.load(fromByteOffset: 15, as: UInt8.self)) << 56
        let rest = pack(start + 16, count: count - 16)  // up to 15 more, with their count in the last byte
        return SIMD4(low.x, (low.y & 0x00FF_FFFF_FFFF_FFFF) | byte15, rest.x, rest.y)
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
