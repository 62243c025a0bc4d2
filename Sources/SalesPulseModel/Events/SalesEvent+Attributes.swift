extension SalesEvent {
    /// Names usable in counter filters and group-bys: envelope attributes and payload fields.
    public static let attributeNames: Set<String> = [
        "type", "source", "subject", "repid", "region",
        "flow", "step", "action", "reason", "objection", "competitor", "channel", "level",
        "query", "hit", "field", "quote", "amount", "currency", "code", "sku", "contactMode",
    ]

    /// The value of a named attribute as text (numbers in shortest form), or nil when absent.
    public func attribute(named name: String) -> String? {
        switch name {
        case "type": return type.name
        case "source": return source
        case "subject": return subject
        case "repid": return rep
        case "region": return region
        default: break
        }
        switch (name, payload) {
        case ("flow", .stepEntered(let flow, _)), ("flow", .stepBlocked(let flow, _, _)), ("flow", .actionCompleted(let flow, _, _, _)): return flow
        case ("step", .stepEntered(_, let step)), ("step", .stepBlocked(_, let step, _)), ("step", .actionCompleted(_, let step, _, _)): return step
        case ("action", .actionCompleted(_, _, let action, _)): return action
        case ("reason", .stepBlocked(_, _, let reason)): return reason
        case ("reason", .dealLost(let reason)): return reason
        case ("objection", .objectionChosen(let objection)): return objection
        case ("competitor", .competitorMentioned(let competitor)): return competitor
        case ("channel", .messageSent(let channel)), ("channel", .leadCreated(let channel, _)): return channel
        case ("contactMode", .leadCreated(_, let mode)): return mode
        case ("level", .intentMarked(let level)): return level.rawValue
        case ("query", .knowledgeSearched(let query, _)): return query
        case ("hit", .knowledgeSearched(_, let hit)): return String(hit)
        case ("field", .fieldUpdated(let field, _, _)): return field
        case ("quote", .quoteSent(let quote, _, _)), ("quote", .quoteOpened(let quote)): return quote
        case ("amount", .quoteSent(_, let amount?, _)): return FieldValue.number(amount).description
        case ("amount", .dealWon(let amount, _)): return FieldValue.number(amount).description
        case ("currency", .quoteSent(_, _, let currency?)): return currency
        case ("currency", .dealWon(_, let currency)): return currency
        case ("code", .traceCodeScanned(let code, _)): return code
        case ("sku", .traceCodeScanned(_, let sku)): return sku
        default: return nil
        }
    }
}
