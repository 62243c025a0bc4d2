/// An alert id's 16 hex digits as two words of their bytes: ids compared as two integers,
/// without building a string for the id that is looked for or comparing strings. A customer
/// with an open alert has the ids of the alerts that hold worked out and looked up among its
/// open ones at each of its events; 16-character ids are heap strings, and each comparison
/// went through the general string comparison to `memcmp` (about 5 % of the real command's
/// CPU on the soak's backlog).
struct IdentifierDigits: Sendable, Hashable {
    let first: UInt64
    let second: UInt64

    /// The digits of no id: equal to no id's digits (those are hex digits' bytes, never zero).
    static let none = IdentifierDigits(first: 0, second: 0)

    private init(first: UInt64, second: UInt64) {
        self.first = first
        self.second = second
    }

    /// Whether the id of these digits sorts before the id of `other`'s as strings do: ids are
    /// fixed-width lowercase hex, whose byte order is their numeric order, so the words are
    /// compared as the big-endian numbers of their bytes. (Only for the digits of ids, not
    /// ``none``.)
    @inline(__always)
    func sorts(before other: IdentifierDigits) -> Bool {
        let (mine, theirs) = (UInt64(bigEndian: first), UInt64(bigEndian: other.first))
        return mine != theirs ? mine < theirs : UInt64(bigEndian: second) < UInt64(bigEndian: other.second)
    }

    /// The digits of the id whose hash is `value`.
    init(hash value: UInt64) {
        var bytes: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &bytes) { Self.write(value, into: $0) }
        (first, second) = bytes
    }

    /// The digits of `id` (nil: not 16 bytes long, so no id of ours).
    @inline(__always)
    init?(_ id: borrowing String) {
        guard id.utf8.count == 16 else { return nil }
        let read = { (bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) in
            let raw = UnsafeRawBufferPointer(bytes)
            return (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        if let digits = id.utf8.withContiguousStorageIfAvailable(read) {
            (first, second) = digits
        } else {
            (first, second) = Array(id.utf8).withUnsafeBufferPointer(read)
        }
    }

    /// 16 lowercase hex digits, zero-padded.
    static func hex(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            write(value, into: UnsafeMutableRawBufferPointer(buffer))
            return 16
        }
    }

    private static func write(_ value: UInt64, into buffer: UnsafeMutableRawBufferPointer) {
        let digits: StaticString = "0123456789abcdef"
        for index in 0..<16 {
            buffer[index] = digits.utf8Start[Int((value >> UInt64(60 - 4 * index)) & 0xF)]
        }
    }
}
