/// Typed configuration of a ``KafkaConsumer`` in a consumer group.
///
/// Each field documents the librdkafka property it sets. Anything not covered goes into
/// ``properties`` and is passed through unchanged (and wins over the typed fields).
public struct KafkaConsumerConfiguration: Sendable {
    /// Where to start when the group has no committed offset for a partition.
    public enum OffsetReset: String, Sendable {
        /// Read from the oldest retained record.
        case earliest
        /// Read only records produced after joining.
        case latest
        /// Fail: require a committed offset.
        case error
    }

    /// `bootstrap.servers`: comma-separated `host:port` list.
    public var bootstrapServers: String
    /// `group.id`: the consumer group.
    public var groupID: String
    /// `client.id`.
    public var clientID: String = "salespulse"
    /// `auto.offset.reset` (default earliest: a stream processor must not skip history).
    public var autoOffsetReset: OffsetReset = .earliest
    /// `session.timeout.ms`.
    public var sessionTimeoutMilliseconds: Int = 10_000
    /// `heartbeat.interval.ms`.
    public var heartbeatIntervalMilliseconds: Int = 1_000
    /// `max.poll.interval.ms`.
    public var maxPollIntervalMilliseconds: Int = 300_000
    /// `enable.auto.commit`: commits the offsets *stored* with ``KafkaConsumer/store(_:)``
    /// periodically. Offsets are never stored automatically (`enable.auto.offset.store=false`).
    public var enableAutoCommit: Bool = true
    /// `auto.commit.interval.ms`.
    public var autoCommitIntervalMilliseconds: Int = 2_000
    /// `queued.min.messages`: records prefetched. A group consumer forwards its partitions'
    /// queues to one queue, so this bounds all assigned partitions together. librdkafka 2.0.2's
    /// fetcher sleeps up to 1 s once the queue is full, so without ``boundedPrefetch`` it is kept
    /// large (see LIBRDKAFKA.md). Ignored when ``boundedPrefetch`` is set.
    public var queuedMinMessages: Int = 1_000_000
    /// Prefetch at most about this many records (for all assigned partitions together; a fetch
    /// response may overshoot it) and wake librdkafka's fetcher as soon as the consumer has
    /// drained the queue below it (``FetchWaker``), instead of the 1-second sleep. Bounds the
    /// memory of a consumer that is slower than its broker: with `nil` and the default
    /// ``queuedMinMessages`` a backlog of a million records is held in memory at once.
    /// Sets `queued.min.messages`.
    public var boundedPrefetch: Int?
    /// `queued.max.messages.kbytes`: prefetch bound per partition in KiB.
    public var queuedMaxMessagesKilobytes: Int = 262_144
    /// `fetch.wait.max.ms`.
    public var fetchWaitMaxMilliseconds: Int = 100
    /// `enable.partition.eof`: emit an end-of-partition event (off by default).
    public var enablePartitionEOF: Bool = false
    /// `allow.auto.create.topics` (only sent when `true`: older brokers and the mock cluster warn otherwise).
    public var allowAutoCreateTopics: Bool = false
    /// `reconnect.backoff.max.ms`: the longest wait between attempts to reach a broker that is
    /// down. librdkafka's 10 s default left a group idle up to 10 s after its broker was back
    /// (12 s from the broker's return to folding again on the embedded broker, 4 s with 1 s,
    /// the Java clients' default).
    public var reconnectBackoffMaxMilliseconds: Int = 1_000
    /// `log_level` (syslog levels, 0–7).
    public var logLevel: Int = 4
    /// Any other librdkafka property, passed through verbatim.
    public var properties: [String: String] = [:]

    /// Creates a configuration with defaults for everything but the brokers and the group.
    public init(bootstrapServers: String, groupID: String) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
    }

    /// The librdkafka properties this configuration stands for.
    public var librdkafkaProperties: [String: String] {
        var result: [String: String] = [
            "bootstrap.servers": bootstrapServers,
            "group.id": groupID,
            "client.id": clientID,
            "auto.offset.reset": autoOffsetReset.rawValue,
            "session.timeout.ms": String(sessionTimeoutMilliseconds),
            "heartbeat.interval.ms": String(heartbeatIntervalMilliseconds),
            "max.poll.interval.ms": String(maxPollIntervalMilliseconds),
            "enable.auto.commit": String(enableAutoCommit),
            "auto.commit.interval.ms": String(autoCommitIntervalMilliseconds),
            "enable.auto.offset.store": "false",
            "queued.min.messages": String(boundedPrefetch ?? queuedMinMessages),
            "queued.max.messages.kbytes": String(queuedMaxMessagesKilobytes),
            "fetch.wait.max.ms": String(fetchWaitMaxMilliseconds),
            "enable.partition.eof": String(enablePartitionEOF),
            "log_level": String(logLevel),
            "reconnect.backoff.max.ms": String(reconnectBackoffMaxMilliseconds),
        ]
        if allowAutoCreateTopics { result["allow.auto.create.topics"] = "true" }
        result.merge(properties) { _, passThrough in passThrough }
        return result
    }
}
