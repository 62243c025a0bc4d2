/// A partition of a topic, the unit of ownership and ordering in Kafka.
public struct KafkaTopicPartition: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The topic name.
    public var topic: String
    /// The partition number, from 0.
    public var partition: Int32

    /// Creates a topic-partition pair.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)/\(partition)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// A position in a partition: the offset of the next message to read or the last one stored.
public struct KafkaPartitionOffset: Hashable, Sendable, CustomStringConvertible {
    /// The partition.
    public var topicPartition: KafkaTopicPartition
    /// The offset. Kafka convention: a committed offset is the offset of the *next* message.
    public var offset: Int64

    /// Creates a partition offset.
    public init(_ topicPartition: KafkaTopicPartition, offset: Int64) {
        self.topicPartition = topicPartition
        self.offset = offset
    }

    public var description: String { "\(topicPartition)@\(offset)" }
}
