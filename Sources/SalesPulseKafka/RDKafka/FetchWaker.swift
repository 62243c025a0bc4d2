import CRdKafka
import Foundation
import Synchronization

/// Wakes librdkafka's fetcher when a bounded prefetch has drained.
///
/// A group consumer's partition queues are forwarded to one consumer queue, so librdkafka's
/// `queued.min.messages` bounds the records prefetched for *all* assigned partitions together.
/// Once a fetch response fills that queue, librdkafka 2.0.2 stops fetching and its broker
/// thread sleeps until a hard-coded one-second wake-up: the application draining the queue
/// does not wake it (2.1 added `fetch.queue.backoff.ms` for this). Any request the client sends
/// to a broker does wake that broker's thread, which then decides again what to fetch. The
/// waker sends the cheapest such request, a watermark query for one assigned partition (round
/// robin over the assignment, so every partition leader is reached in turn), on its own thread:
/// the consume thread never waits for it.
final class FetchWaker: @unchecked Sendable {
    // @unchecked Sendable: `handle` is thread-safe (librdkafka); `nextPartition` is touched
    // only by the waker thread; the rest is in a Mutex or atomic.
    private let handle: OpaquePointer
    private let state = Mutex<(pending: Bool, stopped: Bool)>((false, false))
    private let requested = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var nextPartition = 0
    private let sent = Atomic<Int>(0)

    /// Starts the waker's thread for the consumer `handle`, which must outlive ``stop()``.
    init(handle: OpaquePointer) {
        self.handle = handle
        DedicatedThread.start(name: "salespulse.fetch-waker") { [self] in serve() }
    }

    /// Wake-ups sent so far.
    var wakeups: Int { sent.load(ordering: .relaxed) }

    /// Asks for a wake-up; returns at once. A request while one is under way is merged with it.
    func wake() {
        let signal = state.withLock { state -> Bool in
            guard !state.pending, !state.stopped else { return false }
            state.pending = true
            return true
        }
        if signal { requested.signal() }
    }

    /// Stops the thread and waits for it (a wake-up under way takes at most a second).
    func stop() {
        let running = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard running else { return }
        requested.signal()
        finished.wait()
    }

    private func serve() {
        while true {
            requested.wait()
            if state.withLock({ $0.stopped }) { break }
            sendWakeup()
            state.withLock { $0.pending = false }
        }
        finished.signal()
    }

    private func sendWakeup() {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let count = Int(list.pointee.cnt)
        guard count > 0 else { return }
        let partition = list.pointee.elems[nextPartition % count]
        nextPartition &+= 1
        var low: Int64 = 0
        var high: Int64 = 0
        // The answer is not needed: sending the request is what wakes the broker's thread.
        _ = rd_kafka_query_watermark_offsets(handle, partition.topic, partition.partition, &low, &high, 1_000)
        sent.add(1, ordering: .relaxed)
    }
}
