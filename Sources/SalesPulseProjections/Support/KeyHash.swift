#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 64-bit hash of a key's UTF-8 bytes, the same in every process: ``ShardedMap`` takes its
/// shard from the low bits and its slot tag from the high 32.
///
/// Keys are opaque ids, told apart by their bytes (``String/hasSameUTF8(as:)``), as Kafka
/// tells record keys apart: unlike `==` on `String`, two spellings of one accented letter
/// (precomposed and decomposed) are two keys.
///
/// Eight bytes are mixed at a time (the tail packed into one word), then the result is
/// avalanched (MurmurHash3's finaliser), so that keys differing in one character, like
/// `cust-000123` and `cust-000124`, land in unrelated shards and slots. Not keyed: the keys are
/// ids chosen by SalesPulse's own upstream applications, not by an adversary; a flood of
/// colliding ids would slow one shard's probing, never change a result.
struct KeyHash: Sendable, Equatable {
    let value: UInt64

    /// The hash of `key`.
    @inline(__always)
    init(_ key: String) {
        if let hash = key.utf8.withContiguousStorageIfAvailable({ KeyHash(bytes: UnsafeRawBufferPointer($0)) }) {
            self = hash
        } else {
            self = KeyHash(bytes: Array(key.utf8))
        }
    }

    /// The hash of bytes in an array (a key without contiguous UTF-8 storage).
    private init(bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { KeyHash(bytes: $0) }
    }

    /// The hash of raw bytes.
    @inline(__always)
    init(bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ (UInt64(count) &* 0xD6E8_FEB8_6659_FD93)
        var index = 0
        while index + 8 <= count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            hash = Self.mix(hash, word)
            index += 8
        }
        if index < count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while index < count {
                tail |= UInt64(bytes[index]) << shift
                shift += 8
                index += 1
            }
            hash = Self.mix(hash, tail)
        }
        hash ^= hash >> 33
        hash &*= 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash &*= 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        value = hash
    }

    @inline(__always)
    private static func mix(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        let folded = hash ^ (word &* 0x87C3_7B91_1142_53D5)
        return ((folded << 31) | (folded >> 33)) &* 0x4CF5_AD43_2745_937F
    }

    /// The slot tag: the high 32 bits (the shard takes the low ones).
    var tag: UInt32 { UInt32(truncatingIfNeeded: value >> 32) }
}

extension String {
    /// True when both strings have the same UTF-8 bytes (no Unicode canonical equivalence).
    /// Compared by `memcmp` (a generic `elementsEqual` over the bytes went one byte at a time).
    @inline(__always)
    func hasSameUTF8(as other: String) -> Bool {
        let same = utf8.withContiguousStorageIfAvailable { mine in
            other.utf8.withContiguousStorageIfAvailable { theirs in
                mine.count == theirs.count && (mine.isEmpty || memcmp(mine.baseAddress!, theirs.baseAddress!, mine.count) == 0)
            }
        }
        return (same ?? nil) ?? utf8.elementsEqual(other.utf8)
    }
}
