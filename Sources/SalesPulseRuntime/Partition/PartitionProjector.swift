import Foundation
import SalesPulseModel
import SalesPulseProjections

/// Everything one input partition owns: the flow projection of its customers, recent ids,
/// the next offset and the event-time watermark. Synchronous and deterministic: the same
/// records in the same order give the same state.
public struct PartitionProjector: Sendable {
    /// What happened to one record.
    public enum Outcome: Sendable {
        case applied([FlowOutput])
        case duplicate
        case rejected(EventRejection)
    }

    /// What a partition's records are.
    public enum Role: Sendable, Equatable {
        /// Input events: everything is folded here, except — when `repartitioning` — counters and
        /// the reps' step exits, which are forwarded (see ``Repartition``).
        case input(repartitioning: Bool)
        /// Counter inputs repartitioned by an attribute: only the counters grouped by it.
        case repartitioned(attribute: String)
        /// Reps' step exits repartitioned by rep (``Repartition/repExits``).
        case repExits

        /// The role of a partition of `topic` in consumer group `group`.
        public static func of(topic: String, group: String, repartitioning: Bool) -> Role {
            guard let attribute = Repartition.attribute(ofTopic: topic, group: group) else { return .input(repartitioning: repartitioning) }
            return attribute == Repartition.repExits ? .repExits : .repartitioned(attribute: attribute)
        }
    }

    public let topic: String
    public let partition: Int32
    public let role: Role
    /// The counters this partition folds (all, none when forwarded, or those of its attribute).
    private let foldedCounters: [CounterDefinition]
    /// The counter rules over the counters this partition folds, in the configuration's order.
    public let foldedCounterRules: [CounterRule]
    /// What an input partition that forwards its counter inputs forwards, per event type.
    private let forwardPlan: Repartition.ForwardPlan
    /// Forwards produced by the last ``process(value:key:offset:recordTime:decoder:next:keyAfterNext:)``.
    public var forwards: ArraySlice<Repartition.Forward> { forwardSlots[..<forwardCount] }
    /// The forwards' storage, reused from record to record (see ``Repartition/ForwardPlan``):
    /// the first `forwardCount` are the last record's, the rest wait to be overwritten.
    private var forwardSlots: [Repartition.Forward] = []
    private var forwardCount = 0
    /// Rep exits to forward, produced by the last ``process(value:key:offset:recordTime:decoder:next:keyAfterNext:)``.
    public private(set) var exitForwards: [Repartition.ExitForward] = []
    // Set within the module: the look-ahead (`PartitionProjector+LookAhead.swift`) prefetches
    // through them.
    public internal(set) var projection: FlowProjection
    public internal(set) var recentIDs: RecentIDs
    /// On a repartitioned partition: the highest offset folded from each input partition
    /// (entries at or below it are re-forwards, dropped).
    public private(set) var inputOffsets: [Int32: Int64]
    public private(set) var nextOffset: Int64
    public private(set) var watermark: EventTime?
    /// The event time of the last event applied (for end-to-end latency).
    public private(set) var lastAppliedTime: EventTime?
    public private(set) var statistics: PartitionStatistics
    public private(set) var counters: CounterProjection
    /// Absence deadlines and rep step exits for the keyed rules.
    public private(set) var rules: KeyedRuleProjection
    /// The earliest event time of a counter input folded since ``takeEarliestCounterInput()``
    /// last ran: how far back counter values changed, for rule evaluation.
    public private(set) var earliestCounterInput: EventTime?
    /// On a repartitioned partition, the counter rules over its groups: the runs in progress and
    /// the open alerts, checkpointed with the counters they were computed from, so a restart or
    /// another instance taking the partition over carries on where this one stopped.
    public private(set) var counterRules: CounterRuleEvaluator
    /// On a repartitioned partition, how far each input partition has got (from the
    /// ``Repartition/Progress`` records), by input partition.
    public private(set) var sourceProgress: [Int32: Repartition.Progress.Source]
    /// The generation of changes the customers changed from now on belong to (see
    /// ``startChangeGeneration()``): 1 after creation or a restore.
    public private(set) var changeGeneration: UInt32 = 1

    /// Creates an empty projector, or one restored from a checkpoint.
    public init(topic: String, partition: Int32, configuration: ProcessConfiguration, checkpoint: PartitionCheckpoint? = nil, recentIDCapacity: Int = 1_000_000, role: Role = .input(repartitioning: false)) {
        self.topic = topic
        self.partition = partition
        self.role = role
        switch role {
        case .input(let forward): foldedCounters = forward ? [] : configuration.counters
        case .repartitioned(let attribute): foldedCounters = configuration.counters.filter { Repartition.attribute(of: $0) == attribute }
        case .repExits: foldedCounters = []
        }
        let folded = foldedCounters
        foldedCounterRules = configuration.counterRules.filter { rule in folded.contains { $0.id == rule.counter } }
        forwardPlan = Repartition.ForwardPlan(counters: role == .input(repartitioning: true) ? configuration.counters : [])
        if let checkpoint {
            projection = FlowProjection(configuration: configuration, customers: checkpoint.customers)
            recentIDs = RecentIDs(capacity: recentIDCapacity, oldestFirst: RecentIDs.fingerprints(decoding: checkpoint.recentIDs) ?? [])
            nextOffset = checkpoint.nextOffset
            watermark = checkpoint.watermark
            statistics = checkpoint.statistics
            counters = checkpoint.counters
            rules = checkpoint.rules ?? KeyedRuleProjection()
            inputOffsets = Dictionary(uniqueKeysWithValues: (checkpoint.inputOffsets ?? []).map { ($0.partition, $0.offset) })
            counterRules = checkpoint.counterRules ?? CounterRuleEvaluator()
            earliestCounterInput = checkpoint.earliestCounterInput
            sourceProgress = Dictionary(uniqueKeysWithValues: (checkpoint.sourceProgress ?? []).map { ($0.partition, $0) })
        } else {
            projection = FlowProjection(configuration: configuration)
            recentIDs = RecentIDs(capacity: recentIDCapacity)
            nextOffset = 0
            watermark = nil
            statistics = PartitionStatistics()
            counters = CounterProjection()
            rules = KeyedRuleProjection()
            inputOffsets = [:]
            counterRules = CounterRuleEvaluator()
            sourceProgress = [:]
        }
        // What is restored is generation 0, what changes after it 1.
        projection.stampChanges(changeGeneration)
    }

    /// Starts a new generation of changes: a checkpoint taken from a copy of the projector now
    /// holds every change of the generations so far, and a delta over it those of this one and
    /// later (``PartitionProjector/checkpoint(over:)``). Costs nothing per change: each customer
    /// changed notes the generation of its last change (``ShardedMap/stamp``). Not a change of
    /// state; a copy of the projector taken before keeps its generation and shares the
    /// customers' storage still.
    public mutating func startChangeGeneration() {
        // Saturated (after 4 billion checkpoints of the partition: 136 years at one a second),
        // every checkpoint is full (``checkpoint(over:)``).
        guard changeGeneration < .max else { return }
        changeGeneration += 1
        projection.stampChanges(changeGeneration)
    }

    /// The number of customers changed since `base` was taken.
    public func customersChanged(since base: BaseCheckpoint) -> Int {
        guard base.generation < .max else { return projection.customerCount }
        return projection.customersChanged(since: base.generation + 1)
    }

    /// Processes one record: decode and validate, drop duplicates, fold.
    /// Records before ``nextOffset`` (re-delivered after a restart) are skipped.
    ///
    /// A repartitioned partition folds only its counters from ``Repartition/CounterBatch``
    /// records (or, for rep exits, the N-in-a-row state).
    ///
    /// A caller that knows the partition's next records passes them, for a look-ahead that
    /// changes no result, only when memory is read: the loads `next`'s turn will wait for start
    /// now (its id's slot in the table of recent ids, its customer's state), and of the record
    /// after it (`keyAfterNext`, its Kafka key) the customer's slot in the customer map, which
    /// the next look-ahead needs to find the state. See `PartitionProjector+LookAhead.swift`.
    public mutating func process(value: UnsafeRawBufferPointer?, key: UnsafeRawBufferPointer?, offset: Int64, recordTime: EventTime, decoder: EventDecoder, next: UpcomingRecord? = nil, keyAfterNext: UnsafeRawBufferPointer? = nil) -> Outcome? {
        guard offset >= nextOffset else { return nil }
        nextOffset = offset + 1
        // None yet for this record (their slots are overwritten, not destroyed).
        forwardCount = 0
        if !exitForwards.isEmpty { exitForwards.removeAll(keepingCapacity: true) }
        switch role {
        case .repartitioned: return processRepartitioned(value: value)
        case .repExits: return processRepExit(value: value)
        case .input: break
        }
        lookAhead(next: next, keyAfterNext: keyAfterNext)
        guard let value else {
            return reject(EventRejection(.tombstone, at: "", "a record with no value (tombstone) is not an event"))
        }
        let event: SalesEvent
        do {
            event = try decoder.decode(value, key: key, referenceTime: recordTime)
        } catch {
            return reject(error)
        }
        guard recentIDs.insert(EventFingerprint(event.eventID)) else {
            statistics.duplicates += 1
            return .duplicate
        }
        if let watermark, event.time.epochMilliseconds < watermark.epochMilliseconds - projection.configuration.allowedLatenessMilliseconds {
            statistics.late += 1
        }
        if watermark == nil || event.time > watermark! { watermark = event.time }
        var outputs = projection.apply(event)
        let configuration = projection.configuration
        if !configuration.counters.isEmpty {
            // A won deal carries its time to sign (from the customer's first contact) for counters.
            var derived: [String: String] = [:]
            if event.type == .dealWon, let milliseconds = projection.customers[event.subject]?.timeToSignMilliseconds {
                derived[CounterDefinition.timeToSignDays] = String(Double(milliseconds) / 86_400_000)
            }
            if case .input(repartitioning: true) = role {
                forwardCount = forwardPlan.forwards(of: event, derived: derived, into: &forwardSlots)
            } else {
                counters.apply(event, counters: foldedCounters, derived: derived)
                noteCounterInput(at: event.time)
            }
        }
        if !configuration.absenceRules.isEmpty || !configuration.sequenceRules.isEmpty {
            let forwarding = role == .input(repartitioning: true)
            outputs.append(taking: rules.apply(event, outputs: outputs, configuration: configuration, recordingExits: !forwarding))
            if forwarding && !configuration.sequenceRules.isEmpty {
                exitForwards = KeyedRuleProjection.repExits(of: event, outputs: outputs, configuration: configuration).map {
                    Repartition.ExitForward(id: "\(event.id)#\($0.rule)", exit: $0)
                }
            }
        }
        count(outputs)
        statistics.applied += 1
        lastAppliedTime = event.time
        return .applied(outputs)
    }

    /// One forward per repartition attribute of the counters that count this event type,
    /// carrying the attributes those counters read (see ``Repartition/ForwardPlan``).
    static func forwards(of event: SalesEvent, counters: [CounterDefinition], derived: [String: String]) -> [Repartition.Forward] {
        Repartition.ForwardPlan(counters: counters).forwards(of: event, derived: derived)
    }

    /// A record of a counter repartition topic: a progress record updates how far the input
    /// partitions have got; of a batch of counter inputs, drop the entries at or below the offset
    /// already folded from their input partition and fold the counters.
    private mutating func processRepartitioned(value: UnsafeRawBufferPointer?) -> Outcome {
        if let value, let progress = Repartition.Progress(decoding: value) {
            note(progress)
            return .applied([])
        }
        // A batch is checked whole before its first entry is folded (nil: a tombstone).
        let folded = value.map { value in
            Repartition.CounterBatch.forEachEntry(in: value) { partition, offset, input in
                // One lookup: an input partition not seen yet starts below every offset.
                let fresh = Self.advance(&inputOffsets[partition, default: Int64.min], to: offset)
                guard fresh else {
                    statistics.repartitionDuplicates += 1
                    return
                }
                if watermark == nil || input.time > watermark! { watermark = input.time }
                counters.apply(type: input.type, time: input.time, counters: foldedCounters) { input.value(of: $0) }
                noteCounterInput(at: input.time)
                statistics.repartitioned += 1
            }
        } ?? false
        guard folded else {
            return reject(EventRejection(.malformedJSON, at: "", "neither a counter batch record (format \(Repartition.CounterBatch.format)) nor a progress record (format \(Repartition.Progress.format)) of a repartition topic"))
        }
        return .applied([])
    }

    /// Moves `folded` up to `offset` unless it is there already (a re-forward).
    private static func advance(_ folded: inout Int64, to offset: Int64) -> Bool {
        guard offset > folded else { return false }
        folded = offset
        return true
    }

    /// Records how far input partitions have got: watermarks only move forward (a restarted
    /// instance reports the older watermark of its checkpoint, and the inputs up to the newer
    /// one have arrived already) — except from a partition read to its end to one with records
    /// again: read to its end, a partition is reported as far as its instance's latest one, and
    /// its own records before that are still to come. Caught up is as last reported.
    private mutating func note(_ progress: Repartition.Progress) {
        for source in progress.sources {
            var merged = source
            if let known = sourceProgress[source.partition], let time = known.watermark, time > (source.watermark ?? time), !known.caughtUp || source.caughtUp {
                merged.watermark = time
            }
            sourceProgress[source.partition] = merged
        }
    }

    /// The event time up to which every one of `sources` input partitions has got: the lowest
    /// watermark among those not yet read to the end of their log (one that has been has
    /// nothing more to send now; what it receives later arrives late, and rules re-check it),
    /// or the highest once every one has been — but never more than
    /// ``aheadOfPartitionsReadToEndMilliseconds`` past the watermark of one read to its end.
    /// Nil while one has not reported, or has reported no event yet without being caught up
    /// (its first events may be older than anything seen). An empty partition read to its end
    /// does not count. `sources` nil (the input's partition count is not known): this
    /// partition's own watermark.
    public func completeThrough(sources: Int?) -> EventTime? {
        guard let sources else { return watermark }
        var pending: EventTime?, highest: EventTime?, limit: EventTime?
        for partition in 0..<Int32(sources) {
            guard let source = sourceProgress[partition] else { return nil }
            guard let time = source.watermark else {
                if source.caughtUp { continue }
                return nil
            }
            highest = max(highest ?? time, time)
            if source.caughtUp {
                let bound = EventTime(epochMilliseconds: time.epochMilliseconds + Self.aheadOfPartitionsReadToEndMilliseconds)
                limit = min(limit ?? bound, bound)
            } else {
                pending = min(pending ?? time, time)
            }
        }
        guard let point = pending ?? highest else { return nil }
        return limit.map { min($0, point) } ?? point
    }

    /// How far past the watermark of an input partition read to the end of its log the rules
    /// may be judged. "Read to its end" is only as fresh as the partition's last report: the
    /// instance that made it may have stopped before new records came, and until another takes
    /// the partition over its records wait while the other partitions (a replay, days of event
    /// time a second) race ahead. Within this bound, well inside every rule's lookback
    /// (``CounterRuleEvaluator/lookbackMarginMilliseconds``), the records arriving late are
    /// re-checked and the runs they join up are found whole. In live mode an idle partition
    /// reports the wall clock as its watermark, so this holds nothing back for long.
    public static let aheadOfPartitionsReadToEndMilliseconds: Int64 = CounterRuleEvaluator.lookbackMarginMilliseconds / 2

    private mutating func noteCounterInput(at time: EventTime) {
        if earliestCounterInput == nil || time < earliestCounterInput! { earliestCounterInput = time }
    }

    /// Returns the earliest event time of a counter input folded since the last call (nil:
    /// none) and starts over.
    public mutating func takeEarliestCounterInput() -> EventTime? {
        defer { earliestCounterInput = nil }
        return earliestCounterInput
    }

    /// Evaluates the counter rules over the groups this repartitioned partition owns (pure
    /// given its state), up to where its `sources` input partitions have got
    /// (``completeThrough(sources:)``): from the last evaluation, in steps (see
    /// ``CounterRuleEvaluator``), re-checking from the earliest counter input folded since.
    /// `states` gives a counter's state across partitions, for rules comparing a group with
    /// others (a rep with the team); `owns` tells which groups are this partition's. Nothing
    /// happens while nothing changed, nor before every input partition has reported.
    public mutating func evaluateCounterRules(sources: Int?, states: (String) -> CounterState, owns: (String) -> Bool, evidence: (CounterRule, Alert) -> [String]?) -> [Alert] {
        guard case .repartitioned = role, let complete = completeThrough(sources: sources) else { return [] }
        let rules = foldedCounterRules
        guard !rules.isEmpty else { return [] }
        // Never back: an input partition reporting again after a gap may lower the point.
        let second = CounterState.second(of: complete)
        if let evaluated = counterRules.evaluatedThrough, second < evaluated || (second == evaluated && earliestCounterInput == nil) { return [] }
        let changes = counterRules.evaluate(at: complete, configuration: projection.configuration, rules: rules, changedFrom: takeEarliestCounterInput(), owns: owns, states: states, evidence: evidence)
        // Counted with the partition's other alerts (checkpointed with the runs that fired them).
        count(changes.map(FlowOutput.alert))
        return changes
    }

    /// A record of the rep-exits topic: a progress record updates how far the input partitions
    /// have got (how far the exits are known whole); a rep's exit, unless recorded already, is
    /// recorded.
    private mutating func processRepExit(value: UnsafeRawBufferPointer?) -> Outcome {
        if let value, let progress = Repartition.Progress(decoding: value) {
            note(progress)
            return .applied([])
        }
        guard let value, let forward = Repartition.ExitForward(decoding: value) else {
            return reject(EventRejection(.malformedJSON, at: "", "neither a rep exit record (format \(Repartition.ExitForward.format)) nor a progress record (format \(Repartition.Progress.format)) of \(Repartition.repExits)"))
        }
        guard recentIDs.insert(forward.id) else {
            statistics.repartitionDuplicates += 1
            return .duplicate
        }
        if watermark == nil || forward.exit.exit.at > watermark! { watermark = forward.exit.exit.at }
        rules.record(forward.exit, configuration: projection.configuration)
        statistics.repartitioned += 1
        return .applied([])
    }

    /// Counts a rejected record by reason.
    private mutating func reject(_ rejection: EventRejection) -> Outcome {
        statistics.rejected += 1
        statistics.rejectedByReason[rejection.reason.rawValue, default: 0] += 1
        return .rejected(rejection)
    }

    /// Advances timers to `now` (never behind the watermark).
    public mutating func advance(to now: EventTime) -> [FlowOutput] {
        let target = max(now, watermark ?? now)
        var outputs = projection.advance(to: target)
        let ruleChanges = rules.advance(to: target, configuration: projection.configuration)
        // A rule's state is kept per customer: a delta holds that of the customers changed.
        for case .alert(let alert) in ruleChanges { projection.markChanged(alert.customer) }
        outputs += ruleChanges
        if let watermark, !foldedCounters.isEmpty {
            let lateness = projection.configuration.allowedLatenessMilliseconds, rules = projection.configuration.counterRules
            let held = foldedCounters.filter(isReadByRules)
            if case .repartitioned = role, !held.isEmpty {
                // Rules evaluate from where they got to, which lagging input partitions may hold
                // behind the watermark (before their first evaluation: from the first input):
                // the counters they read keep what they still need.
                let evaluated = counterRules.evaluatedThrough.map { EventTime(epochMilliseconds: $0 * 1000) } ?? earliestCounterInput ?? watermark
                counters.evict(watermark: min(watermark, evaluated), counters: held, latenessMilliseconds: lateness, rules: rules)
                counters.evict(watermark: watermark, counters: foldedCounters.filter { !isReadByRules($0) }, latenessMilliseconds: lateness, rules: rules)
            } else {
                counters.evict(watermark: watermark, counters: foldedCounters, latenessMilliseconds: lateness, rules: rules)
            }
        }
        count(outputs)
        return outputs
    }

    private mutating func count(_ outputs: [FlowOutput]) {
        for output in outputs {
            switch output {
            case .alert(let alert): if alert.state == .fired { statistics.alertsFired += 1 } else { statistics.alertsResolved += 1 }
            case .complianceViolation: statistics.violations += 1
            default: break
            }
        }
    }

    /// Whether a counter rule of this partition reads `counter`.
    private func isReadByRules(_ counter: CounterDefinition) -> Bool {
        foldedCounterRules.contains { $0.counter == counter.id || $0.per == counter.id }
    }

    /// A counter's state as served (values, series): what eviction at the watermark keeps.
    /// While the rules lag behind the watermark the partition keeps older data for them; served,
    /// it would make the oldest points of a series depend on how far the rules had got.
    public func servedCounterState(_ id: String) -> CounterState? {
        guard var state = counters.state(of: id) else { return nil }
        guard case .repartitioned = role, let watermark, (counterRules.evaluatedThrough ?? Int64.min) < CounterState.second(of: watermark),
              let counter = foldedCounters.first(where: { $0.id == id }), isReadByRules(counter) else { return state }
        let configuration = projection.configuration
        var single = CounterProjection()
        single.states[id] = state
        single.evict(watermark: watermark, counters: [counter], latenessMilliseconds: configuration.allowedLatenessMilliseconds, rules: configuration.counterRules)
        state = single.state(of: id) ?? CounterState()
        return state
    }

    /// A checkpoint of the current state.
    public func checkpoint() -> PartitionCheckpoint {
        checkpoint(customers: .map(projection.customers), recentIDs: recentIDs.encoded, base: nil)
    }

    /// The projector's checkpoint: a delta over `base` (see `PartitionCheckpoint+Delta.swift`)
    /// when there is one, it is this partition's, and a delta is worth writing — fewer than half
    /// the customers changed since it, and the deltas since it add up to less than its size
    /// (``BaseCheckpoint/acceptsDelta``) — and otherwise a full one. Only input partitions
    /// write deltas (a repartitioned one holds counters alone, which deltas do not divide).
    public func checkpoint(over base: BaseCheckpoint?) -> PartitionCheckpoint {
        guard let base, case .input = role, base.acceptsDelta, base.reference.nextOffset <= nextOffset,
              base.recentIDsInserted <= recentIDs.inserted, base.generation < changeGeneration else { return checkpoint() }
        guard customersChanged(since: base) * 2 < projection.customerCount else { return checkpoint() }
        let newIDs = recentIDs.inserted - base.recentIDsInserted
        var changed: [String] = []
        projection.customers.forEachValueAddressSortedByKey(changedSince: base.generation + 1) { changed.append($0.pointee.customer) }
        var delta = checkpoint(customers: .changed(projection.customers, since: base.generation + 1), recentIDs: recentIDs.encoded(newest: Int(min(newIDs, Int64(recentIDs.count)))), base: base.reference)
        delta.rules = rules.pending(of: changed)
        return delta
    }

    /// What ``BaseCheckpoint`` a full checkpoint of the projector now, in a file of `bytes`
    /// bytes whose frame has checksum `checksum`, is (the projector, a copy, must not change
    /// further in this generation: see ``startChangeGeneration()``).
    public func base(checksum: UInt32, bytes: Int) -> BaseCheckpoint {
        BaseCheckpoint(reference: .init(nextOffset: nextOffset, checksum: checksum), generation: changeGeneration, recentIDsInserted: recentIDs.inserted, bytes: bytes)
    }

    private func checkpoint(customers: PartitionCheckpoint.Customers, recentIDs encodedIDs: [UInt8], base: PartitionCheckpoint.BaseReference?) -> PartitionCheckpoint {
        PartitionCheckpoint(topic: topic, partition: partition, nextOffset: nextOffset, watermark: watermark,
                            customerStates: customers,
                            recentIDs: encodedIDs, statistics: statistics, counters: counters, rules: rules,
                            inputOffsets: inputOffsets.isEmpty ? nil : inputOffsets.keys.sorted().map { PartitionCheckpoint.InputOffset(partition: $0, offset: inputOffsets[$0]!) },
                            counterRules: counterRules.evaluatedThrough == nil ? nil : counterRules, earliestCounterInput: earliestCounterInput,
                            sourceProgress: sourceProgress.isEmpty ? nil : sourceProgress.keys.sorted().map { sourceProgress[$0]! }, base: base)
    }
}
