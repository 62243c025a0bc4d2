import Testing
@testable import SalesPulseKafka

/// CRC-32 as zlib computes it, eight bytes per step and byte by byte alike.
@Suite struct CRC32Tests {
    @Test func knownCheckValues() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
    }

    /// Every length from 0 to 64 and every alignment, against the byte-at-a-time definition.
    @Test func slicedAgreesWithTheBitwiseDefinition() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<80).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        for start in 0..<8 {
            for length in 0...64 {
                let slice = Array(bytes[start..<start + length])
                #expect(CRC32.checksum(slice) == Self.bitwise(slice), "start \(start) length \(length)")
                #expect(CRC32.checksum(slice.lazy.map { $0 }) == Self.bitwise(slice), "non-contiguous, length \(length)")
            }
        }
    }

    static func bitwise(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
