import SalesPulseKafka

/// Gathers the counter inputs one consumed batch forwards into one ``Repartition/CounterBatch``
/// per partition of each repartition topic: a batch is handed back to be sent as soon as it
/// reaches ``maxRecordBytes``, and ``drain()`` hands back the rest at the end of the batch.
///
/// The partition of an input is the CRC-32 of its key modulo the topic's partition count
/// (``KafkaPartitioner/consistent``), so every instance sends a key to the same partition.
public struct RepartitionOutbox: Sendable {
    /// A partition of a repartition topic, named by its attribute.
    public struct Destination: Sendable, Hashable, Comparable {
        public var attribute: String
        public var partition: Int32

        public init(attribute: String, partition: Int32) {
            self.attribute = attribute
            self.partition = partition
        }

        public static func < (a: Destination, b: Destination) -> Bool {
            (a.attribute, a.partition) < (b.attribute, b.partition)
        }
    }

    /// Partitions of each attribute's repartition topic (1 for an attribute not listed).
    public let partitionCounts: [String: Int]
    /// A batch is handed back once its record reaches this size (the broker's default limit
    /// is 1 MiB).
    public let maxRecordBytes: Int
    /// Inputs gathered so far.
    public private(set) var gathered = 0
    private var batches: [Destination: Repartition.CounterBatch] = [:]

    /// An empty outbox for repartition topics with these partition counts.
    public init(partitionCounts: [String: Int], maxRecordBytes: Int = 256 << 10) {
        self.partitionCounts = partitionCounts
        self.maxRecordBytes = maxRecordBytes
    }

    /// Adds an input forwarded from `offset` of input partition `partition`.
    /// - Returns: a batch that is full and must be sent now, with where to.
    public mutating func add(_ forward: Repartition.Forward, from partition: Int32, offset: Int64) -> (Destination, Repartition.CounterBatch)? {
        let destination = Destination(attribute: forward.attribute, partition: KafkaPartitioner.consistent.partition(of: forward.key, partitions: partitionCounts[forward.attribute] ?? 1))
        gathered += 1
        // Appended in place (one lookup); a full batch is handed back and the next one begun.
        let size = batches[destination, default: Repartition.CounterBatch()].append(partition: partition, offset: offset, input: forward.input)
        guard size >= maxRecordBytes, let full = batches.removeValue(forKey: destination) else { return nil }
        return (destination, full)
    }

    /// The batches gathered and not yet handed back, ordered by destination; empties the outbox.
    public mutating func drain() -> [(Destination, Repartition.CounterBatch)] {
        defer { batches = [:] }
        return batches.keys.sorted().map { ($0, batches[$0]!) }
    }
}
