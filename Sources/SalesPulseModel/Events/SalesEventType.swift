/// Every event type SalesPulse accepts, named `sales.<noun>.<verb>`.
///
/// The catalogue covers what the seed documents describe reps and systems doing. A new type is
/// added here, in ``EventCatalogue`` (its data fields), in ``EventPayload`` and in `schemas/`.
public enum SalesEventType: UInt8, CaseIterable, Sendable, Hashable, Codable, CustomStringConvertible {
    case leadCreated
    case fieldUpdated
    case stepEntered
    case stepBlocked
    case actionCompleted
    case objectionChosen
    case quoteSent
    case quoteOpened
    case visitPlanned
    case visitCheckedIn
    case competitorMentioned
    case intentMarked
    case knowledgeSearched
    case traceCodeScanned
    case messageSent
    case dealWon
    case dealLost

    /// The CloudEvents `type` attribute value.
    public var name: String {
        switch self {
        case .leadCreated: "sales.lead.created"
        case .fieldUpdated: "sales.field.updated"
        case .stepEntered: "sales.step.entered"
        case .stepBlocked: "sales.step.blocked"
        case .actionCompleted: "sales.action.completed"
        case .objectionChosen: "sales.objection.chosen"
        case .quoteSent: "sales.quote.sent"
        case .quoteOpened: "sales.quote.opened"
        case .visitPlanned: "sales.visit.planned"
        case .visitCheckedIn: "sales.visit.checked_in"
        case .competitorMentioned: "sales.competitor.mentioned"
        case .intentMarked: "sales.intent.marked"
        case .knowledgeSearched: "sales.knowledge.searched"
        case .traceCodeScanned: "sales.tracecode.scanned"
        case .messageSent: "sales.message.sent"
        case .dealWon: "sales.deal.won"
        case .dealLost: "sales.deal.lost"
        }
    }

    public var description: String { name }

    /// The type with this CloudEvents `type` name, if any.
    public init?(name: String) {
        guard let found = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = found
    }

    /// Whether this event counts as a communication with the customer (for inactivity rules).
    public var isCommunication: Bool {
        switch self {
        case .messageSent, .visitCheckedIn, .quoteSent, .objectionChosen, .actionCompleted: true
        default: false
        }
    }
}
