import SalesPulseModel

/// An alert record with a deterministic id: the same events and configuration give the same
/// ids, live or replayed, so downstream can drop duplicates after a crash or a replay.
public struct Alert: Sendable, Hashable, Codable {
    /// Lifecycle.
    public enum State: String, Sendable, Hashable, Codable { case fired, resolved }

    /// `fnv1a64(rule|key|since)` in hex.
    public var id: String
    /// The rule, e.g. `step-sla`, `lead-activation`, `inactivity:need_confirmation_silent`.
    public var rule: String
    /// The customer concerned.
    public var customer: String
    /// Routing: the rep, their supervisor and regional director (from the organisation).
    public var rep: String?
    public var supervisor: String?
    public var director: String?
    public var region: String?
    /// Departments notified (e.g. `product-dept`), for rules that name them.
    public var departments: [String] = []
    /// Flow and step concerned, if any.
    public var flow: String?
    public var step: String?
    /// When the condition began (event time), part of the identity.
    public var since: EventTime
    /// Why, in words.
    public var reason: String
    /// Fired or resolved.
    public var state: State
    /// `info`, `warning` or `critical` (nil: warning).
    public var severity: String?
    /// What triggered the alert beyond the reason, e.g. the customers waiting longest.
    public var evidence: [String]?
    /// When the condition ended (event time of the resolving event, or the watermark).
    public var resolvedAt: EventTime?

    /// Creates a fired alert with its deterministic id.
    public init(rule: String, customer: String, rep: String?, organisation: Organisation, region: String?, flow: String? = nil, step: String? = nil, since: EventTime, reason: String) {
        let placement = rep.flatMap(organisation.placement(of:))
        self.id = Alert.identifier(rule: rule, key: [customer, flow ?? "", step ?? ""].joined(separator: "/"), since: since)
        self.rule = rule
        self.customer = customer
        self.rep = rep
        self.supervisor = placement?.supervisor
        self.director = placement?.director
        self.region = placement?.region ?? region
        self.flow = flow
        self.step = step
        self.since = since
        self.reason = reason
        self.state = .fired
    }

    /// The deterministic id of an alert.
    public static func identifier(rule: String, key: String, since: EventTime) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(rule)|\(key)|\(since.epochMilliseconds)".utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
