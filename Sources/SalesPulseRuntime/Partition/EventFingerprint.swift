import SalesPulseModel

/// A 128-bit fingerprint of an event id, for de-duplication without keeping the id strings.
///
/// Two independent 64-bit lanes over the id's UTF-8 bytes (8-byte words, multiply–rotate
/// mixing, the murmur3 finaliser), seeded with constants: the same id gives the same
/// fingerprint in every process and release, so fingerprints can be checkpointed. The chance
/// that two of a million distinct ids share a fingerprint is about 10⁻²⁷; the hash is not
/// cryptographic, so ids crafted to collide could make an event look like a duplicate (ids are
/// produced by our own upstream apps).
public struct EventFingerprint: Hashable, Sendable {
    public let high: UInt64
    public let low: UInt64

    /// The fingerprint of raw values (e.g. read back from a checkpoint).
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The fingerprint of an id.
    public init(_ id: String) {
        var id = id
        self = id.withUTF8 { EventFingerprint(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The fingerprint of an id as an event keeps it: the same as of its string.
    public init(_ id: EventID) {
        self = id.withUTF8 { EventFingerprint(bytes: $0) }
    }

    /// The fingerprint of an id's UTF-8 bytes.
    public init(bytes: UnsafeRawBufferPointer) {
        var a: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(bytes.count)
        var b: UInt64 = 0x1319_8A2E_0370_7344 &+ UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15
        var index = 0
        while index + 8 <= bytes.count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            a = Self.rotate(a ^ (word &* 0x87C3_7B91_1142_53D5), 31) &* 0x4CF5_AD43_2745_937F
            b = Self.rotate(b ^ (word &* 0x4CF5_AD43_2745_937F), 33) &* 0x87C3_7B91_1142_53D5
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        a = Self.rotate(a ^ (tail &* 0x87C3_7B91_1142_53D5), 31) &* 0x4CF5_AD43_2745_937F
        b = Self.rotate(b ^ (tail &* 0x4CF5_AD43_2745_937F), 33) &* 0x87C3_7B91_1142_53D5
        a = Self.finalise(a &+ b)
        b = Self.finalise(b ^ Self.rotate(a, 17))
        // Never (0, 0): it marked an empty slot of ``RecentIDs``' table until session 17, and
        // fingerprints, stored in checkpoints, must never change.
        if a == 0 && b == 0 { b = 1 }
        high = a
        low = b
    }

    @inline(__always)
    private static func rotate(_ value: UInt64, _ bits: UInt64) -> UInt64 { (value << bits) | (value >> (64 - bits)) }

    @inline(__always)
    private static func finalise(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k = k &* 0xFF51_AFD7_ED55_8CCD
        k ^= k >> 33
        k = k &* 0xC4CE_B9FE_1A85_EC53
        k ^= k >> 33
        return k
    }
}
