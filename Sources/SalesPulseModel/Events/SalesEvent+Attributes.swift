/// An attribute of a sales event usable in counter filters and group-bys: an envelope attribute
/// or a payload field, named as in the configuration.
///
/// Resolve a name once (`EventAttribute(rawValue:)`) where it is read for many events: a
/// lookup by name compares the name with each known one in turn.
public enum EventAttribute: String, Sendable, Hashable, CaseIterable {
    case type, source, subject, repid, region
    case flow, step, action, reason, objection, competitor, channel, level
    case query, hit, field, quote, amount, currency, code, sku, contactMode
}

extension SalesEvent {
    /// Names usable in counter filters and group-bys: envelope attributes and payload fields.
    public static let attributeNames: Set<String> = Set(EventAttribute.allCases.map(\.rawValue))

    /// The value of a named attribute as text (numbers in shortest form), or nil when absent
    /// (or not an attribute of events).
    public func attribute(named name: String) -> String? {
        EventAttribute(rawValue: name).flatMap(attribute)
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
