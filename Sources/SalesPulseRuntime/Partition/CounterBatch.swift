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
        ///
        /// The entry is measured, written on the stack and appended to the record at once: an
        /// append per field and per string went through the array's general append each time,
        /// most of the cost of forwarding an input (BENCHMARKS.md, session 26).
        public mutating func append(partition: Int32, offset: Int64, input: CounterInput) -> Int {
            let source = UInt64(UInt32(bitPattern: partition))
            let position = UInt64(bitPattern: offset)
            let milliseconds = input.time.epochMilliseconds
            let time = UInt64(bitPattern: (milliseconds << 1) ^ (milliseconds >> 63))
            let attributes = UInt64(input.attributes.count)
            var size = EntryWriter.size(of: source) + EntryWriter.size(of: position) + 1 + EntryWriter.size(of: time) + EntryWriter.size(of: attributes)
            for attribute in input.attributes {
                size += EntryWriter.size(of: attribute.name) + EntryWriter.size(of: attribute.value)
            }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: size) { entry in
                var writer = EntryWriter(at: entry.baseAddress!)
                writer.write(source)
                writer.write(position)
                writer.write(byte: input.type.rawValue)
                writer.write(time)
                writer.write(attributes)
                for attribute in input.attributes {
                    writer.write(attribute.name)
                    writer.write(attribute.value)
                }
                precondition(writer.next == entry.baseAddress! + size, "a counter batch entry was measured wrong")
                bytes.append(contentsOf: UnsafeBufferPointer(entry))
            }
            count += 1
            return bytes.count
        }

        /// Writes an entry's fields into room measured for them: LEB128 varints, bytes, and
        /// strings as their UTF-8 length and bytes.
        struct EntryWriter {
            private(set) var next: UnsafeMutablePointer<UInt8>

            init(at start: UnsafeMutablePointer<UInt8>) { next = start }

            /// The bytes of `value` as a varint.
            static func size(of value: UInt64) -> Int { value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7 }

            /// The bytes of `string` as its length and UTF-8.
            static func size(of string: String) -> Int {
                let count = string.utf8.count
                return size(of: UInt64(count)) + count
            }

            mutating func write(_ value: UInt64) {
                var value = value
                while value >= 0x80 {
                    next.pointee = UInt8(truncatingIfNeeded: value) | 0x80
                    next += 1
                    value >>= 7
                }
                next.pointee = UInt8(value)
                next += 1
            }

            mutating func write(byte: UInt8) {
                next.pointee = byte
                next += 1
            }

            mutating func write(_ string: String) {
                var string = string
                string.withUTF8 { utf8 in
                    write(UInt64(utf8.count))
                    guard let bytes = utf8.baseAddress else { return }
                    next.update(from: bytes, count: utf8.count)
                    next += utf8.count
                }
            }
        }
    }
}
