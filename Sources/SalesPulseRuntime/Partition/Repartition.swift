import SalesPulseModel
import SalesPulseProjections

/// Repartitioning of counter inputs by their group-by attribute, and of the reps' step exits by
/// rep, so that every group of a counter and every rep's N-in-a-row sequence is folded at
/// exactly one instance however many instances share the input topic (Kafka Streams'
/// repartition topics work the same way).
///
/// An input partition does not fold counters itself: for each applied event that some counter
/// counts, it forwards a ``CounterInput`` — the event's type, time and the attributes those
/// counters read, derived ones (e.g. `timeToSignDays`) included — to
/// `salespulse.<group>.repartition.<attribute>`, to the partition of the event's value of that
/// attribute (`all` for counters without `groupBy`). Inputs are not sent one record each: the
/// inputs of a consumed batch bound for one partition travel in one ``CounterBatch`` record,
/// each tagged with the input partition and offset it came from. Those topics are consumed in
/// the same consumer group; their partitions fold the counters grouped by that attribute.
/// Inputs are re-forwarded when an input partition replays after a crash; the repartitioned
/// side keeps the highest offset folded per input partition and drops anything at or below it,
/// so counters stay exact (effectively once). That needs the inputs of one input partition to
/// arrive in offset order: the producer is idempotent (in order per partition), and the runtime
/// flushes it before a checkpoint and before it gives a partition up, so another instance never
/// forwards newer inputs ahead of older ones still in flight.
public enum Repartition {

    /// The repartition topic of a group-by attribute.
    public static func topic(group: String, attribute: String) -> String { "salespulse.\(group).repartition.\(attribute)" }

    /// The attribute a repartition topic is keyed by, if `topic` is one of the group's.
    public static func attribute(ofTopic topic: String, group: String) -> String? {
        let prefix = "salespulse.\(group).repartition."
        guard topic.hasPrefix(prefix), topic.count > prefix.count else { return nil }
        return String(topic.dropFirst(prefix.count))
    }

    /// The attribute a counter is repartitioned by.
    public static func attribute(of counter: CounterDefinition) -> String { counter.groupBy ?? "all" }

    /// The attributes the configuration's counters are repartitioned by, and ``repExits`` when
    /// it has N-in-a-row rules, sorted.
    public static func attributes(of configuration: ProcessConfiguration) -> [String] {
        var attributes = Set(configuration.counters.map(attribute(of:)))
        if !configuration.sequenceRules.isEmpty { attributes.insert(repExits) }
        return attributes.sorted()
    }

    /// The repartition "attribute" of the reps' step exits (N-in-a-row rules): the topic
    /// `salespulse.<group>.repartition.rep-exits`, keyed by rep.
    public static let repExits = "rep-exits"

    /// A rep's exit from a watched step, forwarded to the rep-exits topic. `id` (event id and
    /// rule) lets the receiving partition drop a re-forwarded exit.
    public struct ExitForward: Sendable, Hashable, Codable {
        public var id: String
        public var exit: KeyedRuleProjection.RepExit
    }

    /// An applied event to forward to a repartition topic.
    public struct Forward: Sendable, Equatable {
        /// The group-by attribute (selects the topic).
        public var attribute: String
        /// The event's value of the attribute: the record key.
        public var key: String
        /// What the counters of that attribute need of the event.
        public var input: CounterInput
    }

    /// What counters need of an event: its type, time and the attributes they read — a few
    /// dozen bytes instead of the whole CloudEvent, so the repartitioned side neither re-parses
    /// nor re-validates JSON.
    public struct CounterInput: Sendable, Equatable {
        /// One attribute's name and value.
        public struct Attribute: Sendable, Equatable {
            public var name: String
            public var value: String

            public init(name: String, value: String) {
                self.name = name
                self.value = value
            }
        }

        public var type: SalesEventType
        public var time: EventTime
        /// The attributes, sorted by name, each name once: an input carries one to three, so a
        /// small array searched in order beats hashing into a dictionary.
        public private(set) var attributes: [Attribute]

        /// An input with these attributes (sorted here).
        public init(type: SalesEventType, time: EventTime, attributes: [String: String]) {
            self.init(type: type, time: time, sortedAttributes: attributes.sorted { $0.key < $1.key }.map { Attribute(name: $0.key, value: $0.value) })
        }

        /// An input whose attributes are already sorted by name, each name once.
        public init(type: SalesEventType, time: EventTime, sortedAttributes: [Attribute]) {
            self.type = type
            self.time = time
            self.attributes = sortedAttributes
        }

        /// Makes this input one of `type` at `time` whose attributes `fill` appends (sorted by
        /// name, each once) to the emptied array, its storage kept.
        @inline(__always)
        mutating func refill(type: SalesEventType, time: EventTime, _ fill: (inout [Attribute]) -> Void) {
            self.type = type
            self.time = time
            attributes.removeAll(keepingCapacity: true)
            fill(&attributes)
        }

        /// The value of the attribute named `name`, if the input carries it.
        public func value(of name: String) -> String? {
            for attribute in attributes where attribute.name == name { return attribute.value }
            return nil
        }
    }
}
