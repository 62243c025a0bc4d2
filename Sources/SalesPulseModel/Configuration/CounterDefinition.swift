/// A declarative counter: which events, what to measure, grouped how, over which sliding window.
/// Values are exact (distinct counts keep the distinct values) and updated every second.
public struct CounterDefinition: Sendable, Hashable {
    /// What the counter measures.
    public enum Measure: Sendable, Hashable {
        /// Number of matching events.
        case count
        /// Number of distinct values of an attribute (e.g. `repid`), exactly.
        case distinct(String)
        /// Sum of a numeric attribute (e.g. `amount`).
        case sum(String)
    }

    /// A derived attribute of `sales.deal.won`: days from the customer's first contact to the
    /// signature, computed by the flow projection (for averages of time to sign).
    public static let timeToSignDays = "timeToSignDays"

    public var id: String
    /// The event type counted.
    public var type: SalesEventType
    /// Attribute equalities events must satisfy (e.g. `objection: price_too_high`).
    public var filter: [String: String]
    public var measure: Measure
    /// Attribute to group by (e.g. `objection`, `region`), or nil for one group `all`.
    public var groupBy: String?
    /// Sliding window length.
    public var windowMilliseconds: Int64

    /// The window slides in steps of this many seconds: 1 for windows up to an hour, and
    /// window / 3600 beyond (24 s for 24 h, 168 s for 7 d, 12 min for 30 d), so a window never
    /// holds more than 3,600 buckets per group however long it is. An event counts from the
    /// start of its step, so it leaves the window at most one step early.
    public var resolutionSeconds: Int64 { windowMilliseconds <= 3_600_000 ? 1 : max(1, windowMilliseconds / 3_600_000) }

    /// The attributes the counter reads: its filter keys, group-by and measured attribute.
    public var attributesRead: [String] {
        var names = Array(filter.keys)
        if let groupBy { names.append(groupBy) }
        switch measure {
        case .count: break
        case .distinct(let name), .sum(let name): names.append(name)
        }
        return names
    }

    public init(id: String, type: SalesEventType, filter: [String: String] = [:], measure: Measure = .count, groupBy: String? = nil, windowMilliseconds: Int64) {
        self.id = id
        self.type = type
        self.filter = filter
        self.measure = measure
        self.groupBy = groupBy
        self.windowMilliseconds = windowMilliseconds
    }
}
