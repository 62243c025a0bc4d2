import Foundation
import SalesPulseKafka
import SalesPulseModel
import Synchronization

/// Helper threads that let the consume thread fold one batch on several cores.
///
/// A batch's records are split by partition: each worker claims partitions one at a time and
/// decodes and folds their records, in their order, while the others do the same for theirs;
/// the batch ends when every worker has finished (fork–join). Partitions share no state, so the
/// result is the same as folding the batch on one thread — only faster. Each worker owns an
/// ``EventDecoder``. Small batches (a trickle of live records) are folded on the calling thread
/// alone: waking a helper costs more than it saves.
final class FoldWorkers: @unchecked Sendable {
    /// Workers, including the calling thread.
    let count: Int
    /// The decoder of each worker (index 0: the calling thread's).
    let decoders: [EventDecoder]
    private let helpers: [Helper]

    /// Creates `count - 1` helper threads (none when `count` is 1).
    init(count: Int, policy: ValidationPolicy) {
        self.count = max(1, count)
        self.decoders = (0..<max(1, count)).map { _ in EventDecoder(policy: policy) }
        self.helpers = (1..<max(1, count)).map { Helper(index: $0) }
    }

    /// Runs `body(worker, decoder)` for workers `0..<workers` concurrently (worker 0 on this
    /// thread) and returns when all have finished.
    func run(workers: Int, _ body: (Int, EventDecoder) -> Void) {
        let used = helpers.prefix(max(0, min(workers, count) - 1))
        guard !used.isEmpty else { return body(0, decoders[0]) }
        withoutActuallyEscaping(body) { body in
            let job = Job(body: body, decoders: decoders)
            for helper in used { helper.start(job) }
            body(0, decoders[0])
            for helper in used { helper.wait() }
        }
    }

    /// Ends the helper threads.
    func stop() {
        for helper in helpers { helper.finish() }
    }

    /// One batch's work, handed to the helpers (used only between `start` and `wait`).
    private struct Job: @unchecked Sendable {
        let body: (Int, EventDecoder) -> Void
        let decoders: [EventDecoder]
    }

    /// A helper thread waiting for jobs.
    private final class Helper: @unchecked Sendable {
        private let started = DispatchSemaphore(value: 0)
        private let finished = DispatchSemaphore(value: 0)
        private let pending = Mutex<Job?>(nil)
        private let done = Atomic<Bool>(false)

        init(index: Int) {
            DedicatedThread.start(name: "salespulse.fold.\(index)") { [self] in loop(index: index) }
        }

        func start(_ job: Job) {
            pending.withLock { $0 = job }
            started.signal()
        }

        func wait() { finished.wait() }

        func finish() {
            done.store(true, ordering: .releasing)
            started.signal()
        }

        private func run(index: Int) {
            guard let job = pending.withLock({ job in defer { job = nil }; return job }) else { return }
            job.body(index, job.decoders[index])
        }

        private func loop(index: Int) {
            while true {
                started.wait()
                if done.load(ordering: .acquiring) { return }
                run(index: index)
                // Signalled only after the job is released: the caller's non-escaping closure
                // must not outlive its call.
                finished.signal()
            }
        }
    }
}
