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
            for attribute in input.attributes {
                bytes.appendString(attribute.name)
                bytes.appendString(attribute.value)
            }
            count += 1
            return bytes.count
        }
    }
}
