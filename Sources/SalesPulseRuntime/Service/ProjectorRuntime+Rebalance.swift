import Foundation
import Logging
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
import Synchronization

/// Partitions assigned (restored from their checkpoints) and revoked (checkpointed, dropped).
extension ProjectorRuntime {
    /// Handles a rebalance on the consume thread (librdkafka calls it inside the consume call).
    /// Assigned: each partition restored from its checkpoint, or rebuilt from offset 0 without
    /// one (a corrupt one is moved aside; one of another ``CheckpointOrigin`` or past its log's
    /// end is left for the partition's next checkpoint to replace) — or, given back after the
    /// revocation before, taken back from memory (``KeptPartition``); returns where each
    /// resumes. Revoked: each partition checkpointed (unless lost, crashing, or its newest
    /// checkpoint holds its state), then kept for the next assignment or let go.
    /// `logEnds` tells where the logs of partitions end (nil when the cluster cannot say): a
    /// checkpoint past its log's end is not restored.
    func rebalance(_ event: KafkaRebalanceEvent, logEnds: ([KafkaTopicPartition]) -> [KafkaTopicPartition: Int64]? = { _ in nil }) -> [KafkaTopicPartition: Int64] {
        switch event {
        case .assigned(let assigned):
            return assign(assigned, logEnds: logEnds)
        case .revoked(let revoked, let lost):
            revoke(revoked, lost: lost)
            return [:]
        }
    }

    /// Restores the assigned partitions (taken back from the revocation before, or restored
    /// from their checkpoints, or rebuilt from the log); where each resumes.
    private func assign(_ assigned: [KafkaTopicPartition], logEnds: ([KafkaTopicPartition]) -> [KafkaTopicPartition: Int64]?) -> [KafkaTopicPartition: Int64] {
        let restoreStarted = ContinuousClock.now
        var starts: [KafkaTopicPartition: Int64] = [:]
        let origin = origin.withLock { $0 }
        var foreign: [CheckpointOrigin.Conflict: [KafkaTopicPartition]] = [:]
        var checkpoints: [KafkaTopicPartition: PartitionCheckpoint] = [:]
        var reused = takeBack(assigned)
        let toRestore = assigned.filter { reused[$0] == nil }
        // Read (decompressed and decoded) on every core: one after the other, 300,000
        // customers' checkpoints took the consume thread about a second.
        let read = Self.onEveryCore(toRestore) { [store] partition in
            Result { () throws(CheckpointError) in
                try store.read(topic: partition.topic, partition: partition.partition) { [logger] problem in logger.warning("\(problem)") }
            }
        }
        for (partition, result) in zip(toRestore, read) {
            switch result {
            case .success(let checkpoint):
                checkpoints[partition] = checkpoint
            case .failure(let error):
                logger.warning("\(error)")
                store.quarantine(topic: partition.topic, partition: partition.partition)
            }
            // Another cluster's or another configuration's: rebuilt from the log (the file
            // stays until this partition's first checkpoint replaces it).
            if let conflict = origin.conflict(with: checkpoints[partition]?.origin) {
                foreign[conflict, default: []].append(partition)
                checkpoints[partition] = nil
            }
        }
        // One that folded more records than the log now holds folded another log (a topic
        // deleted and created again, a broker that took another's id): rebuilt too.
        var resumeAt = checkpoints.mapValues(\.nextOffset)
        for (partition, projector) in reused { resumeAt[partition] = projector.nextOffset }
        if !resumeAt.isEmpty, let ends = logEnds(resumeAt.keys.sorted()) {
            let pastEnd = resumeAt.keys.sorted().filter { partition in ends[partition].map { resumeAt[partition]! > $0 } ?? false }
            if let first = pastEnd.first {
                foreign[.pastLogEnd(offset: resumeAt[first]!, end: ends[first]!)] = pastEnd
                var stale: [PartitionProjector] = []
                for partition in pastEnd {
                    checkpoints[partition] = nil
                    if let projector = reused.removeValue(forKey: partition) { stale.append(projector) }
                }
                releaser.release(&stale)
            }
        }
        // The projectors built from them on every core too (each customer's state put in
        // its map, the recent ids in their table).
        let restored = checkpoints
        let toBuild = assigned.filter { reused[$0] == nil }
        let built = Self.onEveryCore(toBuild) { [configuration] partition in
            let role = PartitionProjector.Role.of(topic: partition.topic, group: configuration.group, repartitioning: configuration.repartitionCounters)
            return PartitionProjector(topic: partition.topic, partition: partition.partition, configuration: configuration.process, checkpoint: restored[partition], role: role)
        }
        for (partition, projector) in reused {
            // Its checkpoint in place holds its state, as if just restored from it.
            starts[partition] = projector.nextOffset
            partitions.withLock { $0[partition] = PartitionSlot(projector) }
            checkpointed.withLock { $0[partition] = projector.checkpointMark }
            logger.info("partition taken back", metadata: ["partition": "\(partition)", "from": "memory@\(projector.nextOffset), as its checkpoint in place", "customers": "\(projector.projection.customers.count)"])
        }
        keptReused.add(reused.count, ordering: .relaxed)
        for (partition, projector) in zip(toBuild, built) {
            let checkpoint = checkpoints[partition]
            // Resume right after the checkpoint, or rebuild by replaying the partition from
            // offset 0 rather than the logical "beginning": that would first ask the broker
            // where each partition begins, and librdkafka retries a failed query only 500 ms
            // later (seen as start-up stalls of 0.4–0.5 s in half the bench runs). A log whose
            // head retention removed answers "out of range", and `auto.offset.reset=earliest`
            // then starts at its first record, as "beginning" would have.
            starts[partition] = checkpoint?.nextOffset ?? 0
            partitions.withLock { $0[partition] = PartitionSlot(projector) }
            checkpointed.withLock { $0[partition] = checkpoint == nil ? nil : projector.checkpointMark }
            logger.info("partition restored", metadata: ["partition": "\(partition)", "from": "\(checkpoint.map { "checkpoint@\($0.nextOffset)" } ?? "beginning")", "customers": "\(checkpoint?.customerStates.count ?? 0)"])
        }
        for (conflict, partitions) in foreign.sorted(by: { $0.value.count > $1.value.count }) {
            reportForeign(partitions, conflict)
        }
        if !checkpoints.isEmpty || !reused.isEmpty {
            logger.info("partitions restored", metadata: ["from checkpoints": "\(checkpoints.count) of \(assigned.count)", "taken back": "\(reused.count)", "customers": "\(checkpoints.values.reduce(0) { $0 + $1.customerStates.count } + reused.values.reduce(0) { $0 + $1.projection.customers.count })", "ms": "\((ContinuousClock.now - restoreStarted).milliseconds)"])
        }
        ready.store(true, ordering: .releasing)
        return starts
    }

    /// The projectors of `assigned` partitions kept since the revocation before, whose
    /// checkpoints in place are still the ones written from them; the other kept ones let go.
    private func takeBack(_ assigned: [KafkaTopicPartition]) -> [KafkaTopicPartition: PartitionProjector] {
        var keptBefore = kept.withLock { kept in defer { kept = [:] }; return kept }
        var takenBack: [KafkaTopicPartition: PartitionProjector] = [:]
        for partition in assigned {
            if let entry = keptBefore.removeValue(forKey: partition), store.identity(topic: partition.topic, partition: partition.partition) == entry.checkpoint {
                takenBack[partition] = entry.projector
            }
        }
        var notTakenBack = keptBefore.values.map(\.projector)
        releaser.release(&notTakenBack)
        return takenBack
    }

    /// Whether revoked partitions (not lost) are checkpointed now: not while closing without a
    /// checkpoint, nor after the final one (nothing is folded after it).
    var revocationsCheckpoint: Bool {
        !crashing.load(ordering: .acquiring) && !finalCheckpointWritten.load(ordering: .acquiring)
    }

    /// Checkpoints the revoked partitions (unless lost, crashing, or their newest checkpoints
    /// hold their state) on every core, keeps for the next assignment those whose checkpoint in
    /// place holds their state, and lets the others go.
    private func revoke(_ revoked: [KafkaTopicPartition], lost: Bool) {
        var dropped: [PartitionProjector] = []
        for partition in revoked {
            guard let projector = partitions.withLock({ $0.removeValue(forKey: partition)?.projector }) else { continue }
            dropped.append(projector)
        }
        var keeping: [KafkaTopicPartition: KeptPartition] = [:]
        if !lost && revocationsCheckpoint {
            checkpoints.afterPendingWrites {
                // Unless its newest checkpoint holds the state already; written on every
                // core (one after the other, the whole group waited for them).
                let started = ContinuousClock.now
                let marks = checkpointed.withLock { $0 }
                let changed = dropped.filter { marks[Self.key(of: $0)] != $0.checkpointMark }
                _ = Self.onEveryCore(changed) { [self] projector in write(projector) }
                if !changed.isEmpty {
                    logger.info("revoked partitions checkpointed", metadata: ["partitions": "\(changed.count) of \(dropped.count)", "customers": "\(changed.reduce(0) { $0 + $1.projection.customers.count })", "ms": "\((ContinuousClock.now - started).milliseconds)"])
                }
            }
            // Kept for the assignment that follows, those whose checkpoint in place holds
            // their state (not one whose write failed).
            let marks = checkpointed.withLock { $0 }
            for projector in dropped where marks[Self.key(of: projector)] == projector.checkpointMark {
                if let file = store.identity(topic: projector.topic, partition: projector.partition) {
                    keeping[Self.key(of: projector)] = KeptPartition(projector: projector, checkpoint: file)
                }
            }
            dropped.removeAll { keeping[Self.key(of: $0)] != nil }
        }
        checkpointed.withLock { marks in for partition in revoked { marks[partition] = nil } }
        // Got again, a partition's first checkpoint is a full one.
        bases.withLock { bases in for partition in revoked { bases[partition] = nil } }
        var keptBefore = kept.withLock { kept in defer { kept = keeping }; return kept }.map(\.value.projector)
        releaser.release(&keptBefore)
        releaser.release(&dropped)
        // Lags of partitions owned no longer: gone at once, not at the next tick.
        lags.withLock { lags in for partition in revoked { lags[partition] = nil } }
        metrics.forget(revoked)
    }

    /// Logs, once per assignment and reason, the partitions whose checkpoints were not restored
    /// because they belong to another origin.
    private func reportForeign(_ partitions: [KafkaTopicPartition], _ conflict: CheckpointOrigin.Conflict) {
        let names = partitions.sorted().map { "\($0)" }
        let shown = names.prefix(4).joined(separator: ", ") + (names.count > 4 ? " and \(names.count - 4) more" : "")
        logger.warning("checkpoints in \(configuration.checkpointDirectory) not restored (\(names.count) partition\(names.count == 1 ? "" : "s"): \(shown)): they \(conflict.explanation). Rebuilding \(names.count == 1 ? "it" : "them") from the log.")
    }
}
