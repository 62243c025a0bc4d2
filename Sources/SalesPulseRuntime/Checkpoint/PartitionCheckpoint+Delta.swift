import SalesPulseProjections

// Incremental checkpoints. A partition's checkpoint in place is a full one (the base) and, at
// most, one delta over it: the customers changed since the base (their states and the keyed
// rules' pending absences), the ids seen since, and the rest of the state whole (the counters,
// the reps' exits, the statistics). Each delta replaces the one before (it holds every change since the
// base, not since the last delta), so reading a checkpoint reads two files at most, and a new
// base makes the delta in place stale. A live instance with a million customers, a few of them
// active between two checkpoints, wrote every one of them each time (about 2.5 µs of CPU and
// a few hundred bytes each): now it writes the few, and a full checkpoint once the deltas since
// the last one add up to its size.

extension PartitionCheckpoint {
    /// Which full checkpoint a delta is over: its offset and the checksum of its file's frame
    /// (two full checkpoints at one offset, by two instances, differ in it).
    public struct BaseReference: Sendable, Codable, Equatable, Hashable {
        /// The base's ``PartitionCheckpoint/nextOffset``.
        public var nextOffset: Int64
        /// The CRC-32 of the base file's LZ4 frame (its header's checksum).
        public var checksum: UInt32

        public init(nextOffset: Int64, checksum: UInt32) {
            self.nextOffset = nextOffset
            self.checksum = checksum
        }
    }

    /// True for a delta over a base (``base`` set).
    public var isDelta: Bool { base != nil }

    /// The full checkpoint that this delta over `base` stands for: the base's customers with
    /// those the delta holds put in their place, the base's ids followed by the delta's, and
    /// everything else the delta's.
    /// - Precondition: `base` is the full checkpoint this delta names.
    public func applied(to base: PartitionCheckpoint) -> PartitionCheckpoint {
        var full = self
        full.base = nil
        // Keyed as the projector keys them (by their ids' bytes), a delta's state after the
        // base's: it replaces the base's.
        var customers = ShardedMap<CustomerState>()
        for state in base.customerStates.sorted { customers[state.customer] = state }
        let changed = customerStates.sorted
        for state in changed { customers[state.customer] = state }
        full.customerStates = .map(customers)
        // The rules' pending absences of the changed customers are the delta's (none: answered).
        if let rules {
            full.rules = (base.rules ?? KeyedRuleProjection()).replacingPending(of: Set(changed.map(\.customer)), with: rules)
        }
        // Oldest first: the delta's are the newer ones. Restoring inserts them in this order,
        // evicting the oldest beyond the capacity, as the live set did.
        full.recentIDs = base.recentIDs + recentIDs
        return full
    }
}

/// What a runtime remembers of a partition's full checkpoint in place, written by it, to
/// decide whether the next one is a delta over it (``PartitionProjector/checkpoint(over:)``).
public struct BaseCheckpoint: Sendable, Equatable {
    /// The base, as its deltas name it.
    public var reference: PartitionCheckpoint.BaseReference
    /// The projector's ``PartitionProjector/changeGeneration`` when the base was taken: the
    /// customers changed since are those of later generations.
    public var generation: UInt32
    /// The projector's ``RecentIDs/inserted`` when the base was taken.
    public var recentIDsInserted: Int64
    /// The base file's size in bytes.
    public var bytes: Int
    /// The sizes of the deltas written over it so far, added up.
    public var deltaBytes: Int = 0

    public init(reference: PartitionCheckpoint.BaseReference, generation: UInt32, recentIDsInserted: Int64, bytes: Int) {
        self.reference = reference
        self.generation = generation
        self.recentIDsInserted = recentIDsInserted
        self.bytes = bytes
    }

    /// Whether another delta is worth writing: not once the deltas written since the base add
    /// up to its size. Each delta repeats the changes of the ones before it, and grows; past
    /// that point writing the base again (and small deltas after it) costs less.
    public var acceptsDelta: Bool { deltaBytes < bytes }
}
