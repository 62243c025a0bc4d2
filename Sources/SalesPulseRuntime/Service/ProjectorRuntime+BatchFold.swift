import Foundation
import Logging
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
import Synchronization

/// One batch folded on the fold workers: its records grouped by partition, each group folded in
/// batch order by one worker.
extension ProjectorRuntime {
    /// Decodes and folds `batch` on the fold workers (one worker for a batch smaller than
    /// ``RuntimeConfiguration/parallelFoldMinimumBatch``), under the partition lock; returns each
    /// worker's part, in worker order. The workers' output arrays and alerts-topic records start
    /// from `spareOutputs` and `spareRecords` (swapped in, not copied: they stay unique). Each
    /// worker queues its alerts-topic records, forwards and dead letters with `producer` as far
    /// as librdkafka's queue takes them without waiting (``BatchPart/alertRecordsQueued``; the
    /// caller queues the rest), then hands its outputs to the listeners (``onOutputs(_:)``).
    func foldOnWorkers(_ batch: KafkaBatch, workers: FoldWorkers, repartitionPartitions: [String: Int], spareOutputs: inout [[FlowOutput]], spareRecords: inout [KafkaRecordBatch],
                       producer: KafkaProducer) -> [BatchPart] {
        // Event time → projection updated, per applied event, against one clock reading per batch.
        let batchClock = Self.wallClockMilliseconds()
        return partitions.withLock { owned in
            let slots = SlotTable(slots: owned)
            let used = batch.count >= configuration.parallelFoldMinimumBatch ? workers.count : 1
            let groups = used > 1 ? Self.partitionGroups(of: batch) : [batch.indices.map { Int32($0) }]
            // Groups are claimed one at a time, largest first: a fold thread slowed down
            // (it shares its core with librdkafka's threads) takes fewer.
            let claimed = Atomic<Int>(0)
            var parts = [BatchPart](repeating: BatchPart(alertsTopic: configuration.alertsTopic), count: used)
            // Swapped, not copied, from here to the worker's part: the arrays stay unique.
            for worker in 0..<min(used, spareOutputs.count) { swap(&parts[worker].outputs, &spareOutputs[worker]) }
            for worker in 0..<min(used, spareRecords.count) { swap(&parts[worker].alertRecords, &spareRecords[worker]) }
            parts.withUnsafeMutableBufferPointer { parts in
                // Each worker works on its own element.
                workers.run(workers: used) { worker, decoder in
                    var part = BatchPart(alertsTopic: configuration.alertsTopic)
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
                    // Queued here too, while the other fold threads still fold: queued by the
                    // consume thread after the batch, the records (the alerts' CloudEvents JSON
                    // copied into librdkafka's queue) held up the next batch with the other core
                    // idle (BENCHMARKS.md, session 52). Without waiting for room: the partition
                    // lock is held; the consume thread queues what did not fit.
                    do throws(KafkaError) {
                        part.alertRecordsQueued = try producer.enqueueUntilFull(part.alertRecords)
                        part.forwardsQueued = try producer.enqueueUntilFull(part.forwards)
                        part.deadLettersQueued = try producer.enqueueUntilFull(part.deadLetters)
                    } catch {
                        part.producingError = error
                    }
                    // The listeners (the live stream) too: handed every part by the consume
                    // thread after the batch, they held up the next as the queueing did.
                    if !part.outputs.isEmpty {
                        for listener in listeners.withLock({ $0 }) { listener(part.outputs) }
                    }
                    part.forwardedInputs += outbox.gathered
                    parts[worker] = part
                }
            }
            return parts
        }
    }

    /// Records `from..<upTo` of `partition` were not delivered: the broker no longer has them
    /// (retention removed them before they were folded — the embedded broker keeps about 5 MiB
    /// per partition —, or compaction, or an aborted transaction). Logged and counted
    /// (``Status/recordsMissing``, `salespulse_records_missing_total`): the partition's
    /// projections lack them, where otherwise nothing would say so. Called on a fold worker.
    private func noteMissing(_ partition: KafkaTopicPartition, from: Int64, upTo: Int64) {
        let count = Int(upTo - from)
        missingRecords.wrappingAdd(count, ordering: .relaxed)
        (partition.topic == configuration.topic ? metrics.recordsMissing : metrics.repartitionMissing).increment(by: count)
        logger.warning("records missing from \(partition): offsets \(from) to \(upTo - 1) (\(count) records) were not delivered: the broker no longer has them (retention, compaction or an aborted transaction); this partition's projections lack them",
                       metadata: ["partition": "\(partition)", "missing": "\(count)",
                                  "hint": "Fold a topic before the broker's retention removes its records: give instances one shared --state-dir, so a partition that moves is restored from its checkpoint rather than read from the beginning; on the embedded broker (about 5 MiB kept per partition) give the topic more partitions, or run while publishing."])
    }

    /// The partition slots handed to the fold workers while the consume thread holds the
    /// partition lock (each worker touches only its own partitions' slots).
    private struct SlotTable: @unchecked Sendable {
        let slots: [KafkaTopicPartition: PartitionSlot]
    }

    /// What one fold worker produced from its share of a batch.
    struct BatchPart {
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
        var alertRecords: KafkaRecordBatch
        /// How many of ``alertRecords``, ``forwards`` and ``deadLetters``, from the first, the
        /// worker queued (all of them unless librdkafka's queue was full).
        var alertRecordsQueued = 0
        var forwardsQueued = 0
        var deadLettersQueued = 0
        /// Why the worker could not queue its records, if it could not.
        var producingError: KafkaError?

        init(alertsTopic: String) {
            alertRecords = KafkaRecordBatch(topic: alertsTopic)
        }
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
            // Past the next offset by more than a transaction marker's one: records the broker
            // no longer has (retention) were skipped over. Said once per gap.
            if record.offset > projector.nextOffset + 1 { noteMissing(key, from: projector.nextOffset, upTo: record.offset) }
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
            case .rejected(let rejection): part.deadLetters.append(DeadLetter.record(for: record, rejection: rejection, input: configuration.topic, to: configuration.deadLetterTopic))
            case .duplicate, nil: break
            }
        }
        return index
    }
}
