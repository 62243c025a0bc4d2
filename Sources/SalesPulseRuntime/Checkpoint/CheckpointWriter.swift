import Dispatch
import Synchronization

/// Writes periodic checkpoints off the consume thread, one round at a time and in order.
///
/// The consume thread hands over copy-on-write snapshots of its projectors (taken between
/// batches, so each is consistent with its offset) and goes on folding; the copies share storage
/// with the live state until the fold next changes it. A round still being written when the
/// next is due makes the next one wait for its turn (it is skipped, and taken at the following
/// tick). Writes that must be the newest — a revoked partition, the final checkpoint — run after
/// any round in flight, so an older snapshot never overwrites a newer one.
final class CheckpointWriter: Sendable {
    private let queue = DispatchQueue(label: "salespulse.checkpoint")
    private let busy = Atomic<Bool>(false)

    /// Starts writing `projectors` in the background; false (nothing started) while the
    /// previous round is still being written.
    func writeInBackground(_ projectors: [PartitionProjector], with write: @escaping @Sendable (PartitionProjector) -> Void) -> Bool {
        guard !busy.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        queue.async { [self] in
            for projector in projectors { write(projector) }
            busy.store(false, ordering: .releasing)
        }
        return true
    }

    /// Runs `body` once the round in flight (if any) is written.
    func afterPendingWrites<T>(_ body: () throws -> T) rethrows -> T {
        try queue.sync(execute: body)
    }
}
