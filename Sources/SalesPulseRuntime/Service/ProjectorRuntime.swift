import Foundation
import Logging
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
import Synchronization

/// Runs the projections over the partitions this instance owns in the consumer group.
///
/// ## Threads
/// One dedicated *consume thread* runs ``run()``'s loop: consume a batch; decode, validate,
/// de-duplicate and fold its records on the ``FoldWorkers`` (the consume thread and helpers,
/// whole partitions each); send rejected records to the DLQ, counter inputs and rep exits to
/// the repartition topics (``Repartition``) and alert changes to `salespulse.alerts`; store
/// offsets, checkpoint periodically (partitions shared out among the fold threads) and advance
/// timers. The input topic and the group's repartition topics are consumed together. Rebalance
/// callbacks run on the same thread: on revocation partitions are checkpointed and dropped; on
/// assignment they are restored from their checkpoint (and consumption seeks to its offset) or
/// rebuilt by replaying the partition from the beginning. Queries (``customer(_:)``,
/// ``metrics(now:)``, ``openAlerts()``…) lock the partition table briefly; the consume
/// thread holds that lock once per batch, never per record.
///
/// ## Files
/// This file holds the state and the public surface; the work is in extensions, one concern
/// each: `+ConsumeLoop` (the loop and the stop), `+BatchFold` (a batch on the fold workers),
/// `+Rebalance`, `+Checkpoints`, `+Ticks` (timers and rules), `+Forwarding` (records for the
/// repartition topics), `+Cluster` (reaching the cluster, creating topics) and `+Queries`.
public final class ProjectorRuntime: Sendable {
    /// What the runtime reports of itself.
    public struct Status: Sendable {
        public var partitions: [KafkaTopicPartition]
        public var customers: Int
        /// Summed over the owned partitions, alerts of the rules evaluated across partitions
        /// (N-in-a-row; counter rules with `--no-repartition`) included.
        public var statistics: PartitionStatistics
        public var watermark: EventTime?
        public var recordsConsumed: Int
        public var dlqPublished: Int
        public var checkpointsWritten: Int
        /// Of ``checkpointsWritten``, the deltas over a partition's full checkpoint (see
        /// `PartitionCheckpoint+Delta.swift`).
        public var checkpointDeltasWritten: Int = 0
        public var lastCheckpointBytes: Int
        public var lastCheckpointMilliseconds: Double
        /// Time spent decoding and folding batches (excludes waiting for records), in seconds.
        public var processingSeconds: Double
        /// Batches processed.
        public var batches: Int
        /// Duration of the last timer and rule tick (it holds the partition lock), in milliseconds.
        public var lastTickMilliseconds: Double
        /// The consume loop's time by phase since the start (``ConsumeLoopTime``).
        public var loopTime: ConsumeLoopTime
        /// Times the input consumer woke librdkafka's fetcher after draining its bounded prefetch
        /// (``RuntimeConfiguration/prefetchRecords``).
        public var fetchWakeups: Int
        /// Records of the owned partitions' logs (input and repartition topics) never delivered
        /// because the broker no longer had them when they were due (retention): the
        /// projections lack them. Zero unless a log lost its head before it was folded.
        public var recordsMissing: Int
        /// How long the final checkpoint at shutdown took (every owned partition, on the fold
        /// threads), in milliseconds; nil until it is written.
        public var finalCheckpointMilliseconds: Double?
    }

    public let configuration: RuntimeConfiguration
    let logger: Logger
    let store: CheckpointStore
    let partitions = Mutex<[KafkaTopicPartition: PartitionSlot]>([:])
    let finalCheckpointMilliseconds = Mutex<Double?>(nil)
    let counters = Mutex<(consumed: Int, dlq: Int, checkpoints: Int, bytes: Int, milliseconds: Double, busy: Double, batches: Int, tick: Double)>((0, 0, 0, 0, 0, 0, 0, 0))
    /// Counter inputs and rep exits forwarded to repartition topics, and those consumed
    /// (entries, not records: a batch record carries many).
    let repartitionCounts = Mutex<(forwarded: Int, consumed: Int)>((0, 0))
    let stopping = Atomic<Bool>(false)
    /// The consume loop's consumer while it runs: a stop interrupts its wait for records.
    let activeConsumer = Mutex<KafkaConsumer?>(nil)
    let fetchWakeups = Atomic<Int>(0)
    /// When the consume loop last folded records of the input topic (wall clock, epoch
    /// milliseconds; 0: never): live, the projections' time follows the wall clock once the
    /// input has been idle for ``RuntimeConfiguration/idleAfterMilliseconds``, as idle
    /// partitions' timers do.
    let lastInputWallClock = Atomic<Int64>(0)
    /// When records of the input topic were last folded (wall clock, epoch milliseconds; 0: never).
    public var lastInputFoldedAt: Int64 { lastInputWallClock.load(ordering: .relaxed) }
    /// Records skipped over because the broker no longer had them (`noteMissing`, on a fold worker).
    let missingRecords = Atomic<Int>(0)
    /// The consume loop's time by phase so far.
    let loopTimes = Mutex(ConsumeLoopTime())
    let listeners = Mutex<[@Sendable ([FlowOutput]) -> Void]>([])
    let ready = Atomic<Bool>(false)
    let finalStatus = Mutex<Status?>(nil)
    /// Closing without a checkpoint: a simulated crash, or a run that failed (revoked partitions
    /// are dropped unsaved).
    let crashing = Atomic<Bool>(false)
    let finalCheckpointWritten = Atomic<Bool>(false)
    let checkpoints = CheckpointWriter()
    /// Frees revoked partitions' state off the consumer's thread.
    let releaser = StateReleaser()
    /// Revoked partitions' projectors kept for the next assignment (``KeptPartition``).
    let kept = Mutex<[KafkaTopicPartition: KeptPartition]>([:])
    let keptReused = Atomic<Int>(0)
    /// Partitions an assignment took back from the revocation before it, without reading their
    /// checkpoints (``KeptPartition``).
    public var partitionsTakenBackAfterRevocation: Int { keptReused.load(ordering: .relaxed) }
    /// What this runtime's checkpoints are relative to; the cluster id is learned at the start of
    /// the consume loop. Checkpoints of another origin are not restored.
    let origin: Mutex<CheckpointOrigin>
    /// Each owned partition's state as its newest checkpoint holds it (absent: none written or
    /// restored by this process): a partition whose state has not moved since is not written.
    let checkpointed = Mutex<[KafkaTopicPartition: CheckpointMark]>([:])
    /// Each owned partition's full checkpoint in place, written by this process since it got the
    /// partition: its next checkpoints may be deltas over it (absent: the next one is full).
    let bases = Mutex<[KafkaTopicPartition: BaseCheckpoint]>([:])
    /// Checkpoints put in place since start that were deltas.
    let deltaCheckpoints = Atomic<Int>(0)
    let rules = Mutex(CounterRuleEvaluator())
    let sequences = Mutex(SequenceRuleEvaluator())
    /// Alerts fired and resolved by the rules evaluated across partitions (N-in-a-row rules;
    /// counter rules with `--no-repartition`), which no partition's statistics count; since start.
    let runtimeRuleAlerts = Mutex<(fired: Int, resolved: Int)>((0, 0))
    let lags = Mutex<[KafkaTopicPartition: Int64]>([:])
    /// Partition ownership across the group's instances (when ``RuntimeConfiguration/advertisedURL`` is set).
    public let directory: PartitionDirectory?
    /// Operational metrics (swift-metrics).
    public let metrics: RuntimeMetrics

    /// Creates a runtime; nothing runs until ``run()``.
    /// - Throws: ``RuntimeConfigurationError`` when a topic it would use cannot be a Kafka topic
    ///   name (``RuntimeConfiguration/checkTopicNames()``); an error of the checkpoint folder.
    public init(configuration: RuntimeConfiguration, logger: Logger = Logger(label: "salespulse.runtime")) throws {
        try configuration.checkTopicNames()
        self.configuration = configuration
        self.logger = logger
        self.store = try CheckpointStore(directory: configuration.checkpointDirectory)
        self.origin = Mutex(CheckpointOrigin(fold: CheckpointOrigin.fold(configuration)))
        self.metrics = RuntimeMetrics(factory: configuration.metricsFactory, inputTopic: configuration.topic)
        self.directory = configuration.advertisedURL.map { _ in
            PartitionDirectory(bootstrapServers: configuration.bootstrapServers, group: configuration.group, instance: configuration.instanceID, kafkaProperties: configuration.kafkaProperties, logger: logger)
        }
    }

    /// Registers a listener for outputs (step changes, alerts…). A batch's outputs come from the
    /// fold threads, each thread's share in one call (a partition's outputs in their order, the
    /// calls of two threads possibly at once), a tick's from the consume thread; a batch's
    /// calls all return before the next batch or tick begins. `listener` must be thread-safe.
    public func onOutputs(_ listener: @escaping @Sendable ([FlowOutput]) -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    /// Asks the loop to stop: it drains, checkpoints, commits and closes.
    public func stop() {
        stopping.store(true, ordering: .releasing)
        activeConsumer.withLock { $0?.interruptWait() }
    }

    /// Stops like a crash (`kill -9`): no final checkpoint, no commit, revoked partitions are
    /// dropped unsaved. For crash-recovery tests; only periodic checkpoints survive.
    public func simulateCrash() {
        crashing.store(true, ordering: .releasing)
        stop()
    }

    /// True once ``stop()`` (or a simulated crash) was requested.
    public var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// True once the first assignment has been restored.
    public var isReady: Bool { ready.load(ordering: .acquiring) }

    /// Runs the consume loop on a dedicated thread until ``stop()``; returns after a clean close.
    ///
    /// Throws when the run cannot go on, after closing without a checkpoint (as a crash would
    /// close): among others a ``KafkaError`` with code ``KafkaError/Code/delivery`` when the
    /// producer gave up on a dead letter, a forward or an alert. Such a record is lost unless
    /// its input is folded again, which a restart does from the checkpoints written before it.
    public func run() async throws {
        guard let directory else {
            try await DedicatedThread.run(name: "salespulse.consume") { [self] in try loop() }
            return
        }
        let following = Task { try await directory.run() }
        defer { directory.stop() }
        try await DedicatedThread.run(name: "salespulse.consume") { [self] in try loop() }
        directory.stop()
        try await following.value
    }

    /// Publishes the partitions this instance owns now to the group's directory.
    func announceOwnership(with producer: KafkaProducer) {
        guard let directory else { return }
        let owned = partitions.withLock { $0.keys.filter { $0.topic == configuration.topic }.map(\.partition).sorted() }
        directory.announce(PartitionDirectory.Claim(instance: configuration.instanceID, url: configuration.advertisedURL, topic: configuration.topic, partitions: owned, at: Self.wallClockMilliseconds()), with: producer)
    }

    /// Where a customer's state lives: here, at another instance of the group, or not known yet.
    public func locate(customer id: String) -> CustomerLocation {
        guard let directory else { return .local }
        let partitionCount: Int
        do { partitionCount = try directory.partitionCount(of: configuration.topic) } catch { return .unknown(reason: "the partition count of \(configuration.topic) is not known yet (\(error))") }
        let partition = configuration.keyPartitioner.partition(of: id, partitions: partitionCount)
        if partitions.withLock({ $0[KafkaTopicPartition(topic: configuration.topic, partition: partition)] != nil }) { return .local }
        guard let claim = directory.owner(of: partition, topic: configuration.topic) else {
            return .unknown(reason: "no instance of group \(configuration.group) has claimed partition \(partition) of \(configuration.topic) yet")
        }
        if claim.instance == configuration.instanceID { return .local }
        guard let url = claim.url else { return .unknown(reason: "partition \(partition) is owned by instance \(claim.instance), which serves no HTTP") }
        return .remote(url: url, instance: claim.instance, partition: partition)
    }

    /// The consume loop's time by phase since the start (as ``Status/loopTime``, without
    /// gathering the rest of a status).
    public var loopTime: ConsumeLoopTime { loopTimes.withLock { $0 } }

    /// End-to-end latency (event time → projection updated) of the events applied so far.
    public var latencyHistogram: LatencyHistogram { metrics.latencies }

    /// Consumer lag per owned partition (records behind the high watermark), refreshed every second.
    public var consumerLag: [KafkaTopicPartition: Int64] { lags.withLock { $0 } }

    /// The wall clock in epoch milliseconds (live timers, latencies, idle partitions).
    public static func wallClockMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Input records consumed so far (cheap: no partition lock, unlike ``status()``).
    public var recordsConsumed: Int { counters.withLock { $0.consumed } }

    /// Counter inputs and rep exits forwarded to repartition topics by this instance, and those
    /// this instance consumed from them (entries: one batch record carries many).
    public var repartitionProgress: (forwarded: Int, consumed: Int) { repartitionCounts.withLock { $0 } }

    /// The status captured at shutdown, before partitions were released.
    public func statusAtShutdown() -> Status? { finalStatus.withLock { $0 } }

    /// Waits until the state of partitions revoked so far (all of them, after ``run()`` has
    /// returned) is freed: `run` returns once the final checkpoint is written and the group
    /// left, while a thread of its own may still be freeing the customers.
    public func waitUntilStateReleased() { releaser.waitUntilReleased() }

    /// A status summary.
    public func status() -> Status {
        let (keys, customers, partitionStatistics, watermark) = partitions.withLock { owned in
            (owned.keys.sorted(), owned.values.reduce(0) { $0 + $1.projector.projection.customerCount },
             owned.values.reduce(PartitionStatistics()) { $0 + $1.projector.statistics }, owned.values.compactMap(\.projector.watermark).max())
        }
        var statistics = partitionStatistics
        let ruleAlerts = runtimeRuleAlerts.withLock { $0 }
        statistics.alertsFired += ruleAlerts.fired
        statistics.alertsResolved += ruleAlerts.resolved
        let c = counters.withLock { $0 }
        return Status(partitions: keys, customers: customers, statistics: statistics, watermark: watermark, recordsConsumed: c.consumed, dlqPublished: c.dlq, checkpointsWritten: c.checkpoints, checkpointDeltasWritten: deltaCheckpoints.load(ordering: .relaxed), lastCheckpointBytes: c.bytes, lastCheckpointMilliseconds: c.milliseconds, processingSeconds: c.busy, batches: c.batches, lastTickMilliseconds: c.tick, loopTime: loopTimes.withLock { $0 },
                      fetchWakeups: fetchWakeups.load(ordering: .relaxed), recordsMissing: missingRecords.load(ordering: .relaxed),
                      finalCheckpointMilliseconds: finalCheckpointMilliseconds.withLock { $0 })
    }
}
