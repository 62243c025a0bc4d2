import CRdKafka
import Logging
import Synchronization

/// The embedded broker: librdkafka's mock cluster, serving the Kafka protocol over TCP on
/// 127.0.0.1. Any Kafka client can produce, consume and join consumer groups against it.
///
/// Limits (librdkafka 2.0.2): in memory, about 5 MiB retained per partition (older records are
/// evicted silently), no CreateTopics/DescribeConfigs admin API. Topics are auto-created on first
/// use or created with ``createTopic(_:partitions:)``.
public final class EmbeddedKafkaCluster: @unchecked Sendable {
    // @unchecked Sendable: the mock cluster runs on its own librdkafka thread and its API is
    // thread-safe; `destroyed` guards teardown.
    private let helper: OpaquePointer
    private let cluster: OpaquePointer
    private let context: RDKafkaCallbackContext
    private let destroyed = Atomic<Bool>(false)

    /// The brokers' `host:port` list, for `bootstrap.servers`.
    public let bootstrapServers: String

    /// How librdkafka's mock cluster begins its cluster id (a Kafka cluster's is a base64 UUID).
    public static let clusterIDPrefix = "mockCluster"

    /// True for the cluster id of an embedded broker (``KafkaAdmin/clusterID(timeout:)``), which
    /// keeps about 5 MiB per partition and implements no CreateTopics.
    public static func isEmbedded(clusterID: String) -> Bool { clusterID.hasPrefix(clusterIDPrefix) }

    /// Starts a cluster of `brokers` brokers on loopback with ephemeral ports.
    public init(brokers: Int = 1, logger: Logger = Logger(label: "salespulse.kafka.broker")) throws(KafkaError) {
        guard (1...32).contains(brokers) else {
            throw KafkaError(code: .embeddedBroker, message: "brokers=\(brokers) is out of range", hint: "Use 1 to 32 brokers.")
        }
        let conf = try RDKafkaConfiguration.make(["log_level": "3"])
        let context = RDKafkaCallbackContext(logger: logger)
        context.install(on: conf)
        let helper = try RDKafkaConfiguration.makeClient(type: RD_KAFKA_PRODUCER, conf: conf, role: "embedded broker helper")
        guard let cluster = rd_kafka_mock_cluster_new(helper, Int32(brokers)) else {
            rd_kafka_destroy(helper)
            throw KafkaError(code: .embeddedBroker, message: "could not start the mock cluster", hint: "Check that loopback sockets can be opened.")
        }
        self.helper = helper
        self.cluster = cluster
        self.context = context
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit { shutdown() }

    /// Creates a topic (replication factor is capped by the number of brokers).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let code = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rdKafka(code, context: "creating topic \(name) on the embedded broker")
        }
    }

    /// Makes every request on this topic fail with `error` (error injection for tests),
    /// given as a librdkafka error name such as `TOPIC_AUTHORIZATION_FAILED`; `nil` clears it.
    public func setTopicError(_ topic: String, errorName: String?) throws(KafkaError) {
        var code = RD_KAFKA_RESP_ERR_NO_ERROR
        if let errorName {
            guard let found = Self.errorCode(named: errorName) else {
                throw KafkaError(code: .embeddedBroker, message: "unknown librdkafka error name \(errorName)", hint: "Use a name from rd_kafka_err2name, e.g. TOPIC_AUTHORIZATION_FAILED.")
            }
            code = found
        }
        rd_kafka_mock_topic_set_error(cluster, topic, code)
    }

    /// Makes `broker` the leader of a partition (clients follow it through metadata).
    public func setLeader(of topic: String, partition: Int32, to broker: Int32) throws(KafkaError) {
        let code = rd_kafka_mock_partition_set_leader(cluster, topic, partition, broker)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(code, context: "making broker \(broker) the leader of \(topic) [\(partition)]") }
    }

    /// Makes `broker` the coordinator of consumer group `group` (by default the cluster picks
    /// one from the group's name): a test can take another broker down and keep the group.
    public func setCoordinator(ofGroup group: String, to broker: Int32) throws(KafkaError) {
        let code = rd_kafka_mock_coordinator_set(cluster, "group", group, broker)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(code, context: "making broker \(broker) the coordinator of group \(group)") }
    }

    /// Takes a broker down (connections are closed) or brings it back.
    public func setBroker(_ id: Int32, up: Bool) throws(KafkaError) {
        let code = up ? rd_kafka_mock_broker_set_up(cluster, id) : rd_kafka_mock_broker_set_down(cluster, id)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(code, context: "setting broker \(id) \(up ? "up" : "down")") }
    }

    /// Makes `broker` answer the next request of the Kafka protocol's type `apiKey` (e.g. 8,
    /// OffsetCommit) `delay` late: a call waiting for that answer stays inside librdkafka for as
    /// long, whatever the machine's load (for tests of what outlasts a bounded wait).
    public func delayNextRequest(ofType apiKey: Int16, by delay: Duration, broker: Int32 = 1) throws(KafkaError) {
        let code = salespulse_mock_delay_next_request(cluster, broker, apiKey, Int32(delay.milliseconds))
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdKafka(code, context: "delaying broker \(broker)'s answer to request type \(apiKey)") }
    }

    /// Makes the next `count` requests of the Kafka protocol's type `apiKey` (e.g. 0, Produce)
    /// fail with `errorName`, a librdkafka error name such as `TOPIC_AUTHORIZATION_FAILED`
    /// (error injection for tests: a producer's records fail as a cluster that refuses them
    /// would fail them).
    public func failNextRequests(ofType apiKey: Int16, count: Int = 1, with errorName: String) throws(KafkaError) {
        guard let code = Self.errorCode(named: errorName) else {
            throw KafkaError(code: .embeddedBroker, message: "unknown librdkafka error name \(errorName)", hint: "Use a name from rd_kafka_err2name, e.g. TOPIC_AUTHORIZATION_FAILED.")
        }
        let errors = [rd_kafka_resp_err_t](repeating: code, count: count)
        rd_kafka_mock_push_request_errors_array(cluster, apiKey, errors.count, errors)
    }

    /// Forgets the failures ``failNextRequests(ofType:count:with:)`` left for requests of type
    /// `apiKey`: they are answered again.
    public func clearRequestFailures(ofType apiKey: Int16) {
        rd_kafka_mock_clear_request_errors(cluster, apiKey)
    }

    /// Stops the cluster. Idempotent.
    public func shutdown() {
        guard !destroyed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(helper)
        withExtendedLifetime(context) {}
    }

    static func errorCode(named name: String) -> rd_kafka_resp_err_t? {
        var descriptions: UnsafePointer<rd_kafka_err_desc>?
        var count = 0
        rd_kafka_get_err_descs(&descriptions, &count)
        guard let descriptions else { return nil }
        for index in 0..<count {
            if let descriptionName = descriptions[index].name, String(cString: descriptionName) == name {
                return descriptions[index].code
            }
        }
        return nil
    }
}
