import Foundation
import Synchronization

/// Writes periodic checkpoints off the consume thread, one round at a time and in order.
///
/// The consume thread hands over copy-on-write snapshots of its projectors (taken between
/// batches, so each is consistent with its offset) and goes on folding; the copies share storage
/// with the live state until the fold next changes it. Rounds run on a dedicated thread at a
/// lower scheduling priority (nice 10), so on a busy machine folding goes first. A round still
/// being written when the next is due makes the next one wait (it is skipped, and taken at the
/// following tick). Writes that must be the newest — a revoked partition, the final checkpoint —
/// run after the round in flight, so an older snapshot never overwrites a newer one.
final class CheckpointWriter: Sendable {
    private struct Round: Sendable {
        let projectors: [PartitionProjector]
        let write: @Sendable (PartitionProjector) -> Void
    }

    private let pending = Mutex<Round?>(nil)
    private let wake = DispatchSemaphore(value: 0)
    private let idle = DispatchSemaphore(value: 1)
    private let busy = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let lastRoundNanoseconds = Atomic<Int64>(0)

    init() {}

    /// Starts the writer thread (once the runtime runs).
    func start() {
        let thread = Thread { [self] in loop() }
        thread.name = "salespulse.checkpoint"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// True while a background round is being written.
    var isWriting: Bool { busy.load(ordering: .acquiring) }

    /// How long the last background round took.
    var lastRound: Duration { .nanoseconds(lastRoundNanoseconds.load(ordering: .acquiring)) }

    /// Starts writing `projectors` in the background; false (nothing started) while the
    /// previous round is still being written.
    func writeInBackground(_ projectors: [PartitionProjector], with write: @escaping @Sendable (PartitionProjector) -> Void) -> Bool {
        guard !busy.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        idle.wait() // free: busy was false
        pending.withLock { $0 = Round(projectors: projectors, write: write) }
        wake.signal()
        return true
    }

    /// Runs `body` once the round in flight (if any) is written.
    func afterPendingWrites<T>(_ body: () throws -> T) rethrows -> T {
        idle.wait()
        defer { idle.signal() }
        return try body()
    }

    /// Ends the writer thread (after the round in flight).
    func stop() {
        stopped.store(true, ordering: .releasing)
        wake.signal()
    }

    private func loop() {
        #if os(Linux)
        // On Linux, PRIO_PROCESS with id 0 sets the calling thread's niceness: the consume and
        // fold threads come first.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
        while true {
            wake.wait()
            if stopped.load(ordering: .acquiring) { return }
            guard let round = pending.withLock({ round in defer { round = nil }; return round }) else { continue }
            let started = ContinuousClock.now
            for projector in round.projectors { round.write(projector) }
            let took = ContinuousClock.now - started
            lastRoundNanoseconds.store(took.components.seconds * 1_000_000_000 + took.components.attoseconds / 1_000_000_000, ordering: .releasing)
            busy.store(false, ordering: .releasing)
            idle.signal()
        }
    }
}
