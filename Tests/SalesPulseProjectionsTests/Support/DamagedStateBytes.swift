import Testing
@testable import SalesPulseProjections

/// The check every positional state layout's tests share: each truncation of its bytes and
/// bytes added at the end are refused with a ``StateReadError``, and a sweep of single-byte
/// changes is refused or read as another value, never a trap.
enum DamagedStateBytes {
    static func expectRefused<Value>(_ bytes: [UInt8], read: ([UInt8]) throws(StateReadError) -> Value) {
        for length in 0..<bytes.count {
            #expect(throws: StateReadError.self) { _ = try read(Array(bytes[..<length])) }
        }
        #expect(throws: StateReadError.self) { _ = try read(bytes + [0]) }
        for index in bytes.indices {
            for mask: UInt8 in [0x01, 0x80, 0xA5] {
                var damaged = bytes
                damaged[index] ^= mask
                _ = try? read(damaged)
            }
        }
    }
}
