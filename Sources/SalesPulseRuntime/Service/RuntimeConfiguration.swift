import CoreMetrics
import Foundation
import SalesPulseKafka
import SalesPulseModel

/// How `salespulse run` (and the demo) runs the projections.
public struct RuntimeConfiguration: Sendable {
    /// Kafka bootstrap servers.
    public var bootstrapServers: String
    /// Input topic.
    public var topic: String = "sales.events"
    /// Where rejected input records go; nil: `<topic>.dlq` (``DeadLetter/topic(for:)``).
    public var deadLetterTopic: String?
    /// Where alert changes go (``AlertEvent``).
    public var alertsTopic: String = AlertEvent.topic
    /// Consumer group: instances with the same group share the partitions.
    public var group: String = RuntimeConfiguration.defaultGroup
    /// The consumer group when none is given (`run --group`'s default).
    public static let defaultGroup = "salespulse"
    /// Where partition checkpoints live: each group in a folder of its own in it
    /// (``checkpointDirectory``).
    public var stateDirectory: String = "state"
    /// The folder of this group's checkpoints: `<stateDirectory>/<group>`. Groups are kept apart
    /// (as Kafka Streams keeps application ids): an input partition's checkpoint holds how far
    /// its group forwarded counter inputs to the group's own repartition topics, so another
    /// group restoring it would skip forwarding what came before and count less.
    public var checkpointDirectory: String { stateDirectory + "/" + Self.folderName(forGroup: group) }

    /// A group id as a folder name: letters, digits, `.`, `_` and `-` as they are, any other
    /// byte as `%XX` (a Kafka group id may hold `/`), and `.` or `..` as `%2E` each.
    static func folderName(forGroup group: String) -> String {
        if !group.isEmpty, group.allSatisfy({ $0 == "." }) { return String(repeating: "%2E", count: group.count) }
        var name = ""
        for byte in group.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                name.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                name += "%" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return name.isEmpty ? "%" : name
    }
    /// Minimum time between periodic checkpoints. They are written off the consume thread from
    /// copy-on-write snapshots; a round still being written when the next is due delays it, and
    /// rounds are spaced at least ten times the last one's duration apart (~10% of a core).
    public var checkpointIntervalMilliseconds: Int64 = 5_000
    /// Live mode: partitions with no event for `idleAfterMilliseconds` advance their timers with
    /// the wall clock. Replay mode (false) uses event time only.
    public var live: Bool = true
    public var idleAfterMilliseconds: Int64 = 5_000
    /// The process configuration.
    public var process: ProcessConfiguration
    /// Validation limits.
    public var validation = ValidationPolicy()
    /// Most records per consume batch. Large enough that a batch usually spans several
    /// partitions (librdkafka queues a fetch partition by partition, ~3,000 records each), so
    /// the fold threads have whole partitions to share; a batch only takes what is queued.
    public var batchSize: Int = 16_384
    /// At least this many records waiting in the owned partitions (their consumer lag, as of the
    /// last tick) mean the runtime is catching up. A periodic checkpoint taken then is encoded in
    /// place between two batches, a short pause, rather than from copy-on-write snapshots written
    /// in the background: the fold goes on changing nearly every customer while they are, and
    /// copies each change's share of the state, so a round would copy almost all of it (session
    /// 33 in BENCHMARKS.md). Below it (a live stream) the snapshots are kept: they cost no pause.
    /// 0: always in place; `Int64.max`: never.
    public var inPlaceCheckpointMinimumLag: Int64 = 10_000
    /// Fold counters through repartition topics (`salespulse.<group>.repartition.<attribute>`),
    /// so each counter group is folded at exactly one instance and counters and counter rules are
    /// exact with any number of instances. Off: each input partition folds its own counters,
    /// exact only when one instance owns every partition (saves producing and consuming the
    /// counted events a second time).
    public var repartitionCounters: Bool = true
    /// Partitions of the repartition topics this runtime creates (through CreateTopics); nil for
    /// the input topic's count, as Kafka Streams does. Fewer cost the clients and brokers less
    /// (on the soak's events 4 partitions per topic instead of 64 saved 0.5 – 0.8 µs of
    /// librdkafka's and the broker's time per input event, BENCHMARKS.md session 44) but let fewer instances
    /// share the counter groups. Topics that exist keep their count; the embedded broker, which
    /// has no CreateTopics, creates missing ones with 4 (`salespulse broker --topic` makes them
    /// beforehand).
    public var repartitionPartitions: Int? = nil
    /// Replication factor of the topics this runtime creates through CreateTopics (the
    /// repartition topics, and the dead-letter, alerts and membership topics when missing);
    /// nil for the cluster's own `default.replication.factor` (Kafka 2.4 and later), as Kafka
    /// Streams does since 3.0. Until session 60 they were created with 1, so on a cluster of
    /// three brokers with three copies of everything else, one lost disk lost the counted
    /// inputs forwarded to a repartition topic and not yet folded. Where the cluster cannot take
    /// nil (before 2.4) the runtime asks for the smaller of 3 and the brokers it knows. Topics
    /// that exist keep theirs; the embedded broker has no CreateTopics.
    public var topicReplicationFactor: Int? = nil
    /// The largest replication factor Kafka takes (an INT16 in CreateTopics).
    public static let maximumReplicationFactor = Int(Int16.max)
    /// Where operational metrics go (swift-metrics). Nil: a Prometheus registry per runtime,
    /// exposed on `/metrics` (see ``RuntimeMetrics``).
    public var metricsFactory: (any MetricsFactory)? = nil
    /// Threads that decode and fold a batch, each taking whole partitions (the consume thread
    /// is one of them). Default: the active processor count, at most 4.
    public var foldThreads: Int = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))
    /// Batches smaller than this are folded on the consume thread alone (waking helpers for a
    /// trickle of live records costs more than it saves).
    public var parallelFoldMinimumBatch: Int = 256
    /// Records the consumer prefetches from the brokers at most (all owned partitions together;
    /// a fetch response may overshoot it), see ``KafkaConsumerConfiguration/boundedPrefetch``;
    /// `nil` for librdkafka's own prefetch of up to a million records.
    ///
    /// A backlog stays in the brokers instead of in this process's memory. Without a bound the
    /// first million records of a backlog are held at once (~340 bytes each with 306-byte
    /// events), and the kernel zeroing that fresh memory for librdkafka's fetch buffers took a
    /// tenth to a fifth of the job's CPU (BENCHMARKS.md, sessions 13 and 24). With the default
    /// bound the buffers are reused: on the realistic backlog (`scripts/backlog.py`) the run
    /// took 6.65 CPU seconds on average instead of 7.75 and peaked at 584 – 625 MB instead of
    /// 700 – 862 MB in six alternating pairs (session 24). A live consumer keeps up and never
    /// reaches the bound.
    public var prefetchRecords: Int? = RuntimeConfiguration.defaultPrefetchRecords

    /// The default of ``prefetchRecords``.
    public static let defaultPrefetchRecords = 50_000
    /// `fetch.wait.max.ms` of the input consumer: bounds end-to-end latency at low rates.
    public var fetchWaitMaxMilliseconds: Int = 10
    /// `message.timeout.ms` of the producer of dead letters, forwards and alerts: how long a
    /// record may wait for the cluster before librdkafka gives up on it; 0 (the default) waits
    /// as long as it takes. A record given up on ends the run without a checkpoint past its
    /// input (see ``ProjectorRuntime/run()``), so a timeout only turns an outage the run would
    /// ride out into a restart: checkpoints wait for every record produced before them anyway.
    public var deliveryTimeoutMilliseconds: Int = 0
    /// How long a checkpoint (periodic, a revocation's, the final one) waits for the cluster to
    /// acknowledge the records produced before it. Unacknowledged then, it is not written
    /// (`salespulse_checkpoints_skipped_total`): a periodic round is tried again later, revoked
    /// partitions are dropped unsaved, and at a stop the checkpoints before stand. The wait also
    /// ends once every broker has been down for 5 s.
    public var acknowledgementWaitMilliseconds: Int64 = 30_000
    /// How long the start waits for the cluster to answer before it fails, saying it cannot
    /// reach it (a cluster starting alongside gets this long).
    public var clusterWaitMilliseconds: Int64 = 30_000
    /// `session.timeout.ms` of the group consumer: how long the group waits for a silent
    /// instance (one killed, or cut off) before its partitions move. Nil: automatic (see
    /// ``sessionTimeoutMilliseconds(onEmbeddedBroker:)``).
    public var sessionTimeoutMilliseconds: Int? = nil

    /// The session timeout on a Kafka cluster when none is configured: 10 s, the client
    /// default before Kafka 3.0 (a cluster refuses less than its `group.min.session.timeout.ms`,
    /// 6 s by default).
    public static let clusterSessionTimeoutMilliseconds = 10_000
    /// The session timeout on the embedded broker when none is configured. librdkafka's mock
    /// cluster holds every rebalance of a group that is up — an instance joining, leaving or
    /// timed out — for the session timeout less a second before it assigns partitions again,
    /// where a Kafka broker goes on as soon as every member has rejoined: with 10 s, adding or
    /// stopping an instance stopped the whole group for 9 s, and a killed one for up to 19 s
    /// (BENCHMARKS.md, session 45). Heartbeats go every second.
    public static let embeddedBrokerSessionTimeoutMilliseconds = 4_000

    /// The session timeout to use: the configured one, or the default for the kind of broker.
    public func sessionTimeoutMilliseconds(onEmbeddedBroker embedded: Bool) -> Int {
        sessionTimeoutMilliseconds ?? (embedded ? Self.embeddedBrokerSessionTimeoutMilliseconds : Self.clusterSessionTimeoutMilliseconds)
    }

    /// This instance's id in the group's partition directory (unique per process by default).
    public var instanceID: String = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UInt16.random(in: .min ... .max))"
    /// Where this instance serves HTTP (`http://host:port`). When set, the instance publishes
    /// its partition ownership to `salespulse.<group>.members` and follows the other
    /// instances', so a query for a customer owned elsewhere is redirected there.
    public var advertisedURL: String?
    /// How upstream producers map keys (customer ids) to partitions: librdkafka's default
    /// `consistent` (CRC-32) or the Java client's `murmur2`.
    public var keyPartitioner: KafkaPartitioner = .consistent

    /// librdkafka properties for every client the runtime creates (TLS, SASL, `client.rack`...):
    /// what it takes to reach a secured cluster. Those SalesPulse sets itself cannot be given
    /// (``KafkaClientProperties/reserved``).
    public var kafkaProperties = KafkaClientProperties()

    /// The admin client's configuration (topics, metadata, where logs end).
    public var adminConfiguration: KafkaAdminConfiguration {
        var admin = KafkaAdminConfiguration(bootstrapServers: bootstrapServers)
        kafkaProperties.add(to: &admin.properties)
        return admin
    }

    /// The group consumer's configuration, on the embedded broker or a Kafka cluster.
    public func consumerConfiguration(onEmbeddedBroker: Bool) -> KafkaConsumerConfiguration {
        var consumer = KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, groupID: group)
        consumer.sessionTimeoutMilliseconds = sessionTimeoutMilliseconds(onEmbeddedBroker: onEmbeddedBroker)
        // Low fetch wait: dashboards want T+0. The broker answers a fetch after at most this long
        // even when little data is waiting (at high rates fetches fill up long before).
        consumer.fetchWaitMaxMilliseconds = fetchWaitMaxMilliseconds
        consumer.boundedPrefetch = prefetchRecords
        kafkaProperties.add(to: &consumer.properties)
        return consumer
    }

    /// The configuration of the producer of dead letters, forwards, alerts and partition claims.
    public var producerConfiguration: KafkaProducerConfiguration {
        var producer = KafkaProducerConfiguration(bootstrapServers: bootstrapServers)
        producer.messageTimeoutMilliseconds = deliveryTimeoutMilliseconds
        kafkaProperties.add(to: &producer.properties)
        return producer
    }

    public init(bootstrapServers: String, process: ProcessConfiguration) {
        self.bootstrapServers = bootstrapServers
        self.process = process
    }
}
