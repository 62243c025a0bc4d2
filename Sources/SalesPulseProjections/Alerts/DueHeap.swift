/// A min-heap of (due time, customer) entries, earliest first (ties by customer), for a caller
/// that tells live entries from stale ones itself: the flow projection keeps each customer's
/// live due time in its state (``TimerInputs/queuedDue``), the absence rules in each pending
/// entry (``KeyedRuleProjection/Pending/queuedDue``). Only an *earlier* due time is pushed
/// eagerly: a later one waits until the earlier entry fires, so the heap holds about one entry
/// per customer with a timer, however many events move it (Flink's and Kafka Streams' timer
/// services work the same way).
struct DueHeap: Sendable {
    private struct Entry: Sendable {
        var due: Int64
        var customer: String
        static func < (a: Entry, b: Entry) -> Bool { a.due != b.due ? a.due < b.due : a.customer < b.customer }
    }

    private var heap: [Entry] = []

    /// Entries in the heap.
    var count: Int { heap.count }

    /// Adds an entry for `customer` due at `due` (epoch milliseconds).
    mutating func push(_ customer: String, at due: Int64) {
        heap.append(Entry(due: due, customer: customer))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at or before `now`.
    mutating func popDue(atOrBefore now: Int64) -> (customer: String, due: Int64)? {
        guard let top = heap.first, top.due <= now else { return nil }
        pop()
        return (top.customer, top.due)
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
