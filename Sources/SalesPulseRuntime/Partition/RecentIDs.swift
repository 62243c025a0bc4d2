import SalesPulseProjections

/// A bounded set of recently seen event ids, for idempotent de-duplication: an id seen again
/// while it is among the last `capacity` ids is a duplicate. FIFO eviction, deterministic.
public struct RecentIDs: Sendable, Equatable {
    public let capacity: Int
    private var order: [String]
    private var head = 0
    // Sharded: growing towards a million ids never rehashes more than 1/64 of them at once.
    private var members: ShardedMap<Bool>

    /// Creates an empty set holding up to `capacity` ids.
    public init(capacity: Int = 1_000_000) {
        self.capacity = max(1, capacity)
        self.order = []
        self.members = ShardedMap()
    }

    /// Inserts an id; returns false when it was already present (a duplicate).
    public mutating func insert(_ id: String) -> Bool {
        guard members.insertIfAbsent(id, true) else { return false }
        if order.count < capacity {
            order.append(id)
        } else {
            members[order[head]] = nil
            order[head] = id
            head = (head + 1) % capacity
        }
        return true
    }

    /// The ids, oldest first.
    public var oldestFirst: [String] { Array(order[head...] + order[..<head]) }

    /// Restores from ids listed oldest first.
    public init(capacity: Int = 1_000_000, oldestFirst ids: [String]) {
        self.init(capacity: capacity)
        for id in ids { _ = insert(id) }
    }
}
