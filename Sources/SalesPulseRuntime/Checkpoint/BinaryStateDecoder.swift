import Foundation

/// Reads values written by ``BinaryStateEncoder``. Every read is bounds-checked: truncated or
/// corrupt bytes throw `DecodingError.dataCorrupted` with the coding path, never crash.
public struct BinaryStateDecoder {
    public init() {}

    /// Decodes a value from bytes.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBufferPointer { buffer in
            let reader = BinaryReader(buffer: buffer)
            var position = 0
            let value = try reader.skipValue(at: &position, codingPath: [])
            guard position == buffer.count else { throw reader.corrupt([], "\(buffer.count - position) trailing bytes") }
            return try T(from: BinaryDecoding(reader: reader, value: value, codingPath: []))
        }
    }
}

/// A value's position: its tag and where its payload starts and ends.
struct BinaryValueRef {
    let tag: UInt8
    let start: Int
    let end: Int
}

/// Bounds-checked reads over the encoded bytes (valid during one `decode` call).
struct BinaryReader {
    let buffer: UnsafeBufferPointer<UInt8>

    func corrupt(_ codingPath: [any CodingKey], _ what: String) -> DecodingError {
        DecodingError.dataCorrupted(DecodingError.Context(codingPath: codingPath, debugDescription: "binary state: \(what)"))
    }

    func varint(at position: inout Int, codingPath: [any CodingKey]) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < buffer.count, shift < 64 else { throw corrupt(codingPath, "truncated or overlong varint") }
            let byte = buffer[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    func length(at position: inout Int, codingPath: [any CodingKey]) throws -> Int {
        let value = try varint(at: &position, codingPath: codingPath)
        guard value <= UInt64(buffer.count - position) else { throw corrupt(codingPath, "length \(value) beyond the end") }
        return Int(value)
    }

    /// Reads the value at `position` and moves past it.
    func skipValue(at position: inout Int, codingPath: [any CodingKey]) throws -> BinaryValueRef {
        guard position < buffer.count else { throw corrupt(codingPath, "truncated value") }
        let tag = buffer[position]
        position += 1
        let start = position
        switch tag {
        case BinaryTag.null, BinaryTag.false, BinaryTag.true: break
        case BinaryTag.int, BinaryTag.uint: _ = try varint(at: &position, codingPath: codingPath)
        case BinaryTag.double:
            guard buffer.count - position >= 8 else { throw corrupt(codingPath, "truncated double") }
            position += 8
        case BinaryTag.string, BinaryTag.bytes, BinaryTag.keyed, BinaryTag.unkeyed:
            position += try length(at: &position, codingPath: codingPath)
        default: throw corrupt(codingPath, "unknown tag \(tag)")
        }
        return BinaryValueRef(tag: tag, start: start, end: position)
    }

    func string(_ value: BinaryValueRef, codingPath: [any CodingKey]) throws -> String {
        guard value.tag == BinaryTag.string else { throw mismatch(String.self, value, codingPath) }
        var position = value.start
        let count = try length(at: &position, codingPath: codingPath)
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[position..<position + count]), as: UTF8.self)
    }

    func data(_ value: BinaryValueRef, codingPath: [any CodingKey]) throws -> Data {
        Data(try bytes(of: value, codingPath: codingPath))
    }

    /// The bytes of a `Data` value as ``SplicedBytes`` (copied once, not through `Data`).
    func splicedBytes(_ value: BinaryValueRef, codingPath: [any CodingKey]) throws -> SplicedBytes {
        SplicedBytes(Array(try bytes(of: value, codingPath: codingPath)))
    }

    /// Where the bytes of a `Data` value lie in the buffer.
    private func bytes(of value: BinaryValueRef, codingPath: [any CodingKey]) throws -> UnsafeBufferPointer<UInt8> {
        guard value.tag == BinaryTag.bytes else { throw mismatch(Data.self, value, codingPath) }
        var position = value.start
        let count = try length(at: &position, codingPath: codingPath)
        return UnsafeBufferPointer(rebasing: buffer[position..<position + count])
    }

    func int64(_ value: BinaryValueRef, codingPath: [any CodingKey]) throws -> Int64 {
        var position = value.start
        switch value.tag {
        case BinaryTag.int:
            let raw = try varint(at: &position, codingPath: codingPath)
            return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        case BinaryTag.uint:
            let raw = try varint(at: &position, codingPath: codingPath)
            guard raw <= UInt64(Int64.max) else { throw corrupt(codingPath, "\(raw) does not fit Int64") }
            return Int64(raw)
        default: throw mismatch(Int64.self, value, codingPath)
        }
    }

    func uint64(_ value: BinaryValueRef, codingPath: [any CodingKey]) throws -> UInt64 {
        if value.tag == BinaryTag.uint {
            var position = value.start
            return try varint(at: &position, codingPath: codingPath)
        }
        let signed = try int64(value, codingPath: codingPath)
        guard signed >= 0 else { throw corrupt(codingPath, "\(signed) is negative") }
        return UInt64(signed)
    }

    func double(_ value: BinaryValueRef, codingPath: [any CodingKey]) throws -> Double {
        switch value.tag {
        case BinaryTag.double:
            var bits: UInt64 = 0
            for index in 0..<8 { bits |= UInt64(buffer[value.start + index]) << (8 * UInt64(index)) }
            return Double(bitPattern: bits)
        case BinaryTag.int, BinaryTag.uint: return Double(try int64(value, codingPath: codingPath))
        default: throw mismatch(Double.self, value, codingPath)
        }
    }

    func bool(_ value: BinaryValueRef, codingPath: [any CodingKey]) throws -> Bool {
        switch value.tag {
        case BinaryTag.true: return true
        case BinaryTag.false: return false
        default: throw mismatch(Bool.self, value, codingPath)
        }
    }

    func integer<T: FixedWidthInteger>(_ type: T.Type, _ value: BinaryValueRef, codingPath: [any CodingKey]) throws -> T {
        if T.isSigned {
            let wide = try int64(value, codingPath: codingPath)
            guard let narrow = T(exactly: wide) else { throw corrupt(codingPath, "\(wide) does not fit \(T.self)") }
            return narrow
        }
        let wide = try uint64(value, codingPath: codingPath)
        guard let narrow = T(exactly: wide) else { throw corrupt(codingPath, "\(wide) does not fit \(T.self)") }
        return narrow
    }

    /// The entries of a container: the count, then (for keyed) key and value pairs.
    func entries(of value: BinaryValueRef, keyed: Bool, codingPath: [any CodingKey]) throws -> (keys: [(start: Int, count: Int)], values: [BinaryValueRef]) {
        guard value.tag == (keyed ? BinaryTag.keyed : BinaryTag.unkeyed) else {
            throw corrupt(codingPath, "expected \(keyed ? "a keyed" : "an unkeyed") container, found tag \(value.tag)")
        }
        var position = value.start
        let size = try length(at: &position, codingPath: codingPath)
        let end = position + size
        let count = try varint(at: &position, codingPath: codingPath)
        guard count <= UInt64(size) else { throw corrupt(codingPath, "\(count) entries in \(size) bytes") }
        var keys: [(start: Int, count: Int)] = []
        var values: [BinaryValueRef] = []
        if keyed { keys.reserveCapacity(Int(count)) }
        values.reserveCapacity(Int(count))
        for _ in 0..<count {
            if keyed {
                let length = try length(at: &position, codingPath: codingPath)
                keys.append((position, length))
                position += length
            }
            values.append(try skipValue(at: &position, codingPath: codingPath))
        }
        guard position == end else { throw corrupt(codingPath, "container size mismatch") }
        return (keys, values)
    }

    func keyEquals(_ key: (start: Int, count: Int), _ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            bytes.count == key.count && (key.count == 0 || memcmp(bytes.baseAddress!, buffer.baseAddress! + key.start, key.count) == 0)
        }
    }

    func keyString(_ key: (start: Int, count: Int)) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buffer[key.start..<key.start + key.count]), as: UTF8.self)
    }

    private func mismatch(_ type: Any.Type, _ value: BinaryValueRef, _ codingPath: [any CodingKey]) -> DecodingError {
        DecodingError.typeMismatch(type, DecodingError.Context(codingPath: codingPath, debugDescription: "binary state: found tag \(value.tag)"))
    }
}

struct BinaryDecoding: Decoder {
    let reader: BinaryReader
    let value: BinaryValueRef
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let (keys, values) = try reader.entries(of: value, keyed: true, codingPath: codingPath)
        return KeyedDecodingContainer(BinaryKeyedDecoding<Key>(reader: reader, keys: keys, values: values, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (_, values) = try reader.entries(of: value, keyed: false, codingPath: codingPath)
        return BinaryUnkeyedDecoding(reader: reader, values: values, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        BinarySingleDecoding(reader: reader, value: value, codingPath: codingPath)
    }
}

/// Decodes a value, with the fast paths for the common leaves.
func decodeBinaryValue<T: Decodable>(_ type: T.Type, reader: BinaryReader, value: BinaryValueRef, codingPath: [any CodingKey]) throws -> T {
    if T.self == String.self { return unsafeBitCast(try reader.string(value, codingPath: codingPath), to: T.self) }
    if T.self == Int64.self { return unsafeBitCast(try reader.int64(value, codingPath: codingPath), to: T.self) }
    if T.self == Int.self { return unsafeBitCast(Int(try reader.int64(value, codingPath: codingPath)), to: T.self) }
    if T.self == Double.self { return unsafeBitCast(try reader.double(value, codingPath: codingPath), to: T.self) }
    if T.self == Data.self { return try reader.data(value, codingPath: codingPath) as! T }
    if T.self == SplicedBytes.self { return try reader.splicedBytes(value, codingPath: codingPath) as! T }
    return try T(from: BinaryDecoding(reader: reader, value: value, codingPath: codingPath))
}

struct BinaryKeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let reader: BinaryReader
    let keys: [(start: Int, count: Int)]
    let values: [BinaryValueRef]
    let codingPath: [any CodingKey]

    /// Key → entry for large containers (dictionaries): a linear scan would make decoding a
    /// dictionary quadratic. Small ones (struct fields) are scanned without building it.
    private let index: [String: Int]?

    init(reader: BinaryReader, keys: [(start: Int, count: Int)], values: [BinaryValueRef], codingPath: [any CodingKey]) {
        self.reader = reader
        self.keys = keys
        self.values = values
        self.codingPath = codingPath
        if keys.count > 16 {
            var index = [String: Int](minimumCapacity: keys.count)
            for position in keys.indices { index[reader.keyString(keys[position])] = position }
            self.index = index
        } else {
            self.index = nil
        }
    }

    var allKeys: [Key] { keys.compactMap { Key(stringValue: reader.keyString($0)) } }

    private func find(_ key: Key) -> BinaryValueRef? {
        let name = key.stringValue
        if let index { return index[name].map { values[$0] } }
        for position in keys.indices where reader.keyEquals(keys[position], name) { return values[position] }
        return nil
    }

    private func require(_ key: Key) throws -> BinaryValueRef {
        guard let value = find(key) else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(codingPath: codingPath, debugDescription: "binary state: no value for \(key.stringValue)"))
        }
        return value
    }

    func contains(_ key: Key) -> Bool { find(key) != nil }
    func decodeNil(forKey key: Key) throws -> Bool { try require(key).tag == BinaryTag.null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try reader.bool(require(key), codingPath: codingPath + [key]) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try reader.string(require(key), codingPath: codingPath + [key]) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try reader.double(require(key), codingPath: codingPath + [key]) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try reader.double(require(key), codingPath: codingPath + [key])) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try reader.integer(Int.self, require(key), codingPath: codingPath + [key]) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try reader.integer(Int8.self, require(key), codingPath: codingPath + [key]) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try reader.integer(Int16.self, require(key), codingPath: codingPath + [key]) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try reader.integer(Int32.self, require(key), codingPath: codingPath + [key]) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try reader.int64(require(key), codingPath: codingPath + [key]) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try reader.integer(UInt.self, require(key), codingPath: codingPath + [key]) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try reader.integer(UInt8.self, require(key), codingPath: codingPath + [key]) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try reader.integer(UInt16.self, require(key), codingPath: codingPath + [key]) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try reader.integer(UInt32.self, require(key), codingPath: codingPath + [key]) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try reader.uint64(require(key), codingPath: codingPath + [key]) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decodeBinaryValue(type, reader: reader, value: require(key), codingPath: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try BinaryDecoding(reader: reader, value: require(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try BinaryDecoding(reader: reader, value: require(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        guard let index = keys.firstIndex(where: { reader.keyEquals($0, "super") }) else {
            throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: codingPath, debugDescription: "binary state: no super value"))
        }
        return BinaryDecoding(reader: reader, value: values[index], codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        BinaryDecoding(reader: reader, value: try require(key), codingPath: codingPath + [key])
    }
}

struct BinaryUnkeyedDecoding: UnkeyedDecodingContainer {
    let reader: BinaryReader
    let values: [BinaryValueRef]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(reader: BinaryReader, values: [BinaryValueRef], codingPath: [any CodingKey]) {
        self.reader = reader
        self.values = values
        self.codingPath = codingPath
    }

    var count: Int? { values.count }
    var isAtEnd: Bool { currentIndex >= values.count }

    private mutating func next() throws -> BinaryValueRef {
        guard currentIndex < values.count else {
            throw DecodingError.valueNotFound(Any.self, DecodingError.Context(codingPath: codingPath, debugDescription: "binary state: unkeyed container is at its end"))
        }
        defer { currentIndex += 1 }
        return values[currentIndex]
    }

    mutating func decodeNil() throws -> Bool {
        guard currentIndex < values.count else { return false }
        if values[currentIndex].tag == BinaryTag.null { currentIndex += 1; return true }
        return false
    }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try reader.bool(next(), codingPath: codingPath) }
    mutating func decode(_ type: String.Type) throws -> String { try reader.string(next(), codingPath: codingPath) }
    mutating func decode(_ type: Double.Type) throws -> Double { try reader.double(next(), codingPath: codingPath) }
    mutating func decode(_ type: Float.Type) throws -> Float { Float(try reader.double(next(), codingPath: codingPath)) }
    mutating func decode(_ type: Int.Type) throws -> Int { try reader.integer(Int.self, next(), codingPath: codingPath) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try reader.int64(next(), codingPath: codingPath) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try reader.uint64(next(), codingPath: codingPath) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decodeBinaryValue(type, reader: reader, value: next(), codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try BinaryDecoding(reader: reader, value: next(), codingPath: codingPath).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try BinaryDecoding(reader: reader, value: next(), codingPath: codingPath).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        BinaryDecoding(reader: reader, value: try next(), codingPath: codingPath)
    }
}

struct BinarySingleDecoding: SingleValueDecodingContainer {
    let reader: BinaryReader
    let value: BinaryValueRef
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { value.tag == BinaryTag.null }
    func decode(_ type: Bool.Type) throws -> Bool { try reader.bool(value, codingPath: codingPath) }
    func decode(_ type: String.Type) throws -> String { try reader.string(value, codingPath: codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try reader.double(value, codingPath: codingPath) }
    func decode(_ type: Float.Type) throws -> Float { Float(try reader.double(value, codingPath: codingPath)) }
    func decode(_ type: Int.Type) throws -> Int { try reader.integer(Int.self, value, codingPath: codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try reader.integer(Int8.self, value, codingPath: codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try reader.integer(Int16.self, value, codingPath: codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try reader.integer(Int32.self, value, codingPath: codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try reader.int64(value, codingPath: codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try reader.integer(UInt.self, value, codingPath: codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try reader.integer(UInt8.self, value, codingPath: codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try reader.integer(UInt16.self, value, codingPath: codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try reader.integer(UInt32.self, value, codingPath: codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try reader.uint64(value, codingPath: codingPath) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decodeBinaryValue(type, reader: reader, value: value, codingPath: codingPath)
    }
}
