import Foundation
import Logging
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
import Synchronization

/// The consume loop: take a batch, fold it on the fold workers, queue what it produced, store
/// its offsets; between batches, ticks and checkpoint rounds; at a stop, the final checkpoint.
extension ProjectorRuntime {
    func loop() throws {
        // Which kind of broker this is decides the default session timeout and how repartition
        // topics are created (the embedded broker implements no CreateTopics).
        let admin = try KafkaAdmin(configuration: configuration.adminConfiguration, logger: logger)
        guard try reachCluster(with: admin) else { return }  // stopped while waiting
        let cluster = admin.clusterID(timeout: .seconds(2))
        origin.withLock { $0.clusterID = cluster }
        if cluster == nil { logger.warning("the cluster did not say its id: checkpoints in \(configuration.checkpointDirectory) are restored without checking that they were taken on this cluster") }
        let onEmbeddedBroker = cluster.map(Self.isEmbeddedCluster) ?? false
        let consumerConfiguration = configuration.consumerConfiguration(onEmbeddedBroker: onEmbeddedBroker)
        logger.info("joining the group", metadata: ["kafka.group": "\(configuration.group)", "kafka.cluster": "\(cluster ?? "unknown")",
                                                    "session.timeout.ms": "\(consumerConfiguration.sessionTimeoutMilliseconds)"])
        let producer = try KafkaProducer(configuration: configuration.producerConfiguration, logger: logger)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, maxBatchSize: configuration.batchSize, logger: logger) { [self] event in
            var event = event
            // What the revoked partitions forwarded reaches the repartition topics before another
            // instance can take them over and forward newer inputs (see ``Repartition``).
            // Unacknowledged, their checkpoints would cover records that may be lost: they are
            // dropped unsaved, as lost ones are, and their next owner folds again from the
            // checkpoints before (sending those records again).
            // (Closing without a checkpoint, or after the final one, there is nothing to write.)
            if case .revoked(let revoked, lost: false) = event, revocationsCheckpoint, !acknowledgeProduced(producer, before: .revocation) {
                logger.warning("revoked partitions dropped without a checkpoint: the records produced before the revocation were not acknowledged; their next owner folds them again from their checkpoints before")
                event = .revoked(revoked, lost: true)
            }
            let starts = rebalance(event) { partitions in
                do { return try admin.endOffsets(of: partitions, timeout: .seconds(2)) } catch {
                    logger.info("where the assigned partitions' logs end is unknown (\(error)): their checkpoints are restored without that check")
                    return nil
                }
            }
            announceOwnership(with: producer)
            return starts
        }
        activeConsumer.withLock { $0 = consumer }
        defer { activeConsumer.withLock { $0 = nil } }
        // A run that throws from here on closes as a crash closes: no checkpoint may cover
        // inputs whose records were not produced, or were given up on.
        var stopped = false
        defer { if !stopped { closeWithoutCheckpoint(consumer, producer) } }
        try ensureOutputTopics(admin: admin, onEmbeddedBroker: onEmbeddedBroker)
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
        // The last tick's start, and how far apart ticks are (lag and progress are taken every second).
        var lastRuleTick = ContinuousClock.now
        var tickSpacing = TickSpacing()
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
            // Each fold worker's alerts as alerts-topic records, written by that worker, and how
            // many of them, from the first, it queued.
            var alertRecords: [KafkaRecordBatch] = []
            var alertRecordsQueued: [Int] = []
            var producingError: KafkaError?
            var offsets: [KafkaTopicPartition: Int64] = [:]
            // Dead letters and forwards the fold workers could not queue (librdkafka's queue was
            // full), and how many there were in all.
            var deadLetters: [KafkaOutgoingMessage] = []
            var forwards: [KafkaOutgoingMessage] = []
            var deadLetterCount = 0
            var forwardCount = 0
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
                let parts = foldOnWorkers(batch, workers: workers, repartitionPartitions: repartitionPartitions, spareOutputs: &spareOutputs, spareRecords: &spareRecords,
                                          producer: producer)
                var latencies = LatencyHistogram()
                var repartitioned = 0
                for part in parts {
                    outputs.append(part.outputs)
                    alertRecords.append(part.alertRecords)
                    alertRecordsQueued.append(part.alertRecordsQueued)
                    producingError = producingError ?? part.producingError
                    offsets.merge(part.offsets) { _, new in new }
                    deadLetters += part.deadLetters[part.deadLettersQueued...]
                    forwards += part.forwards[part.forwardsQueued...]
                    deadLetterCount += part.deadLetters.count
                    forwardCount += part.forwards.count
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
                if offsets.keys.contains(where: { $0.topic == configuration.topic }) { lastInputWallClock.store(now, ordering: .relaxed) }
            }
            if let producingError { throw producingError }
            for message in deadLetters { try producer.enqueue(message) }
            // Forwarded before the offsets are stored: a crash re-forwards, never loses.
            for message in forwards { try producer.enqueue(message) }
            if forwardCount > 0 {
                repartitionCounts.withLock { $0.forwarded += forwardedInputs }
                metrics.forwarded.increment(by: forwardCount)
            }
            if deadLetterCount > 0 { metrics.deadLetters.increment(by: deadLetterCount) }
            for worker in outputs.indices {
                // The fold worker handed the outputs to the listeners already.
                try publish(outputs[worker], alertRecords: alertRecords[worker], queuedAlready: alertRecordsQueued[worker], notifying: false, producer: producer)
            }
            // Back to the spares (a worker unused this batch keeps its own).
            for worker in outputs.indices {
                if worker == spareOutputs.count { spareOutputs.append([]) }
                swap(&spareOutputs[worker], &outputs[worker])
                spareOutputs[worker].removeAll(keepingCapacity: true)
            }
            for worker in alertRecords.indices {
                if worker == spareRecords.count { spareRecords.append(KafkaRecordBatch(topic: configuration.alertsTopic)) }
                swap(&spareRecords[worker], &alertRecords[worker])
                spareRecords[worker].removeAll(keepingCapacity: true)
            }
            if !offsets.isEmpty {
                try consumer.store(offsets.map { KafkaPartitionOffset($0.key, offset: $0.value) })
            }
            if let failure = undeliveredRecords(producer) { throw failure }
            counters.withLock { $0.consumed += inputRecords; $0.dlq += deadLetterCount }
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
                metrics.unacknowledged.record(producer.inFlight)
                // After the inputs forwarded so far (same producer, same partitions: in order).
                let progress = inputProgress(lag: lag ?? [:], lastEventWallClock: lastEventWallClock)
                if progress != progressSent {
                    try sendProgress(progress, to: repartitionTopics, with: producer)
                    progressSent = progress
                }
                // Spaced further apart while catching up (``TickSpacing``).
                let catchingUp = recordsWaiting >= configuration.inPlaceCheckpointMinimumLag
                if tickSpacing.isDue(after: lastTick - lastRuleTick, catchingUp: catchingUp) {
                    lastRuleTick = lastTick
                    let parts = tick(lastEventWallClock: lastEventWallClock, repartitionPartitions: repartitionPartitions, inputPartitions: inputPartitions, workers: workers)
                    let took = ContinuousClock.now - lastTick
                    metrics.tick.recordNanoseconds(took.nanoseconds)
                    counters.withLock { $0.tick = took.fractionalMilliseconds }
                    tickSpacing.record(tickTook: took, catchingUp: catchingUp)
                    for part in parts { try publish(part.outputs, alertRecords: part.records, producer: producer) }
                }
                loopTime.add(ContinuousClock.now - lastTick, to: .ticking)
            }
            let checkpointCheck = ContinuousClock.now
            if checkpointCheck - lastCheckpoint >= checkpointInterval, !checkpoints.isWriting, acknowledgeProduced(producer, before: .periodic) {
                // Taken between batches (each partition's consistent with its offset), written
                // off this thread.
                let (writes, pause) = checkpointRound(workers: workers, catchingUp: recordsWaiting >= configuration.inPlaceCheckpointMinimumLag)
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
        stopped = true
        if let failure = shutDown(consumer, producer, workers: workers) { throw failure }
    }

    /// How long every broker may be reported down, with nothing acknowledged, before a wait for
    /// acknowledgements gives up: the cluster is gone, not slow (a stop waited 30 s for
    /// acknowledgements, then 10 s more as the producer closed; session 57).
    static let outageLimit = Duration.seconds(5)

    /// After the loop: on a stop, the final checkpoint (put in place once every record produced
    /// before it is acknowledged), the offsets committed, the consumer and producer closed; on
    /// a simulated crash, closed without either. Returns the error of records the producer
    /// gave up on (``undeliveredRecords(_:)``), which the run throws, nil without any.
    private func shutDown(_ consumer: KafkaConsumer, _ producer: KafkaProducer, workers: FoldWorkers) -> KafkaError? {
        if crashing.load(ordering: .acquiring) {
            logger.info("crash simulated: closing without checkpoint")
            closeWithoutCheckpoint(consumer, producer)
            return nil
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
            let done = acknowledgeProduced(producer, before: .final)
            flushed.withLock { $0 = done }
            acknowledged.leave()
        }
        checkpoints.afterPendingWrites {
            let started = ContinuousClock.now
            checkpointAll(workers: workers, publishingAfter: { acknowledged.wait(); return flushed.withLock { $0 } })
            let took = ContinuousClock.now - started
            finalCheckpointMilliseconds.withLock { $0 = took.fractionalMilliseconds }
        }
        // The flush is over before the producer is used again, or closed under it (a checkpoint
        // whose files could not be synced returns without waiting for it).
        acknowledged.wait()
        // Before the producer closes: records purged then count as given up on.
        let failure = undeliveredRecords(producer)
        // Nothing is folded after this: the revocation in close() has nothing new to write.
        finalCheckpointWritten.store(true, ordering: .releasing)
        let checkpointed = ContinuousClock.now
        let last = status()
        finalStatus.withLock { $0 = last }
        // Once every broker has been down for the outage limit and none answers, the commit
        // cannot reach the group coordinator, and the close waits for it in vain (about 9 s of
        // a 16 s stop with the cluster gone). The producer tells: its delivery thread serves
        // librdkafka's reports at once, where the consumer's wait for a consume call.
        consumer.commit(within: .seconds(10), givingUpWhen: Self.clusterGone(as: producer))
        consumer.close(within: .seconds(10), givingUpWhen: Self.clusterGone(as: producer))
        producer.close(timeout: .seconds(10), givingUpAfterOutageOf: Self.outageLimit)
        logger.info("stopped", metadata: ["checkpoint.ms": "\((checkpointed - stopStarted).milliseconds)", "close.ms": "\((ContinuousClock.now - checkpointed).milliseconds)"])
        return failure
    }

    /// Closes as a crash closes (a simulated one, or a run that throws): no checkpoint, no
    /// commit, revoked partitions dropped unsaved. A restart folds again from the checkpoints
    /// written before, and sends again what that produces.
    private func closeWithoutCheckpoint(_ consumer: KafkaConsumer, _ producer: KafkaProducer) {
        crashing.store(true, ordering: .releasing)
        let last = status()
        finalStatus.withLock { $0 = last }
        consumer.close(within: .seconds(10), givingUpWhen: Self.clusterGone(as: producer))
        producer.close(timeout: .seconds(5), givingUpAfterOutageOf: Self.outageLimit)
    }

    /// Whether the cluster is gone, as `producer` tells (see ``KafkaProducer/clusterGone(after:)``):
    /// why, in words, or nil. What the consumer's final waits ask.
    private static func clusterGone(as producer: KafkaProducer) -> @Sendable () -> String? {
        { producer.clusterGone(after: outageLimit).map { "every broker has been down for \($0.milliseconds) ms, and none answers" } }
    }

    /// The error of records the producer gave up on (nil while there are none): their inputs
    /// must be folded again, so the run ends without a checkpoint past them.
    private func undeliveredRecords(_ producer: KafkaProducer) -> KafkaError? {
        let tally = producer.tally
        guard tally.failed > 0 else { return nil }
        let records = tally.failed == 1 ? "1 record" : "\(tally.failed) records"
        let first = tally.firstError
        return KafkaError(code: .delivery, librdkafkaName: first?.librdkafkaName,
                          message: "\(records) this run produced (dead letters, forwards and progress to repartition topics, alerts, partition claims) could not be delivered (the first: \(first.map { "\($0.message), \($0.librdkafkaName ?? "\($0.code)")" } ?? "no error named")); the run stopped without a checkpoint past the inputs they came from",
                          hint: (first.map { $0.hint + " " } ?? "") + "Then restart: the restart folds those inputs again from the checkpoints before and sends their records again.")
    }

    /// Waits until every record produced so far (forwards, dead letters, alerts) is acknowledged:
    /// a checkpoint must not reflect records whose outputs are still in flight, or a crash right
    /// after it would lose them (the restart resumes after them). Takes about the producer's
    /// linger time. False, with a warning, when the brokers do not acknowledge in time, or
    /// have all been down for ``outageLimit`` with nothing acknowledged.
    /// False as well when the producer gave up on a record (``undeliveredRecords(_:)``): no
    /// checkpoint may cover its input.
    /// Counted in `salespulse_records_unacknowledged` as the wait starts and ends, and in
    /// `salespulse_checkpoints_skipped_total` when it returns false.
    @discardableResult
    private func acknowledgeProduced(_ producer: KafkaProducer, before occasion: CheckpointOccasion) -> Bool {
        metrics.unacknowledged.record(producer.inFlight)
        defer { metrics.unacknowledged.record(producer.inFlight) }
        do {
            try producer.flush(timeout: .milliseconds(configuration.acknowledgementWaitMilliseconds), givingUpAfterOutageOf: Self.outageLimit)
        } catch {
            logger.warning("produced records not acknowledged before \(occasion.words): \(error)")
            metrics.skippedCheckpoint(at: occasion)
            return false
        }
        if let failure = undeliveredRecords(producer) {
            logger.error("records given up on before \(occasion.words): \(failure)")
            metrics.skippedCheckpoint(at: occasion)
            return false
        }
        return true
    }

    /// When a checkpoint is taken: what waits for the records produced before it.
    enum CheckpointOccasion: String, CaseIterable, Sendable {
        /// A periodic round (`--checkpoint-interval`).
        case periodic
        /// The partitions a rebalance takes away.
        case revocation
        /// The stop's final checkpoint.
        case final

        /// The occasion in a log line.
        var words: String {
            switch self {
            case .periodic: "checkpoint"
            case .revocation: "revocation"
            case .final: "final checkpoint"
            }
        }
    }

    /// Sends the alerts among `outputs` to the alerts topic (`alertRecords`: those records,
    /// written already, of which the first `queuedAlready` are queued already; nil: written
    /// here) and, `notifying`, hands `outputs` to the listeners.
    private func publish(_ outputs: [FlowOutput], alertRecords: KafkaRecordBatch? = nil, queuedAlready: Int = 0, notifying: Bool = true, producer: KafkaProducer) throws {
        guard !outputs.isEmpty else { return }
        let records = alertRecords ?? AlertEvent.records(outputs, topic: configuration.alertsTopic)
        try producer.enqueue(records, from: queuedAlready)
        if !records.isEmpty { metrics.alertsOut.increment(by: records.count) }
        if notifying { for listener in listeners.withLock({ $0 }) { listener(outputs) } }
    }
}
