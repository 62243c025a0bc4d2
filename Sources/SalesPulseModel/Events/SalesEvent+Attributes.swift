/// An attribute of a sales event usable in counter filters and group-bys: an envelope attribute
/// or a payload field. Each case is named as the attribute is in the configuration.
///
/// Resolve a name once (``init(named:)``) where it is read for many events; reading by name
/// compares the name with each attribute name in turn.
public enum EventAttribute: Sendable, Hashable, CaseIterable {
    case type, source, subject, repid, region
    case flow, step, action, reason, objection, competitor, channel, level
    case query, hit, field, quote, amount, currency, code, sku, contactMode

    /// The attribute named `name` in a configuration, if events have one.
    ///
    /// A `switch` over the names, which compares them in turn: a `String` raw value's
    /// synthesised `init(rawValue:)` hashes the name into a cache instead, and counters folded
    /// in place, which read attributes by name, ran 6 – 10 % slower with it in the process
    /// stage (BENCHMARKS.md, session 25).
    public init?(named name: String) {
        switch name {
        case "type": self = .type
        case "source": self = .source
        case "subject": self = .subject
        case "repid": self = .repid
        case "region": self = .region
        case "flow": self = .flow
        case "step": self = .step
        case "action": self = .action
        case "reason": self = .reason
        case "objection": self = .objection
        case "competitor": self = .competitor
        case "channel": self = .channel
        case "level": self = .level
        case "query": self = .query
        case "hit": self = .hit
        case "field": self = .field
        case "quote": self = .quote
        case "amount": self = .amount
        case "currency": self = .currency
        case "code": self = .code
        case "sku": self = .sku
        case "contactMode": self = .contactMode
        default: return nil
        }
    }

    /// The attribute's name in a configuration (the case's name).
    public var name: String { "\(self)" }
}

extension SalesEvent {
    /// Names usable in counter filters and group-bys: envelope attributes and payload fields.
    public static let attributeNames: Set<String> = Set(EventAttribute.allCases.map(\.name))

    /// The value of a named attribute as text (numbers in shortest form), or nil when absent
    /// (or not an attribute of events).
    public func attribute(named name: String) -> String? {
        EventAttribute(named: name).flatMap(attribute)
    }

    /// The value of an attribute as text (numbers in shortest form), or nil when absent.
    public func attribute(_ attribute: EventAttribute) -> String? {
        switch attribute {
        case .type: return type.name
        case .source: return source
        case .subject: return subject
        case .repid: return rep
        case .region: return region
        default: break
        }
        switch (attribute, payload) {
        case (.flow, .stepEntered(let flow, _)), (.flow, .stepBlocked(let flow, _, _)), (.flow, .actionCompleted(let flow, _, _, _)): return flow
        case (.step, .stepEntered(_, let step)), (.step, .stepBlocked(_, let step, _)), (.step, .actionCompleted(_, let step, _, _)): return step
        case (.action, .actionCompleted(_, _, let action, _)): return action
        case (.reason, .stepBlocked(_, _, let reason)): return reason
        case (.reason, .dealLost(let reason)): return reason
        case (.objection, .objectionChosen(let objection)): return objection
        case (.competitor, .competitorMentioned(let competitor)): return competitor
        case (.channel, .messageSent(let channel)), (.channel, .leadCreated(let channel, _)): return channel
        case (.contactMode, .leadCreated(_, let mode)): return mode
        case (.level, .intentMarked(let level)): return level.rawValue
        case (.query, .knowledgeSearched(let query, _)): return query
        case (.hit, .knowledgeSearched(_, let hit)): return String(hit)
        case (.field, .fieldUpdated(let field, _, _)): return field
        case (.quote, .quoteSent(let quote, _, _)), (.quote, .quoteOpened(let quote)): return quote
        case (.amount, .quoteSent(_, let amount?, _)): return FieldValue.number(amount).description
        case (.amount, .dealWon(let amount, _)): return FieldValue.number(amount).description
        case (.currency, .quoteSent(_, _, let currency?)): return currency
        case (.currency, .dealWon(_, let currency)): return currency
        case (.code, .traceCodeScanned(let code, _)): return code
        case (.sku, .traceCodeScanned(_, let sku)): return sku
        default: return nil
        }
    }
}

/// An attribute named in a configuration (a counter's filter, group-by or measure), resolved
/// once: read for many events, the event's own attribute is found by ``EventAttribute``, not
/// by comparing the name with each attribute name in turn.
public struct AttributeReference: Sendable, Hashable {
    /// The name as configured.
    public let name: String
    /// The event attribute it names; nil for a derived one (e.g. `timeToSignDays`).
    public let attribute: EventAttribute?

    public init(_ name: String) {
        self.name = name
        attribute = EventAttribute(named: name)
    }

    /// The value for `event`: from `derived` (attributes the flow projection computes) first,
    /// then the event's own.
    @inline(__always)
    public func value(in event: SalesEvent, derived: [String: String]) -> String? {
        // An empty dictionary still hashes the key it is asked for; most events derive nothing.
        (derived.isEmpty ? nil : derived[name]) ?? attribute.flatMap { event.attribute($0) }
    }
}
