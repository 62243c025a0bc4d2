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
        /// How long the final checkpoint at shutdown took (every owned partition, on the fold
        /// threads), in milliseconds; nil until it is written.
        public var finalCheckpointMilliseconds: Double?
    }

    public let configuration: RuntimeConfiguration
    private let logger: Logger
    private let store: CheckpointStore
    private let partitions = Mutex<[KafkaTopicPartition: PartitionSlot]>([:])
    private let finalCheckpointMilliseconds = Mutex<Double?>(nil)
    private let counters = Mutex<(consumed: Int, dlq: Int, checkpoints: Int, bytes: Int, milliseconds: Double, busy: Double, batches: Int, tick: Double)>((0, 0, 0, 0, 0, 0, 0, 0))
    /// Counter inputs and rep exits forwarded to repartition topics, and those consumed
    /// (entries, not records: a batch record carries many).
    private let repartitionCounts = Mutex<(forwarded: Int, consumed: Int)>((0, 0))
    private let stopping = Atomic<Bool>(false)
    /// The consume loop's consumer while it runs: a stop interrupts its wait for records.
    private let activeConsumer = Mutex<KafkaConsumer?>(nil)
    private let fetchWakeups = Atomic<Int>(0)
    /// The consume loop's time by phase so far.
    private let loopTimes = Mutex(ConsumeLoopTime())
    private let listeners = Mutex<[@Sendable ([FlowOutput]) -> Void]>([])
    private let ready = Atomic<Bool>(false)
    private let finalStatus = Mutex<Status?>(nil)
    private let crashing = Atomic<Bool>(false)
    private let finalCheckpointWritten = Atomic<Bool>(false)
    private let checkpoints = CheckpointWriter()
    /// Each owned partition's state as its newest checkpoint holds it (absent: none written or
    /// restored by this process): a partition whose state has not moved since is not written.
    private let checkpointed = Mutex<[KafkaTopicPartition: CheckpointMark]>([:])
    private let rules = Mutex(CounterRuleEvaluator())
    private let sequences = Mutex(SequenceRuleEvaluator())
    /// Alerts fired and resolved by the rules evaluated across partitions (N-in-a-row rules;
    /// counter rules with `--no-repartition`), which no partition's statistics count; since start.
    private let runtimeRuleAlerts = Mutex<(fired: Int, resolved: Int)>((0, 0))
    private let lags = Mutex<[KafkaTopicPartition: Int64]>([:])
    /// Partition ownership across the group's instances (when ``RuntimeConfiguration/advertisedURL`` is set).
    public let directory: PartitionDirectory?
    /// Operational metrics (swift-metrics).
    public let metrics: RuntimeMetrics

    /// Creates a runtime; nothing runs until ``run()``.
    public init(configuration: RuntimeConfiguration, logger: Logger = Logger(label: "salespulse.runtime")) throws {
        self.configuration = configuration
        self.logger = logger
        self.store = try CheckpointStore(directory: configuration.stateDirectory)
        self.metrics = RuntimeMetrics(factory: configuration.metricsFactory, inputTopic: configuration.topic)
        self.directory = configuration.advertisedURL.map { _ in
            PartitionDirectory(bootstrapServers: configuration.bootstrapServers, group: configuration.group, instance: configuration.instanceID, logger: logger)
        }
    }

    /// Registers a listener for outputs (step changes, alerts…), called on the consume thread.
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
    private func announceOwnership(with producer: KafkaProducer) {
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

    private func loop() throws {
        // Which kind of broker this is decides the default session timeout and how repartition
        // topics are created (the embedded broker implements no CreateTopics).
        let admin = try KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: configuration.bootstrapServers), logger: logger)
        guard try reachCluster(with: admin) else { return }  // stopped while waiting
        let cluster = admin.clusterID(timeout: .milliseconds(500))
        let onEmbeddedBroker = cluster.map(Self.isEmbeddedCluster) ?? false
        var consumerConfiguration = KafkaConsumerConfiguration(bootstrapServers: configuration.bootstrapServers, groupID: configuration.group)
        consumerConfiguration.sessionTimeoutMilliseconds = configuration.sessionTimeoutMilliseconds(onEmbeddedBroker: onEmbeddedBroker)
        logger.info("joining the group", metadata: ["kafka.group": "\(configuration.group)", "kafka.cluster": "\(cluster ?? "unknown")",
                                                    "session.timeout.ms": "\(consumerConfiguration.sessionTimeoutMilliseconds)"])
        // Low fetch wait: dashboards want T+0. The broker answers a fetch after at most this long
        // even when little data is waiting (at high rates fetches fill up long before).
        consumerConfiguration.fetchWaitMaxMilliseconds = configuration.fetchWaitMaxMilliseconds
        consumerConfiguration.boundedPrefetch = configuration.prefetchRecords
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: configuration.bootstrapServers), logger: logger)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, maxBatchSize: configuration.batchSize, logger: logger) { [self] event in
            // What the revoked partitions forwarded reaches the repartition topics before another
            // instance can take them over and forward newer inputs (see ``Repartition``).
            if case .revoked = event { acknowledgeProduced(producer, before: "revocation") }
            let starts = rebalance(event)
            announceOwnership(with: producer)
            return starts
        }
        activeConsumer.withLock { $0 = consumer }
        defer { activeConsumer.withLock { $0 = nil } }
        let repartitionTopics = try ensureRepartitionTopics(admin: admin, onEmbeddedBroker: onEmbeddedBroker)
        // Forwards go out from the first batch: the producer learns their topics now, not at
        // its next metadata scan up to a second later (``KafkaProducer/prepare(topics:timeout:)``).
        producer.prepare(topics: repartitionTopics.map(\.topic))
        // Counter rules wait for every input partition's progress (``Repartition/Progress``).
        let inputPartitions = repartitionTopics.isEmpty ? nil : inputPartitionCount(with: admin)
        var progressSent: [Repartition.Progress.Source] = []
        try consumer.subscribe(to: [configuration.topic] + repartitionTopics.map(\.topic))
        let repartitionPartitions = Dictionary(uniqueKeysWithValues: repartitionTopics.map { ($0.attribute, $0.partitions) })
        logger.info("consuming", metadata: ["kafka.topic": "\(configuration.topic)", "kafka.group": "\(configuration.group)", "fold.threads": "\(configuration.foldThreads)"])
        let workers = FoldWorkers(count: configuration.foldThreads, policy: configuration.validation)
        defer { workers.stop() }
        checkpoints.start()
        defer { checkpoints.stop() }
        var lastCheckpoint = ContinuousClock.now
        var lastTick = ContinuousClock.now
        var lastEventWallClock: [KafkaTopicPartition: Int64] = [:]
        // librdkafka 2.0.2 waits for a full batch or the timeout (see LIBRDKAFKA.md). While records
        // flow, take what is there without waiting; when the queue ran dry, block for up to 50 ms
        // for a *single* record, which returns as soon as one arrives (waiting for a full batch
        // would add up to the whole timeout to the latency of every trickle of records).
        var flowing = false
        var checkpointInterval = Duration.milliseconds(configuration.checkpointIntervalMilliseconds)
        // Each fold worker's output array of the last batch, emptied, for the next: grown anew
        // each batch, the arrays (up to megabytes) were copied at every doubling into fresh
        // memory the kernel had to fault in.
        var spareOutputs: [[FlowOutput]] = []
        // Each fold worker's alerts-topic records, emptied after publishing and reused (their
        // buffers stay in memory already in use).
        var spareRecords: [KafkaRecordBatch] = []
        // Records in the owned partitions not consumed yet, as of the last tick.
        var recordsWaiting: Int64 = 0

        while !stopping.load(ordering: .acquiring) {
            // Each fold worker's outputs, in worker order (published part by part: merging them
            // into one array would copy every output once more).
            var outputs: [[FlowOutput]] = []
            // Each fold worker's alerts as alerts-topic records, written by that worker.
            var alertRecords: [KafkaRecordBatch] = []
            var offsets: [KafkaTopicPartition: Int64] = [:]
            var deadLetters: [KafkaOutgoingMessage] = []
            var forwards: [KafkaOutgoingMessage] = []
            var forwardedInputs = 0
            var inputRecords = 0
            // Where this turn of the loop spends its time (``ConsumeLoopTime``).
            var loopTime = ConsumeLoopTime()
            let consumeStarted = ContinuousClock.now
            var folding: (started: ContinuousClock.Instant, ended: ContinuousClock.Instant)?
            // Not flowing, the call blocks until a record arrives: waiting, not taking.
            let blocksForRecords = !flowing
            let count = try consumer.consumeBatch(maxMessages: flowing ? configuration.batchSize : 1, timeout: .milliseconds(flowing ? 0 : 50)) { batch -> Int in
                guard !batch.isEmpty else { return 0 }
                let started = ContinuousClock.now
                defer {
                    let ended = ContinuousClock.now
                    folding = (started, ended)
                    let busy = ended - started
                    counters.withLock { $0.busy += busy.fractionalSeconds; $0.batches += 1 }
                    fetchWakeups.store(consumer.fetchWakeups, ordering: .relaxed)
                    metrics.foldBatch.recordNanoseconds(busy.nanoseconds)
                }
                // Event time → projection updated, per applied event, against one clock reading per batch.
                let batchClock = Self.wallClockMilliseconds()
                let parts = partitions.withLock { owned in
                    let slots = SlotTable(slots: owned)
                    let used = batch.count >= configuration.parallelFoldMinimumBatch ? workers.count : 1
                    let groups = used > 1 ? Self.partitionGroups(of: batch) : [batch.indices.map { Int32($0) }]
                    // Groups are claimed one at a time, largest first: a fold thread slowed down
                    // (it shares its core with librdkafka's threads) takes fewer.
                    let claimed = Atomic<Int>(0)
                    var parts = [BatchPart](repeating: BatchPart(), count: used)
                    // Swapped, not copied, from here to the worker's part: the arrays stay unique.
                    for worker in 0..<min(used, spareOutputs.count) { swap(&parts[worker].outputs, &spareOutputs[worker]) }
                    for worker in 0..<min(used, spareRecords.count) { swap(&parts[worker].alertRecords, &spareRecords[worker]) }
                    parts.withUnsafeMutableBufferPointer { parts in
                        // Each worker works on its own element.
                        workers.run(workers: used) { worker, decoder in
                            var part = BatchPart()
                            swap(&part, &parts[worker])
                            var outbox = RepartitionOutbox(partitionCounts: repartitionPartitions)
                            while true {
                                let group = claimed.wrappingAdd(1, ordering: .relaxed).oldValue
                                guard group < groups.count else { break }
                                fold(batch, positions: groups[group], slots: slots.slots, decoder: decoder, batchClock: batchClock, into: &part, outbox: &outbox)
                            }
                            for (destination, entries) in outbox.drain() { part.forwards.append(counterBatchRecord(entries, to: destination)) }
                            // Written here, on every fold thread, not by the consume thread alone
                            // as it publishes.
                            AlertEvent.append(part.outputs, to: &part.alertRecords)
                            part.forwardedInputs += outbox.gathered
                            parts[worker] = part
                        }
                    }
                    return parts
                }
                var latencies = LatencyHistogram()
                var repartitioned = 0
                for part in parts {
                    outputs.append(part.outputs)
                    alertRecords.append(part.alertRecords)
                    offsets.merge(part.offsets) { _, new in new }
                    deadLetters += part.deadLetters
                    forwards += part.forwards
                    forwardedInputs += part.forwardedInputs
                    latencies.merge(part.latencies)
                    inputRecords += part.inputRecords
                    repartitioned += part.repartitionedEntries
                }
                metrics.merge(latencies: latencies)
                if repartitioned > 0 { repartitionCounts.withLock { $0.consumed += repartitioned } }
                // Every record of the batch not from the input topic came from a repartition topic.
                if batch.count > inputRecords { metrics.repartitionedIn.increment(by: batch.count - inputRecords) }
                metrics.recordsIn.increment(by: inputRecords)
                return batch.count
            }
            let consumeEnded = ContinuousClock.now
            if let folding {
                loopTime.add((folding.started - consumeStarted) + (consumeEnded - folding.ended), to: blocksForRecords ? .waiting : .taking)
                loopTime.add(folding.ended - folding.started, to: .folding)
            } else {
                loopTime.add(consumeEnded - consumeStarted, to: .waiting)
            }
            flowing = count > 0
            if count > 0 {
                let now = Self.wallClockMilliseconds()
                for partition in offsets.keys { lastEventWallClock[partition] = now }
            }
            for message in deadLetters { try producer.enqueue(message) }
            // Forwarded before the offsets are stored: a crash re-forwards, never loses.
            for message in forwards { try producer.enqueue(message) }
            if !forwards.isEmpty {
                repartitionCounts.withLock { $0.forwarded += forwardedInputs }
                metrics.forwarded.increment(by: forwards.count)
            }
            if !deadLetters.isEmpty { metrics.deadLetters.increment(by: deadLetters.count) }
            for (part, records) in zip(outputs, alertRecords) { try publish(part, alertRecords: records, producer: producer) }
            // Back to the spares (a worker unused this batch keeps its own).
            for worker in outputs.indices {
                if worker == spareOutputs.count { spareOutputs.append([]) }
                swap(&spareOutputs[worker], &outputs[worker])
                spareOutputs[worker].removeAll(keepingCapacity: true)
            }
            for worker in alertRecords.indices {
                if worker == spareRecords.count { spareRecords.append(KafkaRecordBatch(topic: AlertEvent.topic)) }
                swap(&spareRecords[worker], &alertRecords[worker])
                spareRecords[worker].removeAll(keepingCapacity: true)
            }
            if !offsets.isEmpty {
                try consumer.store(offsets.map { KafkaPartitionOffset($0.key, offset: $0.value) })
            }
            counters.withLock { $0.consumed += inputRecords; $0.dlq += deadLetters.count }
            loopTime.add(ContinuousClock.now - consumeEnded, to: .queueing)

            if ContinuousClock.now - lastTick >= .seconds(1) {
                lastTick = .now
                // A partition taken over at its end has no position in librdkafka until a new
                // record arrives: its projector's next offset is where it stands (without it the
                // partition never counted as caught up, and counter rules waited for it).
                let starts = partitions.withLock { owned in owned.mapValues { $0.projector.nextOffset } }
                let lag = try? consumer.lag { starts[$0] }
                if let lag {
                    lags.withLock { $0 = lag }
                    metrics.record(lags: lag)
                    recordsWaiting = lag.values.reduce(0, +)
                }
                // After the inputs forwarded so far (same producer, same partitions: in order).
                let progress = inputProgress(lag: lag ?? [:], lastEventWallClock: lastEventWallClock)
                if progress != progressSent {
                    try sendProgress(progress, to: repartitionTopics, with: producer)
                    progressSent = progress
                }
                let parts = tick(lastEventWallClock: lastEventWallClock, repartitionPartitions: repartitionPartitions, inputPartitions: inputPartitions, workers: workers)
                let took = ContinuousClock.now - lastTick
                metrics.tick.recordNanoseconds(took.nanoseconds)
                counters.withLock { $0.tick = took.fractionalMilliseconds }
                for part in parts { try publish(part.outputs, alertRecords: part.records, producer: producer) }
                loopTime.add(ContinuousClock.now - lastTick, to: .ticking)
            }
            let checkpointCheck = ContinuousClock.now
            if checkpointCheck - lastCheckpoint >= checkpointInterval, !checkpoints.isWriting, acknowledgeProduced(producer, before: "checkpoint") {
                // Taken between batches (each partition's consistent with its offset), written
                // off this thread.
                let pauseStarted = ContinuousClock.now
                let writes: [CheckpointWriter.Write]
                if recordsWaiting >= configuration.inPlaceCheckpointMinimumLag {
                    // Catching up: the fold would soon change nearly every customer, and each
                    // change to state a snapshot shares copies it (every level of it the change
                    // reaches), a deep copy of the state per round, freed again after the write.
                    // Encoded now, on the fold threads, the state is never copied; only the
                    // compression and the file are left to the writer.
                    writes = encodeAll(workers: workers).map { encoded, mark in { [self] in write(encoded, mark: mark) } }
                } else {
                    // Live: few customers change while a round is written, and a snapshot costs
                    // no pause.
                    writes = changedProjectors().map { projector in { [self] in write(projector) } }
                }
                let pause = ContinuousClock.now - pauseStarted
                logger.debug("checkpoint round taken", metadata: ["partitions": "\(writes.count)", "pause.ms": "\(pause.milliseconds)"])
                if checkpoints.writeInBackground(writes) {
                    lastCheckpoint = .now
                    // Rounds share the cores with folding: keep them to ~10% of the time by
                    // spacing them at least ten times the last round's duration apart.
                    checkpointInterval = max(.milliseconds(configuration.checkpointIntervalMilliseconds), (checkpoints.lastRound + pause) * 10)
                }
            }
            // The wait for the producer's acknowledgements included.
            loopTime.add(ContinuousClock.now - checkpointCheck, to: .checkpointing)
            loopTimes.withLock { $0.add(loopTime) }
            metrics.record(loopTime)
        }
        if crashing.load(ordering: .acquiring) {
            let last = status()
            finalStatus.withLock { $0 = last }
            logger.info("crash simulated: closing without checkpoint")
            consumer.close()
            producer.close(timeout: .seconds(5))
            return
        }
        logger.info("stopping: checkpointing and closing")
        let stopStarted = ContinuousClock.now
        // The last outputs are acknowledged while the final checkpoint is encoded and written;
        // the files are put in place once they are, so a crash in between leaves the previous
        // checkpoint. One after the other, the flush (tens of milliseconds for the last
        // forwards) came on top of the checkpoint.
        // Unacknowledged (the cluster gone, say), the final checkpoint is not put in place: its
        // offsets would cover forwards and alerts that may be lost, where the checkpoints before
        // it make a restart fold those records, and send what they produce, again.
        let acknowledged = DispatchGroup()
        let flushed = Mutex(false)
        acknowledged.enter()
        DedicatedThread.start(name: "salespulse.final-flush") { [self] in
            let done = acknowledgeProduced(producer, before: "final checkpoint")
            flushed.withLock { $0 = done }
            acknowledged.leave()
        }
        checkpoints.afterPendingWrites {
            let started = ContinuousClock.now
            checkpointAll(workers: workers, publishingAfter: { acknowledged.wait(); return flushed.withLock { $0 } })
            let took = ContinuousClock.now - started
            finalCheckpointMilliseconds.withLock { $0 = took.fractionalMilliseconds }
        }
        // Nothing is folded after this: the revocation in close() has nothing new to write.
        finalCheckpointWritten.store(true, ordering: .releasing)
        let checkpointed = ContinuousClock.now
        let last = status()
        finalStatus.withLock { $0 = last }
        try? consumer.commit(synchronously: true)
        consumer.close()
        producer.close(timeout: .seconds(10))
        logger.info("stopped", metadata: ["checkpoint.ms": "\((checkpointed - stopStarted).milliseconds)", "close.ms": "\((ContinuousClock.now - checkpointed).milliseconds)"])
    }

    /// Waits until every record produced so far (forwards, dead letters, alerts) is acknowledged:
    /// a checkpoint must not reflect records whose outputs are still in flight, or a crash right
    /// after it would lose them (the restart resumes after them). Takes about the producer's
    /// linger time. False, with a warning, when the brokers do not acknowledge in time.
    @discardableResult
    private func acknowledgeProduced(_ producer: KafkaProducer, before what: String) -> Bool {
        do {
            try producer.flush(timeout: .seconds(30))
            return true
        } catch {
            logger.warning("produced records not acknowledged before \(what): \(error)")
            return false
        }
    }

    /// The partition slots handed to the fold workers while the consume thread holds the
    /// partition lock (each worker touches only its own partitions' slots).
    private struct SlotTable: @unchecked Sendable {
        let slots: [KafkaTopicPartition: PartitionSlot]
    }

    /// What one fold worker produced from its share of a batch.
    private struct BatchPart {
        var outputs: [FlowOutput] = []
        var offsets: [KafkaTopicPartition: Int64] = [:]
        var deadLetters: [KafkaOutgoingMessage] = []
        var forwards: [KafkaOutgoingMessage] = []
        /// Counter inputs and rep exits in ``forwards``.
        var forwardedInputs = 0
        var latencies = LatencyHistogram()
        var inputRecords = 0
        /// Repartitioned entries (counter inputs, rep exits) consumed.
        var repartitionedEntries = 0
        /// The alerts among ``outputs`` as records for the alerts topic.
        var alertRecords = KafkaRecordBatch(topic: AlertEvent.topic)
    }

    /// The positions of a batch's records grouped by partition number (a partition's records,
    /// of the input topic and of repartition topics alike, are folded by one thread, in batch
    /// order), the groups largest first by bytes (a repartition record carries many entries, so
    /// record counts misjudge the work). Fold threads claim groups one at a time: the batch ends
    /// at most one group's work after the first thread runs out, however unevenly the threads
    /// are slowed down. A thread reads only its groups' record headers and prefetches only
    /// their values.
    static func partitionGroups(of batch: KafkaBatch) -> [[Int32]] {
        var groups: [[Int32]] = []
        var weights: [Int] = []
        for position in batch.indices {
            // Each record's header is a librdkafka message of its own, rarely in cache: reading
            // them in turn waited for each (this pass is serial, the other fold thread idle).
            batch.prefetchHeader(at: position + 16)
            let record = batch[position]
            let partition = Int(record.partition)
            if partition >= groups.count {
                groups += [[Int32]](repeating: [], count: partition + 1 - groups.count)
                weights += [Int](repeating: 0, count: partition + 1 - weights.count)
            }
            groups[partition].append(Int32(position))
            weights[partition] += 64 + (record.value?.count ?? 0)
        }
        return groups.indices.filter { !groups[$0].isEmpty }.sorted { (weights[$0], $1) > (weights[$1], $0) }.map { groups[$0] }
    }

    /// Decodes and folds, in batch order, the records at `positions` (one partition group of
    /// ``partitionGroups(of:)``, or the whole batch), adding what they produce to `part` and
    /// their counter inputs to `outbox` (drained once the thread has no group left).
    private func fold(_ batch: KafkaBatch, positions: [Int32], slots: [KafkaTopicPartition: PartitionSlot], decoder: EventDecoder, batchClock: Int64, into part: inout BatchPart, outbox: inout RepartitionOutbox) {
        // Records of one partition come in runs: the slot is looked up once per run, and its
        // projector borrowed for the whole run (read through the slot record by record, it was
        // accessed — checked for exclusive access, its output arrays retained — several times
        // a record).
        var index = 0
        while index < positions.count {
            let record = batch[Int(positions[index])]
            let key = record.topicPartition
            guard let slot = slots[key] else {
                // Not owned (revoked meanwhile): skipped, and freed here like the rest.
                batch.release(at: Int(positions[index]))
                index += 1
                continue
            }
            index = foldRun(batch, positions: positions, from: index, of: key, identity: (record.partition, record.topicIdentity), projector: &slot.projector, decoder: decoder, batchClock: batchClock, into: &part, outbox: &outbox)
            part.offsets[key] = slot.projector.nextOffset
        }
    }

    /// Folds the records from `positions[start]` on that belong to partition `key` (`identity`:
    /// its number and librdkafka topic, as records carry them), up to the first that does not;
    /// returns its index (the end of the run).
    private func foldRun(_ batch: KafkaBatch, positions: [Int32], from start: Int, of key: KafkaTopicPartition, identity: (partition: Int32, topic: UInt), projector: inout PartitionProjector, decoder: EventDecoder, batchClock: Int64, into part: inout BatchPart, outbox: inout RepartitionOutbox) -> Int {
        let (partition, topic) = identity
        let repartitioned: Bool
        if case .input = projector.role { repartitioned = false } else { repartitioned = true }
        var index = start
        while index < positions.count {
            // Records are read in order: start loading later ones while this one is worked on.
            if index + 16 < positions.count { batch.prefetchHeader(at: Int(positions[index + 16])) }
            if index + 8 < positions.count { batch.prefetchRelease(at: Int(positions[index + 8])) }
            if index + 4 < positions.count { batch.prefetchValue(at: Int(positions[index + 4])) }
            let position = Int(positions[index])
            let record = batch[position]
            guard record.partition == partition, record.topicIdentity == topic else { return index }
            index += 1
            // Everything kept from a record is copied (dead letters, forwards): free it here,
            // on this thread, while it is in this core's cache.
            defer { batch.release(at: position) }
            let recordTime = EventTime(epochMilliseconds: record.timestampMilliseconds ?? Self.wallClockMilliseconds())
            if repartitioned {
                let before = projector.statistics.repartitioned + projector.statistics.repartitionDuplicates
                let outcome = projector.process(value: record.value, key: nil, offset: record.offset, recordTime: recordTime, decoder: decoder)
                part.repartitionedEntries += projector.statistics.repartitioned + projector.statistics.repartitionDuplicates - before
                if case .rejected(let rejection)? = outcome { part.deadLetters.append(DeadLetter.record(for: record, rejection: rejection, input: key.topic)) }
                continue
            }
            part.inputRecords += 1
            // The partition's next two records, for the look-ahead of `process`.
            var next: PartitionProjector.UpcomingRecord?
            var keyAfterNext: UnsafeRawBufferPointer?
            if index < positions.count {
                let upcoming = batch[Int(positions[index])]
                if upcoming.partition == partition, upcoming.topicIdentity == topic {
                    next = PartitionProjector.UpcomingRecord(key: upcoming.key, value: upcoming.value)
                    if index + 1 < positions.count {
                        let later = batch[Int(positions[index + 1])]
                        if later.partition == partition, later.topicIdentity == topic { keyAfterNext = later.key }
                    }
                }
            }
            let outcome = projector.process(value: record.value, key: record.key, offset: record.offset, recordTime: recordTime, decoder: decoder, next: next, keyAfterNext: keyAfterNext)
            switch outcome {
            case .applied(let produced):
                part.outputs += produced
                if let time = projector.lastAppliedTime {
                    part.latencies.record(milliseconds: batchClock - time.epochMilliseconds)
                    if let perEvent = metrics.eventLatency { perEvent.recordMilliseconds(max(0, batchClock - time.epochMilliseconds)) }
                }
                for forward in projector.forwards {
                    if let (destination, full) = outbox.add(forward, from: record.partition, offset: record.offset) {
                        part.forwards.append(counterBatchRecord(full, to: destination))
                    }
                }
                for forward in projector.exitForwards {
                    part.forwards.append(exitRecord(forward, of: record))
                    part.forwardedInputs += 1
                }
            case .rejected(let rejection): part.deadLetters.append(DeadLetter.record(for: record, rejection: rejection, input: configuration.topic))
            case .duplicate, nil: break
            }
        }
        return index
    }

    /// Waits until the cluster answers a metadata request, for up to
    /// ``RuntimeConfiguration/clusterWaitMilliseconds``: a wrong `--bootstrap` or a cluster that
    /// is down is reported as such, where the start went on to wait for each repartition topic
    /// (up to 8.5 minutes, deaf to SIGTERM) and then blamed the topic. False when a stop was
    /// requested meanwhile.
    private func reachCluster(with admin: KafkaAdmin) throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(configuration.clusterWaitMilliseconds)
        var failure: KafkaError?
        while !stopping.load(ordering: .acquiring) {
            let attempt = ContinuousClock.now
            do {
                _ = try admin.metadata(timeout: .seconds(1))
                return true
            } catch {
                failure = error
            }
            guard ContinuousClock.now < deadline else {
                throw KafkaError(code: .connection, isRetriable: true, librdkafkaName: failure?.librdkafkaName,
                                 message: "cannot reach the Kafka cluster at \(configuration.bootstrapServers) (no answer within \(DurationText.text(configuration.clusterWaitMilliseconds)): \(failure?.message ?? "no metadata"))",
                                 hint: "Check --bootstrap and that the brokers are up (`salespulse broker` starts an embedded one on 127.0.0.1).")
            }
            if ContinuousClock.now - attempt < .milliseconds(200) { Thread.sleep(forTimeInterval: 0.2) }
        }
        return false
    }

    /// How librdkafka's mock cluster (the embedded broker) begins its cluster id (a Kafka
    /// cluster id is a base64 UUID).
    static let embeddedClusterIDPrefix = "mockCluster"

    /// True for the cluster id of the embedded broker (librdkafka's mock cluster).
    static func isEmbeddedCluster(_ id: String) -> Bool { id.hasPrefix(embeddedClusterIDPrefix) }

    /// The repartition topics of the configuration's counters, created if missing: through
    /// CreateTopics with the input topic's partition count, or — where the broker does not
    /// implement it (the embedded broker) — by the broker's automatic creation on a metadata
    /// request. Empty when counters are not repartitioned.
    private func ensureRepartitionTopics(admin: KafkaAdmin, onEmbeddedBroker: Bool) throws -> [(topic: String, attribute: String, partitions: Int)] {
        guard configuration.repartitionCounters else { return [] }
        let attributes = Repartition.attributes(of: configuration.process)
        let topics = attributes.map { Repartition.topic(group: configuration.group, attribute: $0) }
        guard !topics.isEmpty else { return [] }
        // One read of every topic's metadata: which repartition topics exist, and the input's
        // partition count (a request naming a missing topic would create it on a broker that
        // creates topics automatically).
        let known = (try? admin.metadata().topics.filter { !$0.partitions.isEmpty }) ?? []
        let existing = Set(known.map(\.name))
        let inputPartitions = known.first { $0.name == configuration.topic }?.partitions.count
        // The partitions wanted: configured, or the input's.
        let wanted = configuration.repartitionPartitions ?? inputPartitions
        let missing = topics.filter { !existing.contains($0) }
        if !missing.isEmpty {
            let partitions = wanted
            // A controller creates topics in milliseconds. The embedded broker (librdkafka's mock
            // cluster) implements no CreateTopics: the request could only time out, which held
            // up every start by the timeout (5 s until session 21, then 1.5 s). There, and when
            // the request fails, the metadata requests below create the topics.
            if onEmbeddedBroker {
                logger.info("embedded broker: relying on automatic topic creation")
            } else {
                do {
                    try admin.createTopics(missing.map { KafkaNewTopic(name: $0, partitions: Int32(max(1, partitions ?? 1))) }, timeout: .milliseconds(1_500))
                } catch {
                    logger.info("CreateTopics failed; relying on automatic topic creation", metadata: ["error": "\(error)"])
                }
            }
        }
        // Counter inputs are sent to explicit partitions: every instance needs the same counts.
        var partitionCounts: [Int] = []
        for topic in topics {
            // A few seconds at most per topic, each request bounded (a request that waited its
            // default 10 s on a cluster gone away made 50 tries take minutes), a stop heeded.
            var count = 0
            let deadline = ContinuousClock.now + .seconds(10)
            while count == 0 && ContinuousClock.now < deadline && !stopping.load(ordering: .acquiring) {
                count = (try? admin.metadata(topic: topic, timeout: .seconds(1)).topics.first { $0.name == topic }?.partitions.count) ?? 0
                if count == 0 { Thread.sleep(forTimeInterval: 0.1) }
            }
            if stopping.load(ordering: .acquiring) { return [] }
            guard count > 0 else {
                throw KafkaError(code: .admin, message: "repartition topic \(topic) does not exist and could not be created", hint: "Create it with as many partitions as \(configuration.topic), or run with --no-repartition on a single instance.")
            }
            partitionCounts.append(count)
        }
        logger.info("repartitioning counters and rep exits",
                    metadata: ["topics": "\(topics.indices.map { "\(topics[$0]):\(partitionCounts[$0])" }.joined(separator: ","))"])
        // Fewer partitions than wanted is correct, but caps how many instances share the groups
        // (or, for the rep exits, the reps) a topic carries; the embedded broker creates missing
        // topics with 4. One notice for all such topics: a notice each was seven long lines at
        // every start on the embedded broker.
        let fewer = topics.indices.filter { partitionCounts[$0] < wanted ?? 0 }
        if let wanted, let fewest = fewer.map({ partitionCounts[$0] }).min() {
            let creations = fewer.map { "--topic \(topics[$0]):\(wanted)" }.joined(separator: " ")
            let listed = fewer.map { "\(topics[$0]):\(partitionCounts[$0])" }.joined(separator: ",")
            logger.notice("repartition topics with fewer partitions than wanted: at most that many instances share the groups (or reps) each carries",
                          metadata: ["topics": "\(listed)", "wanted": "\(wanted)",
                                     "hint": "Create them beforehand with \(wanted) partitions (on the embedded broker: salespulse broker \(creations)), or run with --repartition-partitions \(fewest)."])
        }
        return topics.indices.map { (topics[$0], attributes[$0], partitionCounts[$0]) }
    }

    /// The input topic's partition count (nil when it cannot be read: rules then follow each
    /// repartitioned partition's own watermark).
    private func inputPartitionCount(with admin: KafkaAdmin) -> Int? {
        do {
            if let count = try admin.metadata(topic: configuration.topic).topics.first(where: { $0.name == configuration.topic })?.partitions.count, count > 0 { return count }
        } catch {
            logger.warning("partition count of \(configuration.topic) unknown: counter rules follow each partition's own watermark", metadata: ["error": "\(error)"])
        }
        return nil
    }

    /// How far the input partitions this instance owns have got: the watermark (in live mode, a
    /// partition idle for longer than ``RuntimeConfiguration/idleAfterMilliseconds`` advances
    /// with the wall clock, as its timers do) and whether it was read to the end of its log. A
    /// partition read to its end is as far as the instance's latest input partition: it has
    /// nothing before that to send now (so a replay whose partitions end at different times is
    /// judged to the end: ``PartitionProjector/completeThrough(sources:)`` goes only a few hours
    /// past a partition read to its end).
    private func inputProgress(lag: [KafkaTopicPartition: Int64], lastEventWallClock: [KafkaTopicPartition: Int64]) -> [Repartition.Progress.Source] {
        let now = Self.wallClockMilliseconds()
        return partitions.withLock { owned in
            let inputs = owned.keys.filter { $0.topic == configuration.topic }.sorted()
            let latest = inputs.compactMap { owned[$0]!.projector.watermark }.max()
            return inputs.map { key in
                var watermark = owned[key]!.projector.watermark
                if configuration.live && now - (lastEventWallClock[key] ?? 0) > configuration.idleAfterMilliseconds {
                    watermark = max(watermark ?? EventTime(epochMilliseconds: now), EventTime(epochMilliseconds: now))
                }
                let caughtUp = lag[key] == 0
                if caughtUp, let latest { watermark = max(watermark ?? latest, latest) }
                return Repartition.Progress.Source(partition: key.partition, watermark: watermark, caughtUp: caughtUp)
            }
        }
    }

    /// Sends the progress of this instance's input partitions to every partition of the
    /// counter repartition topics.
    private func sendProgress(_ sources: [Repartition.Progress.Source], to topics: [(topic: String, attribute: String, partitions: Int)], with producer: KafkaProducer) throws {
        guard !sources.isEmpty else { return }
        let value = Repartition.Progress(sources: sources).bytes
        for topic in topics where topic.attribute != Repartition.repExits {
            for partition in 0..<topic.partitions {
                try producer.enqueue(KafkaOutgoingMessage(topic: topic.topic, partition: Int32(partition), key: nil, value: value,
                                                          headers: [KafkaHeader(name: "salespulse-source", string: configuration.topic)]))
            }
        }
    }

    /// The record carrying a batch of counter inputs to a partition of a repartition topic.
    private func counterBatchRecord(_ batch: Repartition.CounterBatch, to destination: RepartitionOutbox.Destination) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(topic: Repartition.topic(group: configuration.group, attribute: destination.attribute), partition: destination.partition, key: nil, value: batch.bytes,
                             headers: [KafkaHeader(name: "salespulse-source", string: configuration.topic)])
    }

    /// The record forwarded to the rep-exits topic for a rep's exit from a watched step.
    private func exitRecord(_ forward: Repartition.ExitForward, of record: KafkaRecord) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(topic: Repartition.topic(group: configuration.group, attribute: Repartition.repExits), key: Array(forward.exit.rep.utf8), value: forward.encoded,
                                    headers: [KafkaHeader(name: "salespulse-source", string: "\(configuration.topic)/\(record.partition)/\(record.offset)")])
    }

    /// Advances timers: by the watermark, and for partitions idle in live mode by the wall clock.
    /// Counter rules are evaluated first, while the counters still hold what the evaluation
    /// steps through (advancing evicts what the new watermark no longer needs). Returns the
    /// outputs and, in the same order, the alerts among them as alerts-topic records, each
    /// partition's written by the fold worker that advanced it: written on the consume thread
    /// as it published, they held up the next batch (a tick on a backlog fires thousands).
    /// They come part by part, in the order one thread would have produced them: put together,
    /// every output and record was copied once more on the consume thread while the other core
    /// waited (a tick of a backlog over a million customers fires 100,000 alerts and more).
    private func tick(lastEventWallClock: [KafkaTopicPartition: Int64], repartitionPartitions: [String: Int], inputPartitions: Int?, workers: FoldWorkers) -> [TickPart] {
        let now = Self.wallClockMilliseconds()
        return partitions.withLock { owned in
            let keys = owned.keys.sorted()
            let slots = keys.map { owned[$0]! }
            // Each partition's counter rules, then every partition's timers. Partitions share no
            // state (what rules read of others — teammates' counts, waiting customers — is copied
            // first), so the fold workers take the partitions one at a time, and the outputs are
            // put together in partition order as a single thread would produce them. The copies
            // are dropped before timers advance: a flow projection changed while a copy of it
            // lives would copy every shard it touches.
            var merged = TickPart()
            var ruled = [TickPart](repeating: TickPart(), count: keys.count)
            do {
                // In a scope of its own: `rules` holds the copies, dropped here.
                let rules = counterRuleWork(owned, keys: keys, repartitionPartitions: repartitionPartitions, inputPartitions: inputPartitions)
                merged = TickPart(rules.merged.map(FlowOutput.alert))
                if let evaluate = rules.perPartition {
                    ruled.withUnsafeMutableBufferPointer { ruled in
                        Self.forEachPartition(keys.count, on: workers) { index in ruled[index] = TickPart(evaluate(keys[index], slots[index]).map(FlowOutput.alert)) }
                    }
                }
            }
            var advanced = [TickPart](repeating: TickPart(), count: keys.count)
            advanced.withUnsafeMutableBufferPointer { advanced in
                Self.forEachPartition(keys.count, on: workers) { index in
                    let key = keys[index], slot = slots[index]
                    var target = slot.projector.watermark
                    let idle = now - (lastEventWallClock[key] ?? 0) > configuration.idleAfterMilliseconds
                    if configuration.live && idle { target = max(target ?? EventTime(epochMilliseconds: now), EventTime(epochMilliseconds: now)) }
                    guard let target else { return }
                    advanced[index] = TickPart(slot.projector.advance(to: target))
                }
            }
            var parts = [merged] + ruled + advanced
            // N-in-a-row rules on the reps' step exits merged across partitions.
            let process = configuration.process
            if !process.sequenceRules.isEmpty, let now = owned.values.compactMap(\.projector.watermark).max() {
                let keyed = keys.map { owned[$0]!.projector.rules }
                let changes = sequences.withLock { $0.evaluate(at: now, configuration: process, partitions: keyed) }
                countRuntimeRuleAlerts(changes)
                parts.append(TickPart(changes.map(FlowOutput.alert)))
            }
            return parts.filter { !$0.outputs.isEmpty }
        }
    }

    /// One partition's share of a tick: its outputs and, in the same order, the alerts among
    /// them as alerts-topic records, written where the outputs were made (on a fold worker).
    private struct TickPart {
        var outputs: [FlowOutput] = []
        var records = KafkaRecordBatch(topic: AlertEvent.topic)

        init() {}

        init(_ outputs: [FlowOutput]) {
            self.outputs = outputs
            records = AlertEvent.records(outputs)
        }
    }

    /// Calls `body` with each index in `0..<count` once, on the fold workers, which take the
    /// indices one at a time (`body` must touch only what belongs to its index).
    private static func forEachPartition(_ count: Int, on workers: FoldWorkers, _ body: (Int) -> Void) {
        let claimed = Atomic<Int>(0)
        workers.run(workers: min(workers.count, count)) { _, _ in
            while true {
                let index = claimed.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < count else { break }
                body(index)
            }
        }
    }

    /// A tick's counter-rule work: alerts of rules evaluated over counters merged across the
    /// partitions (`merged`), or the evaluation of one repartitioned partition's rules
    /// (`perPartition`, which gives nothing for other partitions), safe to call for several
    /// partitions at once.
    private struct CounterRuleWork {
        var merged: [Alert] = []
        var perPartition: ((KafkaTopicPartition, PartitionSlot) -> [Alert])?
    }

    /// Evaluates the counter rules. Repartitioned (the default): each partition of a
    /// repartition topic evaluates the rules over its own groups up to where every input
    /// partition has got (``PartitionProjector/completeThrough(sources:)``), with the runs and
    /// open alerts kept in its checkpoint, so the alerts depend only on that partition's inputs —
    /// not on which instance owns it, what else that instance owns, which input lags, or
    /// restarts. Not
    /// repartitioned (one instance): one evaluator over the counters merged across the input
    /// partitions, at the latest watermark; it is not checkpointed, so after a restart a run
    /// older than the retained history is found again from where that history begins.
    private func counterRuleWork(_ owned: [KafkaTopicPartition: PartitionSlot], keys: [KafkaTopicPartition], repartitionPartitions: [String: Int], inputPartitions: Int?) -> CounterRuleWork {
        let process = configuration.process
        guard !process.counterRules.isEmpty else { return CounterRuleWork() }
        // Time-to-sign rules: the region's customers waiting longest when the alert began,
        // among this instance's customers as they stand now. Read from copies of the flow
        // projections: a partition's own projector is being mutated while it evaluates.
        let wantsEvidence = process.counterRules.contains { $0.longestWaitingEvidence > 0 }
        let projections = wantsEvidence ? keys.map { owned[$0]!.projector.projection }.filter { !$0.customers.isEmpty } : []
        let evidence: (CounterRule, Alert) -> [String]? = { rule, alert in
            guard rule.longestWaitingEvidence > 0 else { return nil }
            return WaitingCustomers.longest(rule.longestWaitingEvidence, region: alert.customer, amongCustomersOf: projections, now: alert.since)
        }
        guard configuration.repartitionCounters else {
            guard let now = owned.values.compactMap(\.projector.watermark).max() else { return CounterRuleWork() }
            // How far back counter values changed since the last tick (late inputs from
            // lagging partitions): runs are re-checked from there.
            let changedFrom = owned.values.compactMap { $0.projector.takeEarliestCounterInput() }.min()
            // Each counter is merged once per tick, however many rules read it.
            var merged: [String: CounterState] = [:]
            let changes = rules.withLock { evaluator in
                evaluator.evaluate(at: now, configuration: process, changedFrom: changedFrom, states: { id in
                    if let state = merged[id] { return state }
                    let state = CounterState.merge(keys.compactMap { owned[$0]!.projector.counters.state(of: id) })
                    merged[id] = state
                    return state
                }, evidence: evidence)
            }
            countRuntimeRuleAlerts(changes)
            return CounterRuleWork(merged: changes)
        }
        // Rules comparing a rep with the team read the teammates' counts, which other
        // partitions hold: merged across this instance's partitions of that topic, up front.
        var teamStates: [String: CounterState] = [:]
        for rule in process.counterRules {
            guard case .belowTeamMean = rule.condition, teamStates[rule.counter] == nil,
                  let counter = process.counters.first(where: { $0.id == rule.counter }) else { continue }
            let topic = Repartition.topic(group: configuration.group, attribute: Repartition.attribute(of: counter))
            teamStates[rule.counter] = CounterState.merge(keys.filter { $0.topic == topic }.compactMap { owned[$0]!.projector.counters.state(of: rule.counter) })
        }
        return CounterRuleWork(perPartition: { [teamStates] key, slot in
            guard case .repartitioned(let attribute) = slot.projector.role, let partitionCount = repartitionPartitions[attribute] else { return [] }
            let own = slot.projector.counters
            return slot.projector.evaluateCounterRules(sources: inputPartitions, states: { id in teamStates[id] ?? own.state(of: id) ?? CounterState() },
                                                       owns: { KafkaPartitioner.consistent.partition(of: $0, partitions: partitionCount) == key.partition },
                                                       evidence: evidence)
        })
    }

    /// The consume loop's time by phase since the start (as ``Status/loopTime``, without
    /// gathering the rest of a status).
    public var loopTime: ConsumeLoopTime { loopTimes.withLock { $0 } }

    /// End-to-end latency (event time → projection updated) of the events applied so far.
    public var latencyHistogram: LatencyHistogram { metrics.latencies }

    /// Consumer lag per owned partition (records behind the high watermark), refreshed every second.
    public var consumerLag: [KafkaTopicPartition: Int64] { lags.withLock { $0 } }

    private func countRuntimeRuleAlerts(_ changes: [Alert]) {
        guard !changes.isEmpty else { return }
        let fired = changes.filter { $0.state == .fired }.count
        runtimeRuleAlerts.withLock { $0.fired += fired; $0.resolved += changes.count - fired }
    }

    /// Open alerts of counter rules.
    public func openRuleAlerts() -> [Alert] {
        let (absences, counted) = partitions.withLock { owned in (owned.values.flatMap(\.projector.rules.openAlerts), owned.values.flatMap(\.projector.counterRules.open.values)) }
        return (rules.withLock { Array($0.open.values) } + counted + sequences.withLock { Array($0.open.values) } + absences).sorted { $0.id < $1.id }
    }

    /// Sends the alerts among `outputs` to the alerts topic (`alertRecords`: those records,
    /// written already; nil: written here) and hands `outputs` to the listeners.
    private func publish(_ outputs: [FlowOutput], alertRecords: KafkaRecordBatch? = nil, producer: KafkaProducer) throws {
        guard !outputs.isEmpty else { return }
        let records = alertRecords ?? AlertEvent.records(outputs)
        try producer.enqueue(records)
        if !records.isEmpty { metrics.alertsOut.increment(by: records.count) }
        for listener in listeners.withLock({ $0 }) { listener(outputs) }
    }

    private func rebalance(_ event: KafkaRebalanceEvent) -> [KafkaTopicPartition: Int64] {
        switch event {
        case .assigned(let assigned):
            var starts: [KafkaTopicPartition: Int64] = [:]
            for partition in assigned {
                var checkpoint: PartitionCheckpoint?
                do {
                    checkpoint = try store.read(topic: partition.topic, partition: partition.partition)
                } catch {
                    logger.warning("\(error)")
                    store.quarantine(topic: partition.topic, partition: partition.partition)
                }
                let role = PartitionProjector.Role.of(topic: partition.topic, group: configuration.group, repartitioning: configuration.repartitionCounters)
                let projector = PartitionProjector(topic: partition.topic, partition: partition.partition, configuration: configuration.process, checkpoint: checkpoint, role: role)
                // Resume right after the checkpoint, or rebuild by replaying the partition from
                // offset 0 rather than the logical "beginning": that would first ask the broker
                // where each partition begins, and librdkafka retries a failed query only 500 ms
                // later (seen as start-up stalls of 0.4–0.5 s in half the bench runs). A log whose
                // head retention removed answers "out of range", and `auto.offset.reset=earliest`
                // then starts at its first record, as "beginning" would have.
                starts[partition] = checkpoint?.nextOffset ?? 0
                partitions.withLock { $0[partition] = PartitionSlot(projector) }
                checkpointed.withLock { $0[partition] = checkpoint == nil ? nil : projector.checkpointMark }
                logger.info("partition restored", metadata: ["partition": "\(partition)", "from": "\(checkpoint.map { "checkpoint@\($0.nextOffset)" } ?? "beginning")", "customers": "\(checkpoint?.customers.count ?? 0)"])
            }
            ready.store(true, ordering: .releasing)
            return starts
        case .revoked(let revoked, let lost):
            for partition in revoked {
                guard let projector = partitions.withLock({ $0.removeValue(forKey: partition)?.projector }) else { continue }
                if !lost && !crashing.load(ordering: .acquiring) && !finalCheckpointWritten.load(ordering: .acquiring) {
                    checkpoints.afterPendingWrites {
                        // Unless its newest checkpoint holds the state already.
                        if checkpointed.withLock({ $0[partition] }) != projector.checkpointMark { write(projector) }
                    }
                }
                checkpointed.withLock { $0[partition] = nil }
            }
            return [:]
        }
    }

    /// Checkpoints every owned partition whose state moved since its newest checkpoint, the
    /// partitions shared out among the fold threads (each checkpoint is a separate file, encoded
    /// from a copy-on-write snapshot), and puts the files in place together once `ready` returns
    /// true (one folder sync for all); when it returns false, removes them.
    private func checkpointAll(workers: FoldWorkers, publishingAfter ready: () -> Bool) {
        let snapshot = Snapshot(projectors: changedProjectors())
        let staged = Mutex<[(file: CheckpointStore.Staged, mark: (KafkaTopicPartition, CheckpointMark))]>([])
        workers.run(workers: min(workers.count, snapshot.projectors.count)) { worker, _ in
            for index in stride(from: worker, to: snapshot.projectors.count, by: workers.count) {
                let projector = snapshot.projectors[index]
                if let file = stage(projector) { staged.withLock { $0.append((file, (Self.key(of: projector), projector.checkpointMark))) } }
            }
        }
        let files = staged.withLock { $0 }
        guard ready() else {
            store.discard(files.map(\.file))
            return logger.warning("final checkpoint not put in place: the records produced before it were not acknowledged; the earlier checkpoints stand, and a restart folds what came after them again")
        }
        do {
            try store.publish(files.map(\.file))
            checkpointed.withLock { marks in for (key, mark) in files.map(\.mark) { marks[key] = mark } }
        } catch {
            logger.error("checkpoint failed: \(error)")
        }
    }

    /// Copies of the owned partitions' projectors whose state moved since their newest
    /// checkpoint (``CheckpointMark``), in partition order.
    private func changedProjectors() -> [PartitionProjector] {
        let marks = checkpointed.withLock { $0 }
        return partitions.withLock { owned in
            owned.keys.sorted().compactMap { key in
                let projector = owned[key]!.projector
                return marks[key] == projector.checkpointMark ? nil : projector
            }
        }
    }

    /// A projector's partition.
    private static func key(of projector: PartitionProjector) -> KafkaTopicPartition {
        KafkaTopicPartition(topic: projector.topic, partition: projector.partition)
    }

    /// The checkpoint of every owned partition whose state moved since its newest one, encoded,
    /// with what it holds; the partitions shared out among the fold threads, in partition order.
    /// A partition that cannot be encoded is logged and left out (its previous checkpoint stays).
    private func encodeAll(workers: FoldWorkers) -> [(CheckpointStore.Encoded, CheckpointMark)] {
        let snapshot = Snapshot(projectors: changedProjectors())
        let encoded = Mutex<[Int: (CheckpointStore.Encoded, CheckpointMark)]>([:])
        workers.run(workers: min(workers.count, snapshot.projectors.count)) { worker, _ in
            for index in stride(from: worker, to: snapshot.projectors.count, by: workers.count) {
                do {
                    let projector = snapshot.projectors[index]
                    let bytes = try store.encode(projector.checkpoint())
                    encoded.withLock { $0[index] = (bytes, projector.checkpointMark) }
                } catch {
                    logger.error("checkpoint failed: \(error)")
                }
            }
        }
        return encoded.withLock { encoded in encoded.keys.sorted().map { encoded[$0]! } }
    }

    /// Projector copies handed to the checkpoint threads.
    private struct Snapshot: @unchecked Sendable {
        let projectors: [PartitionProjector]
    }

    /// Writes a projector's checkpoint in place (a snapshot's, or a revoked partition's).
    private func write(_ projector: PartitionProjector) {
        do {
            write(try store.encode(projector.checkpoint()), mark: projector.checkpointMark)
        } catch {
            logger.error("checkpoint failed: \(error)")
        }
    }

    /// Compresses, writes and puts in place an encoded checkpoint holding `mark`.
    private func write(_ encoded: CheckpointStore.Encoded, mark: CheckpointMark) {
        let start = ContinuousClock.now
        do {
            let staged = try store.stage(encoded)
            try store.publish([staged])
            checkpointed.withLock { $0[KafkaTopicPartition(topic: encoded.topic, partition: encoded.partition)] = mark }
            recordCheckpoint(bytes: staged.size, since: start, plus: encoded.encodingTime)
        } catch {
            logger.error("checkpoint failed: \(error)")
        }
    }

    /// Writes a projector's checkpoint to its temporary file (``CheckpointStore/stage(_:)``).
    private func stage(_ projector: PartitionProjector) -> CheckpointStore.Staged? {
        let start = ContinuousClock.now
        do {
            let staged = try store.stage(projector.checkpoint())
            recordCheckpoint(bytes: staged.size, since: start)
            return staged
        } catch {
            logger.error("checkpoint failed: \(error)")
            return nil
        }
    }

    /// Records a checkpoint written since `start`, after `encoding` spent on it before.
    private func recordCheckpoint(bytes: Int, since start: ContinuousClock.Instant, plus encoding: Duration = .zero) {
        let elapsed = ContinuousClock.now - start + encoding
        metrics.checkpoint.recordNanoseconds(elapsed.nanoseconds)
        metrics.checkpointBytes.record(bytes)
        let milliseconds = elapsed.fractionalMilliseconds
        counters.withLock { $0.checkpoints += 1; $0.bytes = bytes; $0.milliseconds = milliseconds }
    }

    public static func wallClockMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: - Queries

    /// The state of one customer, if this instance owns it.
    public func customer(_ id: String) -> CustomerState? {
        partitions.withLock { owned in owned.values.lazy.compactMap { $0.projector.projection.customers[id] }.first }
    }

    /// Metrics over the customers this instance owns (merge across instances with `+`).
    ///
    /// Computed one shard of one partition at a time, each under the partition lock: the consume
    /// thread waits at most for one shard (1/64 of a partition's customers), never for a scan of
    /// every customer, and nothing is copied. Every shard adds to one ``MetricsGrouping`` (one
    /// lookup per customer), from which the groupings are derived once. The sums are exact; with
    /// records flowing they mix shards read a few milliseconds apart, like any live dashboard query.
    public func metrics(now: EventTime) -> MetricsReport {
        var grouping = MetricsGrouping()
        forEachShard { projection, shard in projection.addMetrics(now: now, shard: shard, to: &grouping) }
        return grouping.report(organisation: configuration.process.organisation)
    }

    /// The overall metric sums as of `now` (``metrics(now:)``'s `overall`, without the groupings
    /// by rep, team and region), computed shard by shard like it.
    public func overallMetrics(now: EventTime) -> MetricSums {
        combineShards(MetricSums(), +=) { projection, shard in projection.overallMetrics(now: now, shard: shard) }
    }

    /// Calls `visit` with the address of every customer state this instance owns, valid during
    /// the call, one shard of one partition at a time under the partition lock (so the consume
    /// thread waits at most for one shard, and nothing is copied): for a summary that reads a
    /// few fields of each customer. `visit` must be quick and must not query the runtime.
    public func forEachCustomerAddress(_ visit: (UnsafePointer<CustomerState>) -> Void) {
        forEachShard { projection, shard in projection.customers.forEachValueAddress(inShard: shard, visit) }
    }

    /// `read` applied to each shard of each owned partition's flow projection in turn, and each
    /// result added to `initial` in place with `add` (see ``forEachShard(_:)``). In place: the
    /// result lives in the closure's context, so `result = result + part` copied all of it for
    /// every shard (the 114,222 open alerts of a 1 M backlog took minutes, under the lock).
    private func combineShards<R>(_ initial: R, _ add: (inout R, R) -> Void, _ read: (FlowProjection, Int) -> R) -> R {
        var result = initial
        forEachShard { projection, shard in add(&result, read(projection, shard)) }
        return result
    }

    /// `visit` called with each shard of each owned partition's flow projection in turn
    /// (partitions in order), each call under the partition lock: the consume thread waits at
    /// most for one shard. A partition released meanwhile is skipped.
    private func forEachShard(_ visit: (FlowProjection, Int) -> Void) {
        let keys = partitions.withLock { $0.keys.sorted() }
        for key in keys {
            for shard in 0..<ShardedMap<CustomerState>.shardCount {
                let stillOwned = partitions.withLock { owned -> Bool in
                    guard let partition = owned[key] else { return false }
                    visit(partition.projector.projection, shard)
                    return true
                }
                if !stillOwned { break }
            }
        }
    }

    /// The number of open alerts (``openAlerts()``'s count), counted where they are kept
    /// instead of copied, gathered and sorted.
    public func openAlertCount() -> Int {
        let ruleAlerts = partitions.withLock { owned in
            owned.values.reduce(0) { $0 + $1.projector.rules.openAlerts.count + $1.projector.counterRules.open.count }
        } + rules.withLock { $0.open.count } + sequences.withLock { $0.open.count }
        return combineShards(ruleAlerts, +=) { projection, shard in projection.openAlertCount(shard: shard) }
    }

    /// The owned projections, copied under the lock in O(partitions): the copies share storage
    /// with the live ones (copy on write), so scans over every customer run without holding the
    /// lock the consume thread needs; a shard the consume thread changes meanwhile is copied then.
    private func snapshot() -> [FlowProjection] {
        partitions.withLock { owned in owned.keys.sorted().map { owned[$0]!.projector.projection } }
    }

    /// Open alerts (customer timers and counter rules), sorted by id.
    public func openAlerts() -> [Alert] {
        var alerts = openRuleAlerts()
        // Each customer's alerts read where they lie: lent by value, every state was copied.
        forEachCustomerAddress { alerts.append(contentsOf: $0.pointee.openAlerts.values) }
        return alerts.sorted { $0.id < $1.id }
    }

    /// The first `limit` open alerts by id that began (or resolved) at or after `since`, and how
    /// many match: ``openAlerts()`` filtered and cut, without copying the alerts left out.
    public func openAlerts(since: EventTime?, limit: Int) -> (alerts: [Alert], total: Int) {
        var selection = FirstByKey<Alert>(limit: limit)
        for alert in openRuleAlerts() where Alert.began(alert.resolvedAt ?? alert.since, since: since) { selection.consider(alert) }
        forEachCustomerAddress { state in
            let alerts = state.pointee.openAlerts
            for index in alerts.indices where Alert.began(alerts[valueAt: index].resolvedAt ?? alerts[valueAt: index].since, since: since) {
                selection.consider(key: alerts[valueAt: index].id) { alerts[valueAt: index] }
            }
        }
        return (selection.elements, selection.total)
    }

    /// A counter's state merged across the partitions this instance owns.
    public func counterState(_ id: String) -> CounterState {
        CounterState.merge(partitions.withLock { owned in owned.keys.sorted().compactMap { owned[$0]!.projector.servedCounterState(id) } })
    }

    /// All customer states (sorted by id), e.g. for reports and comparisons.
    public func allCustomers() -> [CustomerState] {
        snapshot().flatMap { $0.customersSortedByID() }.sortedByCustomerID()
    }

    /// Input records consumed so far (cheap: no partition lock, unlike ``status()``).
    public var recordsConsumed: Int { counters.withLock { $0.consumed } }

    /// Counter inputs and rep exits forwarded to repartition topics by this instance, and those
    /// this instance consumed from them (entries: one batch record carries many).
    public var repartitionProgress: (forwarded: Int, consumed: Int) { repartitionCounts.withLock { $0 } }

    /// The status captured at shutdown, before partitions were released.
    public func statusAtShutdown() -> Status? { finalStatus.withLock { $0 } }

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
        return Status(partitions: keys, customers: customers, statistics: statistics, watermark: watermark, recordsConsumed: c.consumed, dlqPublished: c.dlq, checkpointsWritten: c.checkpoints, lastCheckpointBytes: c.bytes, lastCheckpointMilliseconds: c.milliseconds, processingSeconds: c.busy, batches: c.batches, lastTickMilliseconds: c.tick, loopTime: loopTimes.withLock { $0 },
                      fetchWakeups: fetchWakeups.load(ordering: .relaxed),
                      finalCheckpointMilliseconds: finalCheckpointMilliseconds.withLock { $0 })
    }
}

/// A partition's projector held by reference, so folding mutates it in place (a struct in a
/// dictionary would be copied on write with its whole customer map). Only touched under the
/// runtime's partition lock.
final class PartitionSlot {
    var projector: PartitionProjector
    init(_ projector: PartitionProjector) { self.projector = projector }
}

extension Duration {
    /// The duration in whole milliseconds (for logs).
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
    /// The duration in whole nanoseconds (for metrics).
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
    /// The duration in milliseconds with their fraction (for status figures).
    var fractionalMilliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
    /// The duration in seconds with their fraction (for status figures and metrics).
    var fractionalSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
