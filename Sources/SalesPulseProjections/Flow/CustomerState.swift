import SalesPulseModel

/// Everything SalesPulse knows about one customer: its flows, fields, activation, outcome and
/// open alerts. Changed only by the pure folds in `CustomerState+Apply.swift` and
/// `CustomerState+Timers.swift`.
public struct CustomerState: Sendable, Hashable, Codable {
    /// The customer id (CloudEvents `subject`).
    public var customer: String
    /// The rep owning the customer: the rep of the latest event, in event time, that named one
    /// (an event delivered late, from a device that was offline, does not hand the customer back).
    public var rep: String?
    /// The customer's region, from the latest event, in event time, that named one.
    public var region: String?
    /// The event times `rep` and `region` were named at (epoch milliseconds; `Int64.min`: never),
    /// so that an event older than them leaves them as they are, whatever order events arrive in.
    public var repNamedAt: Int64 = .min
    public var regionNamedAt: Int64 = .min
    /// When the lead was created.
    public var leadCreatedAt: EventTime?
    /// The earliest event time seen for the customer (first contact).
    public var firstContactAt: EventTime?
    /// The latest event time seen.
    public var lastEventAt: EventTime?
    /// The latest communication event (message, visit, quote, objection, action).
    public var lastCommunicationAt: EventTime?
    /// Current field values with their update times (the audit trail is the event log).
    public var fields: SmallMap<FieldState>
    /// Lead activation status.
    public var activation: Activation
    /// Flow states by flow id.
    public var flows: SmallMap<FlowState>
    /// Action executions counted for effectiveness, and the ineffective ones among them.
    public var actionExecutions: Int
    public var ineffectiveExecutions: Int
    /// Quotes sent since the customer last opened one.
    public var quotesSentSinceOpened: Int
    /// The quotes sent and opened, in order of time (see ``QuoteTimeline``): a quote delivered
    /// late is counted where it happened.
    public var quotes = QuoteTimeline()
    /// Actions reported for a step the customer was not at (or an unknown action).
    public var misplacedActions: Int
    /// Blockages that no visit of their step contained when they arrived, or that a late step
    /// entry took out of a visit, in order of time: a step entry delivered later may make a
    /// visit that contains them (see ``UnplacedBlockage``).
    public var unplaced: [UnplacedBlockage] = []
    /// Actions of a flow's known step that no visit of the step contained when they arrived, or
    /// that a late step entry took out of a visit, in order of time: a step entry delivered
    /// later may make a visit that contains them (see ``UnplacedAction``). Counted in
    /// ``misplacedActions`` meanwhile.
    public var unplacedActions: [UnplacedAction] = []
    /// Won or lost, if decided.
    public var outcome: Outcome?
    /// Alerts currently open for this customer, by id.
    public var openAlerts: SmallMap<Alert>
    /// The latest `now` timers were reconciled at (time never goes backwards for a customer).
    public var reconciledAt: EventTime?
    /// When a timer condition next starts to hold (epoch milliseconds), as of the last
    /// reconciliation: a function of the fields above, kept so the projection's timer queue
    /// can tell when it changed.
    public var nextTimerDue: Int64?
    /// What the timers read at the last full reconciliation (in memory only; see ``TimerInputs``).
    var timerInputs = TimerInputs()

    /// Creates an empty state.
    public init(customer: String) {
        self.customer = customer
        self.fields = [:]
        self.activation = .notALead
        self.flows = [:]
        self.actionExecutions = 0
        self.ineffectiveExecutions = 0
        self.quotesSentSinceOpened = 0
        self.misplacedActions = 0
        self.openAlerts = [:]
    }

    /// Time from first contact to signature, when won.
    public var timeToSignMilliseconds: Int64? {
        guard case .won(let at, _, _) = outcome, let start = firstContactAt else { return nil }
        return at.epochMilliseconds - start.epochMilliseconds
    }
}

/// A field's current value and when it was last updated.
public struct FieldState: Sendable, Hashable, Codable {
    public var value: FieldValue
    public var updatedAt: EventTime
    public var updatedBy: String?
    /// When the field was first filled in (epoch milliseconds), in event time: the earliest
    /// update seen, whatever order updates arrived in. Lead activation reads it (a field filled
    /// in by the deadline counts, though updated again after it).
    public var firstUpdatedAt: Int64

    public init(value: FieldValue, updatedAt: EventTime, updatedBy: String?, firstUpdatedAt: Int64? = nil) {
        self.value = value
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
        self.firstUpdatedAt = firstUpdatedAt ?? updatedAt.epochMilliseconds
    }
}

/// Lead activation status.
public enum Activation: Sendable, Hashable, Codable {
    /// No `sales.lead.created` seen.
    case notALead
    /// Within the window; required fields must be filled by the deadline.
    case pending(deadline: EventTime)
    /// All required fields were filled in time.
    case activated(at: EventTime)
    /// The deadline passed first: "to be activated".
    case toBeActivated(since: EventTime)
    /// The required fields were filled after the deadline (not counted as activated in time).
    case activatedLate(at: EventTime)
}

/// How the deal ended.
public enum Outcome: Sendable, Hashable, Codable {
    case won(at: EventTime, amount: Double, currency: String)
    case lost(at: EventTime, reason: String?)

    /// When the deal was decided.
    public var at: EventTime {
        switch self {
        case .won(let at, _, _), .lost(let at, _): at
        }
    }
}
