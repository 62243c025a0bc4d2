import SalesPulseModel
import SalesPulseProjections

extension Repartition {
    /// The counter inputs of one consumed batch bound for one partition of a repartition topic,
    /// in one record. Forwarding one record per input doubled the records the cluster carries and
    /// halved the end-to-end rate; a batch record costs the broker and both clients about what
    /// one small record does.
    ///
    /// Each entry names the input partition and offset it came from: the repartitioned side folds
    /// an entry only if its offset is above the highest it folded from that input partition.
    ///
    /// Encoding: format byte `2`, then entries up to the end of the value, each: input partition
    /// (LEB128), offset (LEB128), type (one byte, the catalogue index), time (zig-zag LEB128 epoch
    /// milliseconds), attribute count (LEB128), then name and value pairs (LEB128 length +
    /// UTF-8), names sorted.
    public struct CounterBatch: Sendable, Equatable {
        /// One forwarded input and where it came from.
        public struct Entry: Sendable, Equatable {
            /// The input partition.
            public var partition: Int32
            /// The input record's offset.
            public var offset: Int64
            public var input: CounterInput

            public init(partition: Int32, offset: Int64, input: CounterInput) {
                self.partition = partition
                self.offset = offset
                self.input = input
            }
        }

        /// The format byte that starts every batch record.
        public static let format: UInt8 = 2

        /// The record value so far.
        public private(set) var bytes: [UInt8] = [Self.format]
        /// Entries appended.
        public private(set) var count = 0

        /// Creates an empty batch.
        public init() {}

        /// Appends an input forwarded from `offset` of input partition `partition`.
        /// - Returns: the record's size in bytes now.
        @discardableResult
        public mutating func append(partition: Int32, offset: Int64, input: CounterInput) -> Int {
            bytes.appendVarint(UInt64(UInt32(bitPattern: partition)))
            bytes.appendVarint(UInt64(bitPattern: offset))
            bytes.append(input.type.rawValue)
            let milliseconds = input.time.epochMilliseconds
            bytes.appendVarint(UInt64(bitPattern: (milliseconds << 1) ^ (milliseconds >> 63)))
            bytes.appendVarint(UInt64(input.attributes.count))
            if input.attributes.count == 1, let (name, value) = input.attributes.first {
                bytes.appendString(name)
                bytes.appendString(value)
            } else {
                for (name, value) in input.attributes.sorted(by: { $0.key < $1.key }) {
                    bytes.appendString(name)
                    bytes.appendString(value)
                }
            }
            count += 1
            return bytes.count
        }

        /// The entries of a record value, in order; nil when it is not a batch of this format
        /// (or is cut short).
        public static func entries(decoding bytes: UnsafeRawBufferPointer) -> [Entry]? {
            guard bytes.count >= 1, bytes[0] == format else { return nil }
            var position = 1
            func varint() -> UInt64? {
                var result: UInt64 = 0
                var shift: UInt64 = 0
                while position < bytes.count, shift < 64 {
                    let byte = bytes[position]
                    position += 1
                    result |= UInt64(byte & 0x7F) << shift
                    if byte < 0x80 { return result }
                    shift += 7
                }
                return nil
            }
            func string() -> String? {
                guard let length = varint(), length <= UInt64(bytes.count - position) else { return nil }
                defer { position += Int(length) }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<position + Int(length)]), as: UTF8.self)
            }
            var entries: [Entry] = []
            while position < bytes.count {
                guard let partition = varint(), partition <= UInt64(Int32.max), let offset = varint(), offset <= UInt64(Int64.max),
                      position < bytes.count, let type = SalesEventType(rawValue: bytes[position]) else { return nil }
                position += 1
                guard let zigzag = varint(), let count = varint(), count <= UInt64(bytes.count) else { return nil }
                var attributes: [String: String] = [:]
                for _ in 0..<count {
                    guard let name = string(), let value = string() else { return nil }
                    attributes[name] = value
                }
                let time = EventTime(epochMilliseconds: Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1))))
                entries.append(Entry(partition: Int32(partition), offset: Int64(offset), input: CounterInput(type: type, time: time, attributes: attributes)))
            }
            return entries
        }
    }
}
