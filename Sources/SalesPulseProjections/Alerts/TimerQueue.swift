/// The timer service of a flow projection: a min-heap of (due time, customer) entries, so that
/// advancing the watermark touches only the customers whose timers are due, never the whole
/// customer map (Flink's and Kafka Streams' timer services work the same way).
///
/// At most one *live* entry per customer is tracked in `scheduled`; an entry popped whose due
/// time no longer matches is stale and skipped. Only an *earlier* due time is pushed eagerly:
/// a later one waits until the earlier entry fires, so the heap holds about one entry per
/// customer with a pending timer, however many events move the deadline.
struct TimerQueue: Sendable {
    private struct Entry: Sendable {
        var due: Int64
        var customer: String
        static func < (a: Entry, b: Entry) -> Bool { a.due != b.due ? a.due < b.due : a.customer < b.customer }
    }

    private var heap: [Entry] = []
    private var scheduled = ShardedMap<Int64>()

    /// Entries in the heap (including stale ones).
    var count: Int { heap.count }

    /// Makes sure `customer` is looked at no later than `due` (epoch milliseconds).
    mutating func schedule(_ customer: String, at due: Int64) {
        if let current = scheduled[customer], current <= due { return }
        scheduled[customer] = due
        push(Entry(due: due, customer: customer))
    }

    /// Removes and returns the customer of the earliest live entry due at or before `now`.
    mutating func popDue(atOrBefore now: Int64) -> (customer: String, due: Int64)? {
        while let top = heap.first, top.due <= now {
            pop()
            if scheduled[top.customer] == top.due {
                scheduled[top.customer] = nil
                return (top.customer, top.due)
            }
        }
        return nil
    }

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && heap[left] < heap[smallest] { smallest = left }
            if right < heap.count && heap[right] < heap[smallest] { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
