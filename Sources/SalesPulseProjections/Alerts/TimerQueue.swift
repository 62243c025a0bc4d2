/// A timer service keyed by customer (the keyed rules' deadlines): a min-heap of (due time,
/// customer) entries, so that advancing the watermark touches only the customers whose timers
/// are due, never all of them (Flink's and Kafka Streams' timer services work the same way).
///
/// At most one *live* entry per customer is tracked in `scheduled`; an entry popped whose due
/// time no longer matches is stale and skipped. Only an *earlier* due time is pushed eagerly:
/// a later one waits until the earlier entry fires, so the heap holds about one entry per
/// customer with a pending timer, however many events move the deadline. (The flow projection
/// keeps the live due time in each customer's state instead, which its fold holds already: see
/// ``TimerInputs/queuedDue`` and ``DueHeap``.)
struct TimerQueue: Sendable {
    private var heap = DueHeap()
    private var scheduled = ShardedMap<Int64>()

    /// Entries in the heap (including stale ones).
    var count: Int { heap.count }

    /// Makes sure `customer` is looked at no later than `due` (epoch milliseconds).
    mutating func schedule(_ customer: String, at due: Int64) {
        if let current = scheduled[customer], current <= due { return }
        scheduled[customer] = due
        heap.push(customer, at: due)
    }

    /// Removes and returns the customer of the earliest live entry due at or before `now`.
    mutating func popDue(atOrBefore now: Int64) -> (customer: String, due: Int64)? {
        while let top = heap.popDue(atOrBefore: now) {
            if scheduled[top.customer] == top.due {
                scheduled[top.customer] = nil
                return top
            }
        }
        return nil
    }
}
