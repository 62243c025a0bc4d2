import SalesPulseModel
import SalesPulseProjections

// The look-ahead of `PartitionProjector.process(…next:keyAfterNext:)`.
//
// Folding an event waits for memory that is rarely in the CPU caches, each load in turn: the
// slot of its id in the table of recent ids; the customer's slot in the customer map, then the
// customer's state it points at. Records come in order, so a loop knows which ones are next.
// For the next record, the loads its turn will wait for start while the current one is
// folded: its id's slot (the id found in its JSON by a quick scan, `EventIDScan`) and its
// customer's state (found by its Kafka key, the customer id). For the record after it, the
// customer's slot starts loading, so that the next look-ahead finds the state without waiting.
//
// Measured and left out: loading the heap blocks of the current customer's maps (fields,
// flows, open alerts) before its record is decoded. Finding them costs a second lookup of the
// customer, which took as much time as the fold saved (`bench --stages process`, profiles).
// (Once the fold has found the customer, it starts loading the open alerts' storage while
// the event is applied: `FlowProjection`'s fold.)
//
// Nothing read ahead changes a result: a prefetch for an id or a key that is wrong, missing or
// about to move costs only time. (Decoding the next record a turn early, to know its id for
// certain, cost more than it saved: a decoded event is about 170 bytes, copied several times
// on its way to its turn.)

extension PartitionProjector {
    /// A record of the partition to be processed after the current one (see
    /// ``process(value:key:offset:recordTime:decoder:next:keyAfterNext:)``), valid for the
    /// duration of that call.
    public struct UpcomingRecord {
        public let key: UnsafeRawBufferPointer?
        public let value: UnsafeRawBufferPointer?

        public init(key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?) {
            self.key = key
            self.value = value
        }
    }

    /// Starts loading what `next`'s fold will read first, and the customer-map slot of the
    /// record after it.
    @inline(__always)
    mutating func lookAhead(next: UpcomingRecord?, keyAfterNext: UnsafeRawBufferPointer?) {
        guard case .input = role else { return }
        if let keyAfterNext { projection.prefetchCustomerSlot(key: keyAfterNext) }
        guard let next else { return }
        if let key = next.key { projection.prefetchCustomer(key: key) }
        if let value = next.value, let id = EventIDScan.id(in: value) {
            recentIDs.prefetch(EventFingerprint(bytes: id))
        }
    }
}
