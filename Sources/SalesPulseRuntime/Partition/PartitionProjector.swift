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

    public let topic: String
    public let partition: Int32
    public private(set) var projection: FlowProjection
    public private(set) var recentIDs: RecentIDs
    public private(set) var nextOffset: Int64
    public private(set) var watermark: EventTime?
    /// The event time of the last event applied (for end-to-end latency).
    public private(set) var lastAppliedTime: EventTime?
    public private(set) var statistics: PartitionStatistics
    public private(set) var counters: CounterProjection
    /// Absence deadlines and rep step exits for the keyed rules.
    public private(set) var rules: KeyedRuleProjection

    /// Creates an empty projector, or one restored from a checkpoint.
    public init(topic: String, partition: Int32, configuration: ProcessConfiguration, checkpoint: PartitionCheckpoint? = nil, recentIDCapacity: Int = 1_000_000) {
        self.topic = topic
        self.partition = partition
        if let checkpoint {
            projection = FlowProjection(configuration: configuration, customers: checkpoint.customers)
            recentIDs = RecentIDs(capacity: recentIDCapacity, oldestFirst: RecentIDs.fingerprints(decoding: checkpoint.recentIDs) ?? [])
            nextOffset = checkpoint.nextOffset
            watermark = checkpoint.watermark
            statistics = checkpoint.statistics
            counters = checkpoint.counters
            rules = checkpoint.rules ?? KeyedRuleProjection()
        } else {
            projection = FlowProjection(configuration: configuration)
            recentIDs = RecentIDs(capacity: recentIDCapacity)
            nextOffset = 0
            watermark = nil
            statistics = PartitionStatistics()
            counters = CounterProjection()
            rules = KeyedRuleProjection()
        }
    }

    /// Processes one record: decode and validate, drop duplicates, fold.
    /// Records before ``nextOffset`` (re-delivered after a restart) are skipped.
    public mutating func process(value: UnsafeRawBufferPointer?, key: UnsafeRawBufferPointer?, offset: Int64, recordTime: EventTime, decoder: EventDecoder) -> Outcome? {
        guard offset >= nextOffset else { return nil }
        nextOffset = offset + 1
        guard let value else {
            statistics.rejected += 1
            statistics.rejectedByReason[EventRejection.Reason.tombstone.rawValue, default: 0] += 1
            return .rejected(EventRejection(.tombstone, at: "", "a record with no value (tombstone) is not an event"))
        }
        let event: SalesEvent
        do {
            event = try decoder.decode(value, key: key, referenceTime: recordTime)
        } catch {
            statistics.rejected += 1
            statistics.rejectedByReason[error.reason.rawValue, default: 0] += 1
            return .rejected(error)
        }
        guard recentIDs.insert(event.id) else {
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
            counters.apply(event, counters: configuration.counters, derived: derived)
        }
        if !configuration.absenceRules.isEmpty || !configuration.sequenceRules.isEmpty {
            outputs += rules.apply(event, outputs: outputs, configuration: configuration)
        }
        count(outputs)
        statistics.applied += 1
        lastAppliedTime = event.time
        return .applied(outputs)
    }

    /// Advances timers to `now` (never behind the watermark).
    public mutating func advance(to now: EventTime) -> [FlowOutput] {
        let target = max(now, watermark ?? now)
        var outputs = projection.advance(to: target)
        outputs += rules.advance(to: target, configuration: projection.configuration)
        if let watermark { counters.evict(watermark: watermark, counters: projection.configuration.counters, latenessMilliseconds: projection.configuration.allowedLatenessMilliseconds, rules: projection.configuration.counterRules) }
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

    /// A checkpoint of the current state.
    public func checkpoint() -> PartitionCheckpoint {
        PartitionCheckpoint(topic: topic, partition: partition, nextOffset: nextOffset, watermark: watermark,
                            customers: projection.customers.values.sorted { $0.customer < $1.customer },
                            recentIDs: recentIDs.encoded, statistics: statistics, counters: counters, rules: rules)
    }
}
