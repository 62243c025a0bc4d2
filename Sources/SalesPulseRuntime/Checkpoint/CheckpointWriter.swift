import Foundation
import SalesPulseKafka
import Synchronization

/// Writes periodic checkpoints off the consume thread, one round at a time and in order.
///
/// The consume thread hands over one write per partition, each holding what it writes — a
/// copy-on-write snapshot of the projector, or its state already encoded (both taken between
/// batches, so each is consistent with its offset) — and goes on folding. A snapshot shares
/// storage with the live state until the fold next changes it, so each write is let go as soon
/// as it is done. Rounds run on a dedicated thread at a lower scheduling priority (nice 10), so
/// on a busy machine folding goes first. A round still being written when the next is due makes
/// the next one wait (it is skipped, and taken at the following tick). Writes that must be the
/// newest — a revoked partition, the final checkpoint — run after the round in flight, so an
/// older snapshot never overwrites a newer one.
final class CheckpointWriter: Sendable {
    /// One partition's write, with what it writes.
    typealias Write = @Sendable () -> Void

    private let pending = Mutex<[Write]?>(nil)
    private let wake = DispatchSemaphore(value: 0)
    private let idle = DispatchSemaphore(value: 1)
    private let busy = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let lastRoundNanoseconds = Atomic<Int64>(0)

    init() {}

    /// Starts the writer thread (once the runtime runs).
    func start() {
        DedicatedThread.start(name: "salespulse.checkpoint") { [self] in loop() }
    }

    /// True while a background round is being written.
    var isWriting: Bool { busy.load(ordering: .acquiring) }

    /// How long the last background round took.
    var lastRound: Duration { .nanoseconds(lastRoundNanoseconds.load(ordering: .acquiring)) }

    /// Starts `writes` in the background, in order; false (nothing started) while the previous
    /// round is still being written.
    func writeInBackground(_ writes: [Write]) -> Bool {
        guard !busy.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        idle.wait() // free: busy was false
        pending.withLock { $0 = Array(writes.reversed()) }
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
        BackgroundPriority.applyToThisThread()
        while true {
            wake.wait()
            if stopped.load(ordering: .acquiring) { return }
            guard var writes = pending.withLock({ round in defer { round = nil }; return round }) else { continue }
            let started = ContinuousClock.now
            // Last first (the round was reversed): each write, and the snapshot it holds, is let
            // go once done, so the fold no longer copies what a written snapshot shared.
            while let write = writes.popLast() { write() }
            let took = ContinuousClock.now - started
            lastRoundNanoseconds.store(took.components.seconds * 1_000_000_000 + took.components.attoseconds / 1_000_000_000, ordering: .releasing)
            busy.store(false, ordering: .releasing)
            idle.signal()
        }
    }
}
