import Foundation
import SalesPulseKafka

/// Lets go of the state of partitions this instance no longer owns on a thread of its own.
///
/// A revoked partition's projector holds its customers' maps, lists and alerts: freeing them one
/// by one took 0.37 – 0.75 s of the stop for 300,000 customers (BENCHMARKS.md, session 55), and the revocation
/// callback waited for it — in a rebalance the whole group waits for the revocation, and at
/// shutdown the stop did, after the final checkpoint was written already. Handed over here,
/// they are freed at a lower scheduling priority (nice 10) while the consumer goes on.
final class StateReleaser: Sendable {
    private let pending = DispatchGroup()

    init() {}

    /// Takes `values` — revoked partitions' projectors — leaving the array empty, so the caller
    /// holds no reference, and frees them in the background.
    func release<Value: Sendable>(_ values: inout [Value]) {
        guard !values.isEmpty else { return }
        let held = Held(values)
        values = []
        pending.enter()
        DedicatedThread.start(name: "salespulse.release") { [pending] in
            BackgroundPriority.applyToThisThread()
            held.values = []
            pending.leave()
        }
    }

    /// Waits until everything handed over so far is freed (a measurement's next round, say,
    /// should not share the cores with it).
    func waitUntilReleased() {
        pending.wait()
    }

    /// The values in flight: the caller's reference is gone before the thread starts, so the
    /// last one, and the freeing, is the thread's. Touched by one thread at a time.
    private final class Held<Value: Sendable>: @unchecked Sendable {
        var values: [Value]
        init(_ values: [Value]) { self.values = values }
    }
}
