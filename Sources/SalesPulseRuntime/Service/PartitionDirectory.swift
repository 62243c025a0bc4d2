import Foundation
import Logging
import SalesPulseKafka
import Synchronization

/// Which instance of a consumer group owns which input partition, so that a query for a key
/// owned elsewhere can be redirected to the instance that holds its state.
///
/// Kafka is the coordination service: after every rebalance each instance publishes a
/// ``Claim`` (its id, its HTTP URL, the partitions it now owns) to the membership topic
/// `salespulse.<group>.members`, keyed by instance id, and every instance reads that topic
/// from the beginning. A partition's owner is the instance with the most recent claim that
/// still lists it; an instance stopping cleanly publishes an empty claim. After a crash the
/// partition's next owner claims it once the group has rebalanced, which supersedes the stale
/// claim (until then lookups answer with the last known owner, which may be gone).
public final class PartitionDirectory: Sendable {
    /// One instance's ownership, as published on the membership topic.
    public struct Claim: Codable, Sendable, Equatable {
        /// The instance id (unique per process).
        public var instance: String
        /// Where the instance serves HTTP (`http://host:port`), if it does.
        public var url: String?
        /// The input topic.
        public var topic: String
        /// The partitions the instance owns now.
        public var partitions: [Int32]
        /// When the claim was made (wall clock, epoch milliseconds).
        public var at: Int64

        public init(instance: String, url: String?, topic: String, partitions: [Int32], at: Int64) {
            self.instance = instance
            self.url = url
            self.topic = topic
            self.partitions = partitions
            self.at = at
        }
    }

    /// The membership topic of a consumer group.
    public static func topic(group: String) -> String { "salespulse.\(group).members" }

    private let claims = Mutex<[String: Claim]>([:])
    private let partitionCounts = Mutex<[String: Int]>([:])
    private let stopping = Atomic<Bool>(false)
    private let bootstrapServers: String
    private let kafkaProperties: KafkaClientProperties
    private let group: String
    private let instance: String
    private let logger: Logger
    private let metadataConsumer = Mutex<KafkaConsumer?>(nil)

    /// Creates a directory for `group`; call ``run()`` to follow the membership topic.
    /// - Parameter kafkaProperties: connection properties for its consumer (TLS, SASL...).
    public init(bootstrapServers: String, group: String, instance: String, kafkaProperties: KafkaClientProperties = KafkaClientProperties(), logger: Logger = Logger(label: "salespulse.directory")) {
        self.bootstrapServers = bootstrapServers
        self.kafkaProperties = kafkaProperties
        self.group = group
        self.instance = instance
        self.logger = logger
    }

    /// Records a claim, keeping each instance's most recent one.
    public func record(_ claim: Claim) {
        claims.withLock { claims in
            if let known = claims[claim.instance], known.at > claim.at { return }
            claims[claim.instance] = claim
        }
    }

    /// The latest claim listing `partition` of `topic`, if any.
    public func owner(of partition: Int32, topic: String) -> Claim? {
        claims.withLock { claims in
            claims.values.filter { $0.topic == topic && $0.partitions.contains(partition) }
                .max { ($0.at, $0.instance) < ($1.at, $1.instance) }
        }
    }

    /// Every instance's latest claim, by instance id.
    public var allClaims: [Claim] { claims.withLock { $0.values.sorted { $0.instance < $1.instance } } }

    /// The partition count of `topic` (cached after the first metadata request).
    public func partitionCount(of topic: String) throws -> Int {
        if let count = partitionCounts.withLock({ $0[topic] }) { return count }
        guard let consumer = metadataConsumer.withLock({ $0 }) else { throw KafkaError(code: .connection, isRetriable: true, message: "the partition directory is not connected yet", hint: "retry in a moment") }
        let count = try consumer.partitionCount(of: topic)
        partitionCounts.withLock { $0[topic] = count }
        return count
    }

    /// Publishes this instance's claim (through `producer`) and records it locally at once.
    public func announce(_ claim: Claim, with producer: KafkaProducer) {
        record(claim)
        do {
            let value = try JSONEncoder().encode(claim)
            try producer.enqueue(KafkaOutgoingMessage(topic: Self.topic(group: group), key: Array(claim.instance.utf8), value: Array(value)))
        } catch {
            logger.warning("could not publish partition ownership: \(error)")
        }
    }

    /// Stops ``run()``.
    public func stop() { stopping.store(true, ordering: .releasing) }

    /// Follows the membership topic until ``stop()``, on a dedicated thread.
    public func run() async throws {
        try await DedicatedThread.run(name: "salespulse.directory") { [self] in try loop() }
    }

    private func loop() throws {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, groupID: "\(group).members.\(instance)")
        configuration.properties["auto.offset.reset"] = "earliest"
        configuration.properties["enable.auto.commit"] = "false"
        configuration.fetchWaitMaxMilliseconds = 50
        kafkaProperties.add(to: &configuration.properties)
        let consumer = try KafkaConsumer(configuration: configuration, maxBatchSize: 256, logger: logger)
        metadataConsumer.withLock { $0 = consumer }
        defer {
            metadataConsumer.withLock { $0 = nil }
            consumer.close()
        }
        try consumer.subscribe(to: [Self.topic(group: group)])
        let decoder = JSONDecoder()
        while !stopping.load(ordering: .acquiring) {
            try consumer.consumeBatch(maxMessages: 256, timeout: .milliseconds(100)) { batch in
                for message in batch {
                    guard let value = message.value, let claim = try? decoder.decode(Claim.self, from: Data(value)) else {
                        logger.warning("ignoring an unreadable ownership record at \(message.topicPartition)@\(message.offset)")
                        continue
                    }
                    record(claim)
                }
            }
        }
    }
}

/// Where a customer's state lives in a group of instances.
public enum CustomerLocation: Sendable, Equatable {
    /// In a partition this instance owns (or no directory is used).
    case local
    /// In a partition owned by another instance, serving HTTP at `url`.
    case remote(url: String, instance: String, partition: Int32)
    /// Not known yet (no claim seen, or the owner serves no HTTP): why.
    case unknown(reason: String)
}
