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
    /// Later entries of this step during the visit, in order: a re-entry changes nothing, but
    /// an entry of another step delivered late that splits the visit needs them (the stay
    /// resumed at the first one after it).
    public var reentries: [EventTime] = []
    /// Valid executions of a completed action other than the earliest (which completed it), in
    /// order of time: a step entry delivered late that ends the visit before one of them takes
    /// it out with its time.
    public var repeats: [RepeatedAction] = []

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
    /// What ``trim(from:ineffectiveRepeats:)`` took out of visits.
    struct Trimmed {
        /// Executions taken out (each now a misplaced action).
        var executions = 0
        /// How many fewer executions count as ineffective.
        var ineffective = 0
        /// What was taken out: a stay resumed at a re-entry takes back what happened in it
        /// (``takeBack(_:ineffectiveRepeats:)``); a blockage left over waits for a visit.
        var items: [Item] = []

        /// An action, its evidence checked, or a blockage.
        enum Item {
            /// An action of the visit's step whose evidence satisfied its requirement.
            case completed(step: String, action: String, CompletedAction)
            /// An action of the visit's step whose evidence did not.
            case rejected(step: String, EvidenceProblem)
            /// A blockage of the visit's step.
            case blockage(step: String, Blockage)
        }

        mutating func add(_ other: Trimmed) {
            executions += other.executions
            ineffective += other.ineffective
            items += other.items
        }
    }

    /// Takes out what the visit holds from `time` on, the time it now ends at: a step entry
    /// delivered late ended it before actions or a blockage placed in it had happened. Its
    /// completions, repeated valid executions and invalid evidence from then on go (each an
    /// execution fewer), and so does a blockage from then on; re-entries from then on are the
    /// caller's (a stay that resumed).
    mutating func trim(from time: EventTime, ineffectiveRepeats: Int) -> Trimmed {
        // Nearly always nothing happened after the exit: found by reading the times where they
        // lie (iterating the entries copied each, every string and list retained).
        guard holdsAnything(from: time) else { return Trimmed() }
        var trimmed = Trimmed()
        if let blockage, blockage.at >= time {
            trimmed.items.append(.blockage(step: step, blockage))
            self.blockage = nil
        }
        var removed: [String] = []
        // The completion is the earliest valid execution: when it goes, so do its repeats.
        for entry in completed.entries where entry.value.at >= time {
            removed.append(entry.key)
            trimmed.items.append(.completed(step: step, action: entry.key, entry.value))
        }
        for repeated in repeats where repeated.completion.at >= time {
            removed.append(repeated.action)
            trimmed.items.append(.completed(step: step, action: repeated.action, repeated.completion))
        }
        repeats.removeAll { $0.completion.at >= time }
        for problem in invalidEvidence where problem.at >= time {
            removed.append(problem.action)
            trimmed.items.append(.rejected(step: step, problem))
        }
        guard !removed.isEmpty else { return trimmed }
        for action in removed where completed[action].map({ $0.at >= time }) ?? false { completed[action] = nil }
        invalidEvidence.removeAll { $0.at >= time }
        func ineffective(_ count: Int) -> Int { max(0, count - ineffectiveRepeats + 1) }
        for action in removed {
            let count = executions[action] ?? 0
            guard count > 0 else { continue }
            executions[action] = count > 1 ? count - 1 : nil
            trimmed.executions += 1
            trimmed.ineffective += ineffective(count) - ineffective(count - 1)
        }
        return trimmed
    }

    /// Whether a blockage, a completion, a repeat or invalid evidence of the visit is at `time`
    /// or later.
    private func holdsAnything(from time: EventTime) -> Bool {
        let limit = time.epochMilliseconds
        if let at = blockage?.at, at.epochMilliseconds >= limit { return true }
        let completions = completed.entries.withUnsafeBufferPointer { entries in
            entries.indices.contains { entries[$0].value.at.epochMilliseconds >= limit }
        }
        if completions { return true }
        let problems = invalidEvidence.withUnsafeBufferPointer { problems in
            problems.indices.contains { problems[$0].at.epochMilliseconds >= limit }
        }
        return problems || repeats.withUnsafeBufferPointer { repeats in repeats.indices.contains { repeats[$0].completion.at.epochMilliseconds >= limit } }
    }

    /// Time spent at the step, if exited.
    public var dwellMilliseconds: Int64? { exitedAt.map { $0.epochMilliseconds - enteredAt.epochMilliseconds } }
}

/// A valid execution of an action already completed by an earlier one, kept whole: a late
/// step entry may move it to a visit where it is the earliest, and completes the action.
public struct RepeatedAction: Sendable, Hashable, Codable {
    public var action: String
    public var completion: CompletedAction
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
