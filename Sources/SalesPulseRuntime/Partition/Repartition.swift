import SalesPulseModel
import SalesPulseProjections

/// Repartitioning of counter inputs by their group-by attribute, and of the reps' step exits by
/// rep, so that every group of a counter and every rep's N-in-a-row sequence is folded at
/// exactly one instance however many instances share the input topic (Kafka Streams'
/// repartition topics work the same way).
///
/// An input partition does not fold counters itself: for each applied event that some counter
/// counts, it forwards the original record to `salespulse.<group>.repartition.<attribute>`
/// keyed by the event's value of that attribute (`all` for counters without `groupBy`), with
/// derived attributes (e.g. `timeToSignDays`) in headers. Those topics are consumed in the same
/// consumer group; their partitions fold the counters grouped by that attribute. Forwarded
/// records are re-forwarded when an input partition replays after a crash; the repartitioned
/// side drops them by event id, so counters stay exact (effectively once).
public enum Repartition {
    /// The header carrying a derived attribute, e.g. `salespulse-derived-timeToSignDays`.
    public static let derivedHeaderPrefix = "salespulse-derived-"

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
        /// Derived attributes the counters read, sent as headers.
        public var derived: [String: String]
    }
}
