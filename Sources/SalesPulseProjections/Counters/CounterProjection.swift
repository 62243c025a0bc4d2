import SalesPulseModel

/// All counters of one partition.
///
/// The states are kept side by side with their counter ids, laid out in the order of the
/// counter definitions the partition folds: a counter's state is found by its position in the
/// definitions (one comparison of ids that share storage), not by hashing its id for every
/// event it counts. The layout follows the first definitions folded and is rebuilt if they
/// change; it is not part of the state — equality, hashing, coding and ``states`` see only the
/// counters with data, by id.
public struct CounterProjection: Sendable, Hashable, Codable {
    /// Counter ids, by slot.
    private var ids: [String] = []
    /// Counter states, by slot.
    private var slots: [CounterState] = []
    /// The attributes each slot's counter reads, resolved (see ``ResolvedAttributes``); laid
    /// out with the slots, empty until then.
    private var reads: [ResolvedAttributes] = []

    public init() {}

    /// Counter states by counter id: the counters with data (an empty state is no state).
    public var states: [String: CounterState] {
        get {
            var states: [String: CounterState] = [:]
            for slot in slots.indices where !slots[slot].isEmpty { states[ids[slot]] = slots[slot] }
            return states
        }
        set {
            ids = newValue.keys.sorted()
            slots = ids.map { newValue[$0]! }
            // Laid out again, with the definitions, at the first fold.
            reads = []
        }
    }

    /// The state of the counter `id`, nil when it has no data: what `states[id]` gives, without
    /// building the dictionary (rule evaluation reads counters one by one, every tick).
    public func state(of id: String) -> CounterState? {
        guard let slot = ids.firstIndex(of: id), !slots[slot].isEmpty else { return nil }
        return slots[slot]
    }

    /// Folds one event into every counter (pure).
    public mutating func apply(_ event: SalesEvent, counters: [CounterDefinition], derived: [String: String] = [:]) {
        // Through the buffer: definitions of other types are skipped without being copied.
        counters.withUnsafeBufferPointer { counters in
            for index in counters.indices where counters[index].type == event.type {
                let slot = slot(of: counters, at: index)
                slots[slot].apply(event, counter: counters.baseAddress! + index, reading: reads[slot], derived: derived)
            }
        }
    }

    /// Folds one occurrence given by type, time and an attribute lookup into every counter of
    /// that type.
    public mutating func apply(type: SalesEventType, time: EventTime, counters: [CounterDefinition], attribute lookup: (String) -> String?) {
        counters.withUnsafeBufferPointer { counters in
            for index in counters.indices where counters[index].type == type {
                slots[slot(of: counters, at: index)].apply(type: type, time: time, counter: counters.baseAddress! + index, attribute: lookup)
            }
        }
    }

    /// Evicts data no window — and no rule looking back over the counter — can need any more,
    /// given the watermark and the allowed lateness.
    public mutating func evict(watermark: EventTime, counters: [CounterDefinition], latenessMilliseconds: Int64, rules: [CounterRule] = []) {
        for counter in counters {
            guard let slot = ids.firstIndex(of: counter.id) else { continue }
            let retention = CounterRuleEvaluator.retentionMilliseconds(of: counter, rules: rules)
            let horizon = watermark.epochMilliseconds - retention - latenessMilliseconds - 1000
            slots[slot].evict(before: CounterState.second(of: EventTime(epochMilliseconds: horizon)))
        }
    }

    /// The slot of `counters[index]`: that index once the layout follows these definitions.
    @inline(__always)
    private mutating func slot(of counters: UnsafeBufferPointer<CounterDefinition>, at index: Int) -> Int {
        if index < ids.count, reads.count == ids.count, ids[index] == counters[index].id { return index }
        lay(out: counters)
        return index
    }

    /// Lays the slots out in the order of `counters` (new counters empty; ids are unique, the
    /// configuration loader refuses duplicates), the states of counters not among them after,
    /// by id.
    private mutating func lay(out counters: UnsafeBufferPointer<CounterDefinition>) {
        var byID = Dictionary(zip(ids, slots)) { first, _ in first }
        var newIDs: [String] = []
        var newSlots: [CounterState] = []
        for counter in counters {
            newIDs.append(counter.id)
            newSlots.append(byID.removeValue(forKey: counter.id) ?? CounterState())
        }
        for id in byID.keys.sorted() {
            newIDs.append(id)
            newSlots.append(byID[id]!)
        }
        ids = newIDs
        slots = newSlots
        reads = counters.map(ResolvedAttributes.init) + byID.keys.map { _ in ResolvedAttributes() }
    }

    public static func == (a: CounterProjection, b: CounterProjection) -> Bool { a.states == b.states }

    public func hash(into hasher: inout Hasher) { hasher.combine(states) }

    private enum CodingKeys: String, CodingKey { case states }

    public init(from decoder: any Decoder) throws {
        self.init()
        states = try decoder.container(keyedBy: CodingKeys.self).decode([String: CounterState].self, forKey: .states)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(states, forKey: .states)
    }
}

extension CounterState {
    /// Whether the state holds no data.
    public var isEmpty: Bool { occurrences.isEmpty && buckets.isEmpty }
}
