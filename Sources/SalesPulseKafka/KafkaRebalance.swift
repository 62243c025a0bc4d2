/// What the consumer group asks of this member during a rebalance.
///
/// The handler runs synchronously on the consume thread, inside a consume call, before
/// librdkafka applies the change. On ``assigned(_:)`` it may return start offsets per
/// partition (e.g. from a checkpoint); on ``revoked(_:lost:)`` it should make its effects
/// durable (checkpoint, store offsets) before returning — offsets are committed right after.
public enum KafkaRebalanceEvent: Sendable, Equatable {
    /// These partitions are now owned by this member.
    case assigned([KafkaTopicPartition])
    /// These partitions are taken away. `lost` means another member may already own them
    /// (session timeout): do not commit, just drop the state.
    case revoked([KafkaTopicPartition], lost: Bool)
}

/// A rebalance handler: returns the offsets to start from for assigned partitions
/// (partitions left out start from the committed offset or `auto.offset.reset`).
public typealias KafkaRebalanceHandler = @Sendable (KafkaRebalanceEvent) -> [KafkaTopicPartition: Int64]
