import CRdKafka
import Synchronization

/// A consumer's librdkafka client: the handle, its consumer queue and the callback context that
/// librdkafka's threads call back into, destroyed together, once, and only when nothing is
/// inside librdkafka on the handle any more.
///
/// ``KafkaConsumer/close(within:)`` asks for the client to be released. It is destroyed at once
/// when the consumer has closed (`rd_kafka_consumer_close` returned) and no bounded call
/// (``KafkaConsumer/commit(within:)``) is inside librdkafka; otherwise by the thread of the last
/// such call, when librdkafka returns. The threads of those calls hold the client, not the
/// consumer, so the callback context lives as long as the handle whose threads use it. Before,
/// a consumer whose stop commit outlasted its close left the handle running but freed the
/// context with itself: when the commit returned later, a broker thread of the handle that
/// logged a failed connection read a freed logger (test processes killed by signal 11 after a
/// stop with the broker gone, 2 of 6 full runs in session 57).
final class ConsumerClient: @unchecked Sendable {
    // @unchecked Sendable: rd_kafka_t is thread-safe; the queue is destroyed under `release`'s
    // lock, and every other mutable state lives under it.
    let handle: OpaquePointer
    let queue: OpaquePointer
    /// Kept alive as long as the handle: librdkafka calls back into it from its own threads.
    let context: ConsumerContext

    /// What the release waits for.
    private struct Release {
        /// ``KafkaConsumer/close(within:)`` asked for it.
        var requested = false
        /// `rd_kafka_consumer_close` returned (destroying an open consumer closes it first, which
        /// waits for the group coordinator without a limit).
        var consumerClosed = false
        /// Bounded calls inside librdkafka.
        var callsInFlight = 0
        var destroyed = false

        var due: Bool { requested && consumerClosed && callsInFlight == 0 && !destroyed }
    }
    private let release = Mutex(Release())

    init(handle: OpaquePointer, context: ConsumerContext) {
        self.handle = handle
        self.queue = rd_kafka_queue_get_consumer(handle)
        self.context = context
    }

    /// Ends a wait on the consumer queue now (it returns what it has); nothing once destroyed.
    func yieldQueue() {
        release.withLock { state in
            if !state.destroyed { rd_kafka_queue_yield(queue) }
        }
    }

    /// A bounded call begins on the handle: the client is not destroyed before ``callEnded()``.
    func callBegan() {
        release.withLock { $0.callsInFlight += 1 }
    }

    /// A bounded call returned from librdkafka; the client is destroyed now if the release was
    /// waiting for it.
    func callEnded() {
        releaseIfDue { $0.callsInFlight -= 1 }
    }

    /// `rd_kafka_consumer_close` returned.
    func consumerClosed() {
        releaseIfDue { $0.consumerClosed = true }
    }

    /// Destroys the client as soon as nothing holds it back: now, or when the last bounded call
    /// or the consumer's close returns.
    func requestRelease() {
        releaseIfDue { $0.requested = true }
    }

    /// Whether the queue and the handle are destroyed.
    var isDestroyed: Bool { release.withLock { $0.destroyed } }

    /// The bounded calls inside librdkafka and whether the client is destroyed, read together.
    var callsInFlightAndDestroyed: (callsInFlight: Int, destroyed: Bool) {
        release.withLock { ($0.callsInFlight, $0.destroyed) }
    }

    /// Applies `change` and destroys the queue and the handle if the release is due. Under the
    /// lock: a concurrent ``yieldQueue()`` waits rather than touch a destroyed queue.
    private func releaseIfDue(_ change: (inout Release) -> Void) {
        release.withLock { state in
            change(&state)
            guard state.due else { return }
            state.destroyed = true
            rd_kafka_queue_destroy(queue)
            rd_kafka_destroy(handle)
        }
    }

    /// The last holder let go, so no call is inside librdkafka. A consumer is closed before it
    /// lets go (``KafkaConsumer``'s deinit closes it); a close that never returned holds the
    /// client, which then lives until the process exits.
    deinit {
        releaseIfDue { $0.requested = true; $0.consumerClosed = true; $0.callsInFlight = 0 }
    }
}
