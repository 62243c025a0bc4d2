import SalesPulseModel

/// Where a customer stands in one flow.
public struct FlowState: Sendable, Hashable, Codable {
    /// The flow id.
    public var flow: String
    /// The current visit, if the customer has entered a step.
    public var current: StepVisit?
    /// Exited visits, in order of entry time.
    public var history: [StepVisit]

    /// Creates an empty flow state.
    public init(flow: String) {
        self.flow = flow
        self.current = nil
        self.history = []
    }

    /// Visits (exited) whose mandatory actions were incomplete when the flow advanced.
    public var violations: [StepVisit] { history.filter { !$0.missing.isEmpty } }

    /// The number of ``violations``, counted without building any list.
    public var violationCount: Int {
        var count = 0
        for visit in history.indices where StepVisit.doneCount(required: history[visit].required, completed: history[visit].completed) < history[visit].required.count {
            count += 1
        }
        return count
    }
}

/// One stay of a customer at a step.
public struct StepVisit: Sendable, Hashable, Codable {
    /// The step id.
    public var step: String
    /// When the customer entered.
    public var enteredAt: EventTime
    /// When the customer left (entered another step), nil while current.
    public var exitedAt: EventTime?
    /// Mandatory action ids of the step (from the configuration at entry).
    public var required: [String]
    /// Completed actions with the evidence that satisfied them.
    public var completed: SmallMap<CompletedAction>
    /// Evidence that did not satisfy its requirement.
    public var invalidEvidence: [EvidenceProblem]
    /// Executions per action during this visit (valid or not).
    public var executions: SmallMap<Int>
    /// The current blockage, if any.
    public var blockage: Blockage?

    /// Creates a visit.
    public init(step: String, enteredAt: EventTime, required: [String]) {
        self.step = step
        self.enteredAt = enteredAt
        self.required = required
        self.completed = [:]
        self.invalidEvidence = []
        self.executions = [:]
    }

    /// Mandatory actions not yet completed, in declaration order.
    public var missing: [String] { required.filter { completed[$0] == nil } }
    /// Mandatory actions completed.
    public var doneCount: Int { Self.doneCount(required: required, completed: completed) }

    /// How many of `required` are in `completed`, counted without building the list of the
    /// missing ones.
    static func doneCount(required: [String], completed: SmallMap<CompletedAction>) -> Int {
        var done = 0
        for action in required where completed.index(forKey: action) != nil { done += 1 }
        return done
    }
    /// Time spent at the step, if exited.
    public var dwellMilliseconds: Int64? { exitedAt.map { $0.epochMilliseconds - enteredAt.epochMilliseconds } }
}

/// A completed action.
public struct CompletedAction: Sendable, Hashable, Codable {
    public var at: EventTime
    public var rep: String?
    public var eventID: String
    /// A short description of the evidence that satisfied the requirement.
    public var evidence: [String]
}

/// Evidence that failed its requirement, and why.
public struct EvidenceProblem: Sendable, Hashable, Codable {
    public var action: String
    public var at: EventTime
    public var eventID: String
    public var reasons: [String]
}

/// Why a customer is blocked at a step.
public struct Blockage: Sendable, Hashable, Codable {
    public var reason: String
    public var at: EventTime
    /// Whether the reason is in the step's configured list.
    public var isConfiguredReason: Bool
}
