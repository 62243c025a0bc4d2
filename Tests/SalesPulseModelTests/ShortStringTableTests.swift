import Testing
@testable import SalesPulseModel

/// The decoder's table of short strings must return exactly the string of the bytes it is given,
/// whatever it saw before: same bytes, same `String`, at every length around its word bounds.
@Suite struct ShortStringTableTests {
    /// Calls the table with `bytes` placed at the start of a 64-byte buffer whose remaining bytes
    /// are `filler` (the table reads 16 bytes; what follows the string must not leak into it).
    static func string(_ table: ShortStringTable, _ bytes: [UInt8], filler: UInt8) -> String {
        var buffer = bytes + [UInt8](repeating: filler, count: 64)
        return buffer.withUnsafeMutableBytes { table.string(UnsafeRawBufferPointer(rebasing: $0[0..<bytes.count])) }
    }

    static func sameUTF8(_ a: String, _ b: String) -> Bool { Array(a.utf8) == Array(b.utf8) }

    @Test func everyLengthUpToTheWordBoundsAndBeyondComesBackExactly() {
        let table = ShortStringTable()
        for length in 0...40 {
            let bytes = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            let expected = String(decoding: bytes, as: UTF8.self)
            // Twice: a miss that fills the slot, then a hit; with different bytes after the string.
            #expect(Self.sameUTF8(Self.string(table, bytes, filler: 0x7A), expected), "length \(length), miss")
            #expect(Self.sameUTF8(Self.string(table, bytes, filler: 0x00), expected), "length \(length), hit")
        }
    }

    @Test func prefixesOfOneStringAreNotConfusedWithEachOther() {
        let table = ShortStringTable()
        let word = Array("price_too_high_in_the_east_now!".utf8)  // 31 bytes: both tables
        for round in 0..<3 {
            for length in 0...word.count {
                let bytes = Array(word[0..<length])
                #expect(Self.sameUTF8(Self.string(table, bytes, filler: word.last!), String(decoding: bytes, as: UTF8.self)), "round \(round), length \(length)")
            }
        }
    }

    @Test func manyDistinctStringsEvictingEachOtherStayExact() {
        let table = ShortStringTable()
        var seed: UInt64 = 0x5EED
        for _ in 0..<20_000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = Int(seed >> 59)  // 0...31: both tables
            let bytes = (0..<length).map { UInt8(ascii: "0") + UInt8((seed >> (UInt64($0) * 3)) & 7) }
            #expect(Self.sameUTF8(Self.string(table, bytes, filler: UInt8(truncatingIfNeeded: seed)), String(decoding: bytes, as: UTF8.self)))
        }
    }

    @Test func nonASCIIAndInvalidUTF8AreMadeAsStringDecodingMakesThem() {
        let table = ShortStringTable()
        let cases: [[UInt8]] = [
            Array("价格太高".utf8),            // 12 bytes of CJK
            Array("é".utf8), Array("e\u{301}".utf8),  // canonically equal, different bytes
            [0x61, 0xFF, 0x62],                 // invalid byte: repaired to U+FFFD
            [0xE4, 0xBB],                       // truncated sequence
        ]
        for round in 0..<2 {
            for bytes in cases {
                let made = Self.string(table, bytes, filler: 0x80)
                #expect(Self.sameUTF8(made, String(decoding: bytes, as: UTF8.self)), "round \(round): \(bytes)")
            }
        }
        // The two spellings of é are equal Strings but must keep their own bytes.
        #expect(Array(Self.string(table, Array("é".utf8), filler: 0).utf8) == Array("é".utf8))
        #expect(Array(Self.string(table, Array("e\u{301}".utf8), filler: 0).utf8) == Array("e\u{301}".utf8))
    }

    @Test func mediumPackingKeepsEveryByteAndTheLength() {
        let bytes: [UInt8] = Array("0123456789abcdefghijklmnopqrstuvwxyzABCD".utf8)  // 40 bytes readable
        bytes.withUnsafeBytes { raw in
            var seen = Set<SIMD4<UInt64>>()
            for count in 16...31 {
                let key = ShortStringTable.packMedium(raw.baseAddress!, count: count)
                #expect(key.w >> 56 == UInt64(count - 16), "length \(count)")
                #expect(seen.insert(key).inserted, "prefixes of different lengths pack differently")
                // Unpacking gives the bytes back.
                var words = key
                let unpacked = withUnsafeBytes(of: &words) { Array($0[0..<count]) }
                #expect(unpacked == Array(bytes[0..<count]))
            }
        }
    }

    @Test func packingKeepsOnlyTheStringsBytesAndItsLength() {
        let bytes: [UInt8] = Array("abcdefghijklmnop".utf8)  // 16 bytes readable
        bytes.withUnsafeBytes { raw in
            let eight = ShortStringTable.pack(raw.baseAddress!, count: 8)
            #expect(eight.x == UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)))
            #expect(eight.y == 8 << 56)
            let three = ShortStringTable.pack(raw.baseAddress!, count: 3)
            #expect(three.x == 0x63_6261)
            #expect(three.y == 3 << 56)
            let fifteen = ShortStringTable.pack(raw.baseAddress!, count: 15)
            #expect(fifteen.y & 0x00FF_FFFF_FFFF_FFFF == 0x6F_6E6D_6C6B_6A69)
            #expect(fifteen.y >> 56 == 15)
            #expect(ShortStringTable.pack(raw.baseAddress!, count: 0) == SIMD2(0, 0))
        }
    }
}
