/// An owned copy of a consumed Kafka record.
///
/// The hot path reads records in place through ``KafkaRecord`` inside
/// ``KafkaConsumer/consumeBatch(maxMessages:timeout:_:)``; this type is for callers that need
/// to keep a record beyond that scope.
public struct KafkaMessage: Sendable, Hashable {
    /// Where the record was read.
    public var topicPartition: KafkaTopicPartition
    /// The record's offset in its partition.
    public var offset: Int64
    /// The record timestamp in milliseconds since the epoch, if any.
    public var timestampMilliseconds: Int64?
    /// The key bytes; `nil` for an unkeyed record.
    public var key: [UInt8]?
    /// The value bytes; `nil` for a tombstone.
    public var value: [UInt8]?
    /// The record headers.
    public var headers: [KafkaHeader]

    /// Creates a message.
    public init(topicPartition: KafkaTopicPartition, offset: Int64, timestampMilliseconds: Int64?, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader]) {
        self.topicPartition = topicPartition
        self.offset = offset
        self.timestampMilliseconds = timestampMilliseconds
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// The key as a UTF-8 string.
    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }
    /// The value as a UTF-8 string.
    public var valueString: String? { value.map { String(decoding: $0, as: UTF8.self) } }
}

/// A record to produce.
public struct KafkaOutgoingMessage: Sendable {
    /// The destination topic.
    public var topic: String
    /// An explicit partition, or `nil` to let the partitioner choose from the key.
    public var partition: Int32?
    /// The key bytes (used for partitioning).
    public var key: [UInt8]?
    /// The value bytes; `nil` produces a tombstone.
    public var value: [UInt8]?
    /// The headers.
    public var headers: [KafkaHeader]

    /// Creates a record to produce.
    public init(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader] = []) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// Creates a record from UTF-8 strings.
    public init(topic: String, partition: Int32? = nil, key: String?, value: String?, headers: [KafkaHeader] = []) {
        self.init(topic: topic, partition: partition, key: key.map { Array($0.utf8) }, value: value.map { Array($0.utf8) }, headers: headers)
    }
}

/// Where a produced record landed.
public struct KafkaDeliveryReport: Sendable, Hashable {
    /// The partition the record was written to.
    public var topicPartition: KafkaTopicPartition
    /// The offset assigned by the broker.
    public var offset: Int64
}
