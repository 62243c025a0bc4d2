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
    /// The attributes with their partition counts, sorted by name: a forward's attribute is
    /// found by comparing names (the forward plan's own strings, equal at the first check),
    /// and its batch by position. Two dictionaries, keyed by the attribute and by the
    /// attribute and partition, hashed the attribute twice per forward.
    private var topics: [(attribute: String, partitions: Int)]
    /// The batch being gathered for each partition of each topic (by the positions above).
    private var batches: [[Repartition.CounterBatch?]]

    /// An empty outbox for repartition topics with these partition counts.
    public init(partitionCounts: [String: Int], maxRecordBytes: Int = 256 << 10) {
        self.partitionCounts = partitionCounts
        self.maxRecordBytes = maxRecordBytes
        topics = partitionCounts.keys.sorted().map { ($0, max(1, partitionCounts[$0]!)) }
        batches = topics.map { [Repartition.CounterBatch?](repeating: nil, count: $0.partitions) }
    }

    /// Adds an input forwarded from `offset` of input partition `partition`.
    /// - Returns: a batch that is full and must be sent now, with where to.
    public mutating func add(_ forward: Repartition.Forward, from partition: Int32, offset: Int64) -> (Destination, Repartition.CounterBatch)? {
        let topic = position(of: forward.attribute)
        let target = Int(KafkaPartitioner.consistent.partition(of: forward.key, partitions: topics[topic].partitions))
        gathered += 1
        // Appended in place; a full batch is handed back and the next one begun.
        if batches[topic][target] == nil { batches[topic][target] = Repartition.CounterBatch() }
        let size = batches[topic][target]!.append(partition: partition, offset: offset, input: forward.input)
        guard size >= maxRecordBytes, let full = batches[topic][target] else { return nil }
        batches[topic][target] = nil
        return (Destination(attribute: topics[topic].attribute, partition: Int32(target)), full)
    }

    /// The batches gathered and not yet handed back, ordered by destination; empties the outbox.
    public mutating func drain() -> [(Destination, Repartition.CounterBatch)] {
        var drained: [(Destination, Repartition.CounterBatch)] = []
        for topic in topics.indices {
            for target in batches[topic].indices {
                guard let batch = batches[topic][target] else { continue }
                drained.append((Destination(attribute: topics[topic].attribute, partition: Int32(target)), batch))
                batches[topic][target] = nil
            }
        }
        return drained
    }

    /// The position of `attribute` among the topics, added (one partition, in name order) if
    /// it is not listed.
    private mutating func position(of attribute: String) -> Int {
        if let position = topics.firstIndex(where: { $0.attribute == attribute }) { return position }
        let position = topics.firstIndex { $0.attribute > attribute } ?? topics.count
        topics.insert((attribute, 1), at: position)
        batches.insert([nil], at: position)
        return position
    }
}
