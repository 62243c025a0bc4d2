import Foundation
import Synchronization

/// Syncs staged checkpoint files to the disk one after the other on a thread of its own, while
/// their writers go on: the final checkpoint's fold threads encode the next partitions instead
/// of waiting for each file's sync (BENCHMARKS.md, session 55).
final class StagedFileSyncs: Sendable {
    private let store: CheckpointStore
    private let queue = DispatchQueue(label: "salespulse.checkpoint-sync")
    private let firstFailure = Mutex<(any Error)?>(nil)

    init(store: CheckpointStore) {
        self.store = store
    }

    /// Syncs `file` after those handed over before it.
    func sync(_ file: CheckpointStore.Staged) {
        queue.async { [self] in
            do {
                try store.sync(file)
            } catch {
                firstFailure.withLock { $0 = $0 ?? error }
            }
        }
    }

    /// Waits until every file handed over is synced; the first failure, nil when all are on
    /// the disk.
    func waitForAll() -> (any Error)? {
        queue.sync {}
        return firstFailure.withLock { $0 }
    }
}
