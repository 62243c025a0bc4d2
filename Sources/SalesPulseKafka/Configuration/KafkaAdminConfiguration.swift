/// Typed configuration of a ``KafkaAdmin`` client.
public struct KafkaAdminConfiguration: Sendable {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    public var bootstrapServers: String
    /// `client.id`.
    public var clientID: String = "salespulse-admin"
    /// `log_level` (syslog levels, 0–7).
    public var logLevel: Int = 4
    /// `reconnect.backoff.max.ms` (see ``KafkaConsumerConfiguration/reconnectBackoffMaxMilliseconds``).
    public var reconnectBackoffMaxMilliseconds: Int = 1_000
    /// Any other librdkafka property, passed through verbatim.
    public var properties: [String: String] = [:]

    /// Creates a configuration with defaults for everything but the brokers.
    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
    }

    /// The librdkafka properties this configuration stands for.
    public var librdkafkaProperties: [String: String] {
        var result = ["bootstrap.servers": bootstrapServers, "client.id": clientID, "log_level": String(logLevel),
                      "reconnect.backoff.max.ms": String(reconnectBackoffMaxMilliseconds)]
        result.merge(properties) { _, passThrough in passThrough }
        return result
    }
}

/// A topic to create.
public struct KafkaNewTopic: Sendable, Hashable {
    /// The topic name.
    public var name: String
    /// Number of partitions.
    public var partitions: Int32
    /// Replication factor.
    public var replicationFactor: Int32
    /// Topic configuration (e.g. `retention.ms`, `cleanup.policy`).
    public var config: [String: String]

    /// Creates a topic description.
    public init(name: String, partitions: Int32, replicationFactor: Int32 = 1, config: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.config = config
    }
}

/// Cluster metadata as seen by a client.
public struct KafkaClusterMetadata: Sendable, Hashable {
    /// A broker.
    public struct Broker: Sendable, Hashable {
        public var id: Int32
        public var host: String
        public var port: Int32
    }
    /// A topic with its partitions.
    public struct Topic: Sendable, Hashable {
        public var name: String
        public var partitions: [Int32]
        /// Set when the broker reported an error for this topic.
        public var error: String?
    }
    /// The brokers.
    public var brokers: [Broker]
    /// The topics.
    public var topics: [Topic]
}
