import SalesPulseModel
import SalesPulseProjections

extension Repartition {
    /// How far input partitions have got: every instance sends one to each partition of the
    /// counter repartition topics once a tick (when it changed), after the counter inputs it
    /// forwarded, for the input partitions it owns. A repartitioned partition evaluates its
    /// counter rules only as far as every input partition with records still to read has got (see
    /// ``PartitionProjector/completeThrough(sources:)``): inputs from a lagging input partition
    /// then arrive before the rules are judged on the seconds they belong to, not days after,
    /// so the alerts are the same whichever instance lags and when (Flink's watermarks travel
    /// through its shuffles the same way).
    ///
    /// Encoding: format byte `3`, then per input partition: partition (LEB128), flags (bit 0:
    /// caught up with the end of its log, bit 1: has a watermark), and the watermark (zig-zag
    /// LEB128 epoch milliseconds) when it has one.
    public struct Progress: Sendable, Equatable {
        /// One input partition's progress.
        public struct Source: Sendable, Hashable, Codable {
            public var partition: Int32
            /// The latest event time read from it (nil: none yet).
            public var watermark: EventTime?
            /// Whether it had been read to the end of its log.
            public var caughtUp: Bool

            public init(partition: Int32, watermark: EventTime?, caughtUp: Bool) {
                self.partition = partition
                self.watermark = watermark
                self.caughtUp = caughtUp
            }
        }

        /// The format byte that starts every progress record.
        public static let format: UInt8 = 3

        public var sources: [Source]

        public init(sources: [Source]) { self.sources = sources }

        /// The record value.
        public var bytes: [UInt8] {
            var bytes: [UInt8] = [Self.format]
            for source in sources {
                bytes.appendVarint(UInt64(UInt32(bitPattern: source.partition)))
                bytes.append((source.caughtUp ? 1 : 0) | (source.watermark == nil ? 0 : 2))
                if let milliseconds = source.watermark?.epochMilliseconds {
                    bytes.appendVarint(UInt64(bitPattern: (milliseconds << 1) ^ (milliseconds >> 63)))
                }
            }
            return bytes
        }

        /// Reads a progress record; nil when `bytes` is not one (or is cut short).
        public init?(decoding bytes: UnsafeRawBufferPointer) {
            guard bytes.count >= 1, bytes[0] == Self.format else { return nil }
            var reader = StateReader(Array(bytes))
            var sources: [Source] = []
            do {
                _ = try reader.readByte()
                while !reader.isAtEnd {
                    guard let partition = Int32(exactly: try reader.read()) else { return nil }
                    let flags = try reader.readByte()
                    guard flags & ~3 == 0 else { return nil }
                    let watermark = flags & 2 != 0 ? EventTime(epochMilliseconds: try reader.readInt64()) : nil
                    sources.append(Source(partition: partition, watermark: watermark, caughtUp: flags & 1 != 0))
                }
            } catch {
                return nil
            }
            self.sources = sources
        }
    }
}
