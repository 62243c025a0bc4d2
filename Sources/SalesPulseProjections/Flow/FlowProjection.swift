import SalesPulseModel

/// The flow-state projection of one partition: customer states keyed by customer id.
/// A value type: fold events with ``apply(_:)``, advance timers with ``advance(to:)``.
/// Equality and hashing cover the configuration and the customer states (the timer queue is
/// derived from them).
public struct FlowProjection: Sendable, Hashable {
    /// The configuration the fold runs with.
    public let configuration: ProcessConfiguration
    /// Customer states by id.
    public private(set) var customers: ShardedMap<CustomerState>
    /// Customers with a pending timer, by due time; each customer's live entry is the one with
    /// the due time its state notes (``TimerInputs/queuedDue``), any other is stale.
    private var timers = DueHeap()

    /// Creates a projection, empty or holding restored customer states.
    public init(configuration: ProcessConfiguration, customers: some Sequence<CustomerState> = []) {
        self.configuration = configuration
        self.customers = ShardedMap()
        restore(customers)
    }

    public static func == (a: FlowProjection, b: FlowProjection) -> Bool {
        a.configuration == b.configuration && a.customers == b.customers
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(configuration)
        hasher.combine(customers)
    }

    /// The number of customers: the map's count, specialized here (read from another module,
    /// the generic count ran unspecialized, a retain and release of each shard's entries).
    public var customerCount: Int { customers.count }

    /// Stamps the customers changed from now on with `generation` (see ``ShardedMap/stamp``):
    /// an owner that passes a rising generation finds those changed since any generation
    /// (``customersChanged(since:)``).
    @inline(__always)
    public mutating func stampChanges(_ generation: UInt32) {
        customers.stamp = generation
    }

    /// Stamps `customer` as changed now (a change kept beside its state, such as a rule's
    /// pending absence firing its alert), if present.
    public mutating func markChanged(_ customer: String) {
        _ = customers.modify(customer) { _ in }
    }

    /// The number of customers inserted or changed with a stamp of `generation` or later.
    public func customersChanged(since generation: UInt32) -> Int { customers.countChanged(since: generation) }

    /// Timer entries queued (for statistics and tests).
    public var queuedTimers: Int { timers.count }

    /// Folds an event into its customer's state and reconciles that customer's timers at the
    /// event's time.
    @discardableResult
    public mutating func apply(_ event: SalesEvent) -> [FlowOutput] {
        // One hash lookup: the customer's state is folded in place through the subscript.
        Self.fold(event, into: &customers, timers: &timers, configuration: configuration)
    }

    private static func fold(_ event: SalesEvent, into customers: inout ShardedMap<CustomerState>, timers: inout DueHeap, configuration: ProcessConfiguration) -> [FlowOutput] {
        let subject = event.subject
        return customers.modify(subject, inserting: { CustomerState(customer: subject) }) { state in
            fold(event, into: &state, timers: &timers, configuration: configuration)
        }
    }

    private static func fold(_ event: SalesEvent, into state: inout CustomerState, timers: inout DueHeap, configuration: ProcessConfiguration) -> [FlowOutput] {
        let dueBefore = state.nextTimerDue
        // Reconciling reads the flows' current steps and looks up the alerts that hold among the
        // open ones, whose storage is rarely in cache: both load while the event is applied (the
        // flows' count, read first, was the longest wait of a reconciliation on the soak's
        // events; BENCHMARKS.md, session 37).
        state.flows.prefetchEntries()
        state.openAlerts.prefetchEntries()
        // Timers due by the event's time fire first, on the state they came due in, as a tick
        // between the events would have: whether one ran (batches differ between runs, replays
        // and restarts) then changes nothing, e.g. the rep and region an alert carries.
        var outputs = state.reconcileDue(atOrBefore: event.time, configuration: configuration)
        outputs.append(taking: state.applyAndReconcile(event, configuration: configuration))
        // The heap holds an entry at or before every customer's next due time: only a change of
        // that time may need one, and only an earlier one than the live entry's (a later one is
        // pushed when that entry fires), so the heap holds about one entry per customer.
        if let due = state.nextTimerDue, due != dueBefore { Self.schedule(&state, at: due, in: &timers) }
        return outputs
    }

    /// Makes sure the heap wakes `state`'s customer no later than `due`.
    private static func schedule(_ state: inout CustomerState, at due: Int64, in timers: inout DueHeap) {
        if let queued = state.timerInputs.queuedDue, queued <= due { return }
        state.timerInputs.queuedDue = due
        timers.push(state.customer, at: due)
    }

    /// Starts loading the customer map's slot for the customer whose id has UTF-8 bytes `key`:
    /// a hint for a fold coming soon, which changes nothing. A customer lookup waits for two
    /// cache misses in a row, the slot and then the state it points at; a caller that knows its
    /// next events starts them ahead, a step at a time: the slot of the event after next, then
    /// the state (``prefetchCustomer(key:)``) of the next one, whose slot is loaded by then.
    ///
    /// `mutating` though nothing changes, so that a projection held in an array or a class is
    /// borrowed in place, not copied.
    @inline(__always)
    public mutating func prefetchCustomerSlot(key: UnsafeRawBufferPointer) {
        customers.prefetchSlot(forKey: key)
    }

    /// Starts loading the state of the customer whose id has UTF-8 bytes `key`, if present:
    /// best once its slot is in cache (see ``prefetchCustomerSlot(key:)``). A hint, which
    /// changes nothing.
    @inline(__always)
    public mutating func prefetchCustomer(key: UnsafeRawBufferPointer) {
        customers.prefetchEntry(forKey: key)
    }

    /// How many due timer entries ``advance(to:)`` takes from the heap at a time.
    static let timerBatch = 256

    /// Advances every customer's timers to `now` (the watermark).
    @discardableResult
    public mutating func advance(to now: EventTime) -> [FlowOutput] {
        var outputs: [FlowOutput] = []
        // Only customers whose timers are due are visited, each reconciled at its due times (times
        // derived from its events, so the result does not depend on when ticks happen). An entry
        // whose customer's due time moved later or went away since it was queued changes nothing.
        let configuration = configuration
        // Taken from the heap a batch at a time, so that the customers to wake are known ahead:
        // each one's state starts loading before its turn (its slot four entries ahead, the
        // state it points at two ahead), as the fold's look-ahead does, where each lookup waited
        // for memory (a third of the timers' work in a replay's ticks). A customer's
        // reconciliation reads and changes its own state alone, and the outputs are put in
        // order below, so the order within a batch changes nothing; an entry pushed meanwhile
        // (a next due time passed already) comes in a later batch.
        var batch: [(customer: String, due: Int64)] = []
        while true {
            batch.removeAll(keepingCapacity: true)
            while batch.count < Self.timerBatch, let entry = timers.popDue(atOrBefore: now.epochMilliseconds) { batch.append(entry) }
            guard !batch.isEmpty else { break }
            for index in batch.indices {
                if index + 4 < batch.count { customers.prefetchSlot(forKey: batch[index + 4].customer) }
                if index + 2 < batch.count { customers.prefetchEntry(forKey: batch[index + 2].customer) }
                let due = batch[index].due
                let fired = customers.modify(batch[index].customer) { state -> [FlowOutput] in
                    guard state.timerInputs.queuedDue == due else { return [] }  // stale
                    state.timerInputs.queuedDue = nil
                    let fired = state.reconcileDue(atOrBefore: now, configuration: configuration)
                    if let next = state.nextTimerDue { Self.schedule(&state, at: next, in: &timers) }
                    return fired
                }
                if let fired { outputs.append(taking: fired) }
            }
        }
        // Dictionary order differs between processes: order the outputs deterministically.
        outputs.sortByOrderingKey()
        return outputs
    }

    /// Adds the customers in one shard of the customer map (`0..<ShardedMap.shardCount`) to
    /// `grouping`, each read where it lies: lets a caller sharing the projection with a writer
    /// hold its lock for one shard at a time, and gather every shard into one grouping.
    public func addMetrics(now: EventTime, shard: Int, to grouping: inout MetricsGrouping) {
        customers.forEachValueAddress(inShard: shard) { grouping.add(customerAt: $0, configuration: configuration, now: now) }
    }

    /// The overall metric sums of the customers in one shard of the customer map: what
    /// ``metrics(now:)`` reports as `overall`, without the groupings by rep, team and region
    /// (a lookup per customer), for a caller that needs only the totals, such as the process
    /// health index on `/metrics`.
    public func overallMetrics(now: EventTime, shard: Int) -> MetricSums {
        var sums = MetricSums()
        customers.forEachValueAddress(inShard: shard) { sums.add(customerAt: $0, configuration: configuration, now: now) }
        return sums
    }

    /// The number of open customer alerts in one shard of the customer map, counted in place.
    public func openAlertCount(shard: Int) -> Int {
        var count = 0
        customers.forEachValue(inShard: shard) { count += $0.openAlerts.count }
        return count
    }

    /// The metrics of this projection's customers as of `now`.
    public func metrics(now: EventTime) -> MetricsReport {
        var grouping = MetricsGrouping()
        for shard in 0..<ShardedMap<CustomerState>.shardCount { addMetrics(now: now, shard: shard, to: &grouping) }
        return grouping.report(organisation: configuration.organisation)
    }

    /// Replaces the customer states (restoring a checkpoint).
    public mutating func restore(_ states: some Sequence<CustomerState>) {
        customers = ShardedMap(states, key: \.customer)
        var timers = DueHeap()
        let configuration = configuration
        customers.modifyEach { state in
            // Forgets the memos too (a state copied from another projection notes that one's
            // heap), so every customer's next due time is pushed here.
            state.refreshNextTimerDue(configuration: configuration)
            if let due = state.nextTimerDue { Self.schedule(&state, at: due, in: &timers) }
        }
        self.timers = timers
    }
}
