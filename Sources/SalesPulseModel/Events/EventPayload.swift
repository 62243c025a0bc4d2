/// The typed `data` of each event type.
public enum EventPayload: Sendable, Hashable {
    /// A new lead: where it came from and how it was first contacted.
    case leadCreated(channel: String, contactMode: String)
    /// A customer field changed: the audit trail keeps the previous value.
    case fieldUpdated(field: String, value: FieldValue, previous: FieldValue)
    /// The customer entered a step of a flow.
    case stepEntered(flow: String, step: String)
    /// The customer is blocked at a step, with a reason from the step's configured list.
    case stepBlocked(flow: String, step: String, reason: String)
    /// A checklist action was completed, with its evidence.
    indirect case actionCompleted(flow: String, step: String, action: String, evidence: Evidence)
    /// The rep recorded a customer objection (e.g. `price_too_high`).
    case objectionChosen(objection: String)
    /// A quote was sent.
    case quoteSent(quote: String, amount: Double?, currency: String?)
    /// The customer opened a quote.
    case quoteOpened(quote: String)
    /// A visit was planned for a time.
    case visitPlanned(plannedFor: EventTime, target: String?)
    /// The rep checked in at the customer, optionally with a GPS fix.
    case visitCheckedIn(location: Evidence.Location?)
    /// A competitor was mentioned.
    case competitorMentioned(competitor: String)
    /// The rep marked the customer's intent.
    case intentMarked(level: IntentLevel)
    /// The rep searched the knowledge base; `hit` tells whether anything was found.
    case knowledgeSearched(query: String, hit: Bool)
    /// A traceability code was scanned for a SKU.
    case traceCodeScanned(code: String, sku: String)
    /// A message was sent to the customer on a channel.
    case messageSent(channel: String)
    /// The deal was won.
    case dealWon(amount: Double, currency: String)
    /// The deal was lost.
    case dealLost(reason: String?)
}

/// A customer field value (the audit trail keeps JSON scalars as they were).
public enum FieldValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    public var description: String {
        switch self {
        case .string(let text): text
        case .number(let number): number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): String(flag)
        case .null: "null"
        }
    }
}

/// Purchase intent as marked by a rep.
public enum IntentLevel: String, Sendable, Hashable, Codable, CaseIterable {
    case low, medium, high
}
