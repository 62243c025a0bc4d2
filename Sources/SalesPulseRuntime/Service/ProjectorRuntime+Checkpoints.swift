import Foundation
import Logging
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
import Synchronization

/// Checkpoint rounds, the final checkpoint and the checkpoint of a revoked partition.
extension ProjectorRuntime {
    /// A periodic checkpoint round, taken between batches (each partition consistent with its
    /// offset) for the writer thread to write: the writes, and how long taking them paused the
    /// loop. `catchingUp`: many records wait (``RuntimeConfiguration/inPlaceCheckpointMinimumLag``).
    func checkpointRound(workers: FoldWorkers, catchingUp: Bool) -> (writes: [CheckpointWriter.Write], pause: Duration) {
        let pauseStarted = ContinuousClock.now
        let writes: [CheckpointWriter.Write]
        if catchingUp {
            // Catching up: the fold would soon change nearly every customer, and each
            // change to state a snapshot shares copies it (every level of it the change
            // reaches), a deep copy of the state per round, freed again after the write.
            // Encoded now, on the fold threads, the state is never copied; only the
            // compression and the file are left to the writer.
            writes = encodeAll(workers: workers).map { encoded, taken in { [self] in write(encoded, taken: taken) } }
        } else {
            // Live: few customers change while a round is written, and a snapshot costs
            // no pause.
            writes = changedProjectors().map { projector in { [self] in write(projector) } }
        }
        let pause = ContinuousClock.now - pauseStarted
        logger.debug("checkpoint round taken", metadata: ["partitions": "\(writes.count)", "pause.ms": "\(pause.milliseconds)"])
        return (writes, pause)
    }

    /// Checkpoints every owned partition whose state moved since its newest checkpoint, the
    /// partitions shared out among the fold threads (each checkpoint is a separate file, encoded
    /// from a copy-on-write snapshot), and puts the files in place together once `ready` returns
    /// true (one folder sync for all); when it returns false, removes them.
    func checkpointAll(workers: FoldWorkers, publishingAfter ready: () -> Bool) {
        let snapshot = Snapshot(projectors: changedProjectors())
        let staged = Mutex<[(file: CheckpointStore.Staged, taken: Taken)]>([])
        // Each file is synced by a thread of its own while the fold threads encode the next
        // partitions: synced where it was written, each sync (a few milliseconds a file, mostly
        // waiting for the disk) kept its fold thread from encoding.
        let syncs = StagedFileSyncs(store: store)
        workers.run(workers: min(workers.count, snapshot.projectors.count)) { worker, _ in
            for index in stride(from: worker, to: snapshot.projectors.count, by: workers.count) {
                let projector = snapshot.projectors[index]
                if let file = stage(projector) {
                    syncs.sync(file)
                    staged.withLock { $0.append((file, Taken(projector))) }
                }
            }
        }
        let files = staged.withLock { $0 }
        if let failure = syncs.waitForAll() {
            store.discard(files.map(\.file))
            return logger.error("final checkpoint not put in place: a file could not be synced to the disk (\(failure)); the earlier checkpoints stand, and a restart folds what came after them again")
        }
        guard ready() else {
            store.discard(files.map(\.file))
            return logger.warning("final checkpoint not put in place: the records produced before it were not acknowledged; the earlier checkpoints stand, and a restart folds what came after them again")
        }
        do {
            try store.publish(files.map(\.file))
            for (file, taken) in files { noteInPlace(file, taken: taken) }
        } catch {
            logger.error("checkpoint failed: \(error)")
        }
    }

    /// Copies of the owned partitions' projectors whose state moved since their newest
    /// checkpoint (``CheckpointMark``), in partition order. Each one copied starts a new
    /// generation of changes (``PartitionProjector/startChangeGeneration()``): its checkpoint
    /// holds the changes so far, and the next, if a delta over it, those made after.
    private func changedProjectors() -> [PartitionProjector] {
        let marks = checkpointed.withLock { $0 }
        return partitions.withLock { owned in
            owned.keys.sorted().compactMap { key in
                let slot = owned[key]!
                guard marks[key] != slot.projector.checkpointMark else { return nil }
                let copy = slot.projector
                slot.projector.startChangeGeneration()
                return copy
            }
        }
    }

    /// A projector's partition.
    static func key(of projector: PartitionProjector) -> KafkaTopicPartition {
        KafkaTopicPartition(topic: projector.topic, partition: projector.partition)
    }

    /// The checkpoint of every owned partition whose state moved since its newest one, encoded,
    /// with what it holds; the partitions shared out among the fold threads, in partition order.
    /// A partition that cannot be encoded is logged and left out (its previous checkpoint stays).
    private func encodeAll(workers: FoldWorkers) -> [(CheckpointStore.Encoded, Taken)] {
        let snapshot = Snapshot(projectors: changedProjectors())
        let encoded = Mutex<[Int: (CheckpointStore.Encoded, Taken)]>([:])
        workers.run(workers: min(workers.count, snapshot.projectors.count)) { worker, _ in
            for index in stride(from: worker, to: snapshot.projectors.count, by: workers.count) {
                do {
                    let projector = snapshot.projectors[index]
                    let bytes = try store.encode(checkpoint(of: projector))
                    encoded.withLock { $0[index] = (bytes, Taken(projector)) }
                } catch {
                    logger.error("checkpoint failed: \(error)")
                }
            }
        }
        return encoded.withLock { encoded in encoded.keys.sorted().map { encoded[$0]! } }
    }

    /// A projector's checkpoint, stamped with this runtime's ``CheckpointOrigin``: a delta over
    /// the partition's full checkpoint in place when this process wrote it and a delta is worth
    /// writing (``PartitionProjector/checkpoint(over:)``), a full one otherwise.
    func checkpoint(of projector: PartitionProjector) -> PartitionCheckpoint {
        let base = bases.withLock { $0[Self.key(of: projector)] }
        var checkpoint = projector.checkpoint(over: base)
        checkpoint.origin = origin.withLock { $0 }
        return checkpoint
    }

    /// Projector copies handed to the checkpoint threads.
    private struct Snapshot: @unchecked Sendable {
        let projectors: [PartitionProjector]
    }

    /// Writes a projector's checkpoint in place (a snapshot's, or a revoked partition's).
    func write(_ projector: PartitionProjector) {
        do {
            write(try store.encode(checkpoint(of: projector)), taken: Taken(projector))
        } catch {
            logger.error("checkpoint failed: \(error)")
        }
    }

    /// Compresses, writes and puts in place an encoded checkpoint of the projector `taken` describes.
    private func write(_ encoded: CheckpointStore.Encoded, taken: Taken) {
        let start = ContinuousClock.now
        do {
            let staged = try store.stage(encoded)
            try store.publish([staged])
            noteInPlace(staged, taken: taken)
            recordCheckpoint(bytes: staged.size, since: start, plus: encoded.encodingTime)
        } catch {
            logger.error("checkpoint failed: \(error)")
        }
    }

    /// Writes a projector's checkpoint to its temporary file (``CheckpointStore/stage(_:syncing:)``),
    /// not yet synced: the caller syncs it.
    private func stage(_ projector: PartitionProjector) -> CheckpointStore.Staged? {
        let start = ContinuousClock.now
        do {
            let staged = try store.stage(checkpoint(of: projector), syncing: false)
            recordCheckpoint(bytes: staged.size, since: start)
            return staged
        } catch {
            logger.error("checkpoint failed: \(error)")
            return nil
        }
    }

    /// What a checkpoint put in place holds, taken from its projector when it was encoded (the
    /// projector itself is not kept: a snapshot that lived on would make the fold copy what it
    /// shares).
    struct Taken: Sendable {
        let key: KafkaTopicPartition
        let mark: CheckpointMark
        /// The base the checkpoint is if it is a full one, but for its file's checksum and size.
        let base: BaseCheckpoint

        init(_ projector: PartitionProjector) {
            key = ProjectorRuntime.key(of: projector)
            mark = projector.checkpointMark
            base = projector.base(checksum: 0, bytes: 0)
        }
    }

    /// Notes a checkpoint put in place: the state it holds and, for a full one, the base of the
    /// partition's next deltas; a delta adds its size to its base's.
    func noteInPlace(_ staged: CheckpointStore.Staged, taken: Taken) {
        checkpointed.withLock { $0[taken.key] = taken.mark }
        bases.withLock { bases in
            if staged.isDelta {
                bases[taken.key]?.deltaBytes += staged.size
            } else {
                var base = taken.base
                base.reference.checksum = staged.checksum
                base.bytes = staged.size
                bases[taken.key] = base
            }
        }
        if staged.isDelta { deltaCheckpoints.add(1, ordering: .relaxed) }
    }

    /// Records a checkpoint written since `start`, after `encoding` spent on it before.
    private func recordCheckpoint(bytes: Int, since start: ContinuousClock.Instant, plus encoding: Duration = .zero) {
        let elapsed = ContinuousClock.now - start + encoding
        metrics.checkpoint.recordNanoseconds(elapsed.nanoseconds)
        metrics.checkpointBytes.record(bytes)
        let milliseconds = elapsed.fractionalMilliseconds
        counters.withLock { $0.checkpoints += 1; $0.bytes = bytes; $0.milliseconds = milliseconds }
    }
}
