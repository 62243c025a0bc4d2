import SalesPulseModel

/// Reads what a ``StateWriter`` wrote, in the same order. Every read checks the bounds: a
/// truncated or corrupt buffer throws ``StateReadError`` rather than trapping.
public struct StateReader {
    private let bytes: [UInt8]
    /// The position of the next byte to read.
    public private(set) var position: Int

    /// Creates a reader of `bytes`, from the start.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.position = 0
    }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { position == bytes.count }

    /// Reads an unsigned varint.
    public mutating func read() throws(StateReadError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            guard shift < 64 else { break }
            value |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw StateReadError(position: position, "a varint runs past the end or over 64 bits")
    }

    /// Reads a count, checked against the bytes left (each entry takes at least one byte).
    public mutating func readCount() throws(StateReadError) -> Int {
        let value = try read()
        guard value <= UInt64(bytes.count - position) else {
            throw StateReadError(position: position, "a count of \(value) exceeds the \(bytes.count - position) bytes left")
        }
        return Int(value)
    }

    /// Reads a zig-zag varint.
    public mutating func readInt64() throws(StateReadError) -> Int64 {
        let value = try read()
        return Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    /// Reads a zig-zag varint as an `Int`.
    public mutating func readInt() throws(StateReadError) -> Int { Int(try readInt64()) }

    /// Reads an 8-byte little-endian double.
    public mutating func readDouble() throws(StateReadError) -> Double {
        guard bytes.count - position >= 8 else { throw StateReadError(position: position, "a double runs past the end") }
        var pattern: UInt64 = 0
        for index in 0..<8 { pattern |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
        position += 8
        return Double(bitPattern: pattern)
    }

    /// Reads a boolean byte.
    public mutating func readBool() throws(StateReadError) -> Bool {
        switch try readByte() {
        case 0: return false
        case 1: return true
        case let other: throw StateReadError(position: position - 1, "expected a boolean byte (0 or 1), found \(other)")
        }
    }

    /// Reads one byte.
    public mutating func readByte() throws(StateReadError) -> UInt8 {
        guard position < bytes.count else { throw StateReadError(position: position, "a byte runs past the end") }
        position += 1
        return bytes[position - 1]
    }

    /// Reads a string.
    public mutating func readString() throws(StateReadError) -> String {
        let count = try readCount()
        let start = position
        position += count
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<start + count]), as: UTF8.self) }
    }

    /// Reads a time.
    public mutating func readTime() throws(StateReadError) -> EventTime {
        let millis = try readInt64()
        let offset = try readInt64()
        guard let minutes = Int16(exactly: offset) else { throw StateReadError(position: position, "UTC offset \(offset) minutes is out of range") }
        return EventTime(epochMilliseconds: millis, offsetMinutes: minutes)
    }

    /// Reads a list of strings.
    public mutating func readStrings() throws(StateReadError) -> [String] {
        let count = try readCount()
        var strings: [String] = []
        strings.reserveCapacity(count)
        for _ in 0..<count { strings.append(try readString()) }
        return strings
    }

    /// Reads a presence byte, then the value if present.
    public mutating func readOptional<T>(_ body: (inout StateReader) throws(StateReadError) -> T) throws(StateReadError) -> T? {
        try readBool() ? try body(&self) : nil
    }

    /// Reads an optional string.
    public mutating func readOptionalString() throws(StateReadError) -> String? { try readOptional { reader throws(StateReadError) in try reader.readString() } }

    /// Reads an optional time.
    public mutating func readOptionalTime() throws(StateReadError) -> EventTime? { try readOptional { reader throws(StateReadError) in try reader.readTime() } }

    /// Reads a dictionary keyed by strings, as ``StateWriter`` writes one.
    public mutating func readDictionary<Value>(_ body: (inout StateReader) throws(StateReadError) -> Value) throws(StateReadError) -> [String: Value] {
        let count = try readCount()
        var dictionary: [String: Value] = [:]
        dictionary.reserveCapacity(count)
        for _ in 0..<count {
            let key = try readString()
            dictionary[key] = try body(&self)
        }
        return dictionary
    }

    /// Reads `bytes` with `body`, which must read all of them; throws when they are truncated,
    /// corrupt or followed by more.
    public static func read<Value>(_ bytes: [UInt8], with body: (inout StateReader) throws(StateReadError) -> Value) throws(StateReadError) -> Value {
        var reader = StateReader(bytes)
        let value = try body(&reader)
        guard reader.isAtEnd else { throw StateReadError(position: reader.position, "unexpected bytes after the state") }
        return value
    }

    /// Reads a map keyed by strings, as ``StateWriter`` writes it (key order).
    public mutating func readMap<Value>(_ body: (inout StateReader) throws(StateReadError) -> Value) throws(StateReadError) -> SmallMap<Value> {
        let count = try readCount()
        var map = SmallMap<Value>()
        map.reserveCapacity(count)
        for _ in 0..<count {
            let key = try readString()
            map.appendInOrder(key, try body(&self))
        }
        return map
    }
}

/// Why state bytes could not be read: where, and what was wrong.
public struct StateReadError: Error, Sendable, CustomStringConvertible {
    /// The byte position the problem was found at.
    public var position: Int
    /// What was wrong.
    public var reason: String

    /// Creates an error.
    public init(position: Int, _ reason: String) {
        self.position = position
        self.reason = reason
    }

    public var description: String { "state bytes corrupt at byte \(position): \(reason)" }
}
