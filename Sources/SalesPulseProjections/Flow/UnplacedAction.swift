import SalesPulseModel

/// An action of a known step of a flow that no visit of the step contained when it arrived (the
/// flow not entered yet, or the customer at another step), or that a step entry delivered late
/// took out of a visit it ended before the action: a step entry delivered later still (a device
/// that was offline syncs hours after the rep reported) may make a visit that contains it, and
/// it then goes there, as it would have in event-time order. Counted in
/// ``CustomerState/misplacedActions`` while it waits. Kept per customer, at most
/// ``CustomerState/unplacedActionLimit`` (the earliest dropped, misplaced for good).
///
/// An action that arrived misplaced keeps its evidence unchecked: it is checked, against the
/// step's requirement at the action's time, only if a visit takes it. Most misplaced actions
/// are a rep reporting at a step the customer left, which no entry ever places, and checking
/// each on arrival (its summary text written) cost 10 % of the end-to-end rate on the samples,
/// whose actions are all misplaced (BENCHMARKS.md, session 50).
public struct UnplacedAction: Sendable, Hashable, Codable {
    /// What is known of the execution.
    public indirect enum Report: Sendable, Hashable, Codable {
        /// As reported, the evidence not checked yet (the event's id as it was decoded: the id
        /// string is made only if a visit takes the action).
        case reported(eventID: EventID, rep: String?, evidence: Evidence)
        /// A valid execution a late step entry took out of a visit.
        case completed(CompletedAction)
        /// An execution whose evidence failed, taken out of a visit by a late step entry.
        case rejected(EvidenceProblem)
    }

    /// The flow id.
    public var flow: String
    /// The step id the action named.
    public var step: String
    /// The action id.
    public var action: String
    /// When the action was executed.
    public var at: EventTime
    public var report: Report

    public init(flow: String, step: String, action: String, at: EventTime, report: Report) {
        self.flow = flow
        self.step = step
        self.action = action
        self.at = at
        self.report = report
    }

    /// The id of the event that reported it.
    public var eventID: String {
        switch report {
        case .reported(let id, _, _): id.string
        case .completed(let completion): completion.eventID
        case .rejected(let problem): problem.eventID
        }
    }

    /// The order kept: by time, then flow, step, action and event id (the same whatever the
    /// order of delivery). The strings are compared only for two actions at one millisecond: a
    /// tuple of them, built for every comparison, retained and released each string.
    static func precedes(_ a: borrowing UnplacedAction, _ b: borrowing UnplacedAction) -> Bool {
        if a.at.epochMilliseconds != b.at.epochMilliseconds { return a.at.epochMilliseconds < b.at.epochMilliseconds }
        if a.flow != b.flow { return a.flow < b.flow }
        if a.step != b.step { return a.step < b.step }
        if a.action != b.action { return a.action < b.action }
        return a.eventID < b.eventID
    }
}

extension CustomerState {
    /// How many unplaced actions a customer keeps (``unplacedActions``): a rep who keeps
    /// reporting actions at steps the customer has left cannot grow its state without bound.
    public static let unplacedActionLimit = 8

    /// Keeps an action that no visit contains yet, in order; past the limit, the earliest is
    /// dropped (misplaced for good).
    mutating func hold(_ action: consuming UnplacedAction) {
        // Mostly the latest: appended, without searching.
        let count = unplacedActions.count
        if count == 0 || action.at.epochMilliseconds > unplacedActions[count - 1].at.epochMilliseconds {
            if count == 0 { unplacedActions.reserveCapacity(2) }
            unplacedActions.append(consume action)
        } else {
            let index = unplacedActions.firstIndex { UnplacedAction.precedes(action, $0) } ?? count
            unplacedActions.insert(action, at: index)
        }
        if unplacedActions.count > Self.unplacedActionLimit { unplacedActions.removeFirst() }
    }

    /// Puts the unplaced actions of `definition`'s flow that a visit of their step now contains
    /// into that visit (after a step entry changed the flow's visits), each an execution there,
    /// no longer misplaced. A reported action's evidence is checked now. A correction: no
    /// outputs (README, "Late deliveries").
    mutating func placeUnplacedActions(flow definition: borrowing FlowDefinition, ineffectiveRepeats: Int) {
        guard !unplacedActions.isEmpty, let position = flows.index(forKey: definition.id) else { return }
        var index = 0
        while index < unplacedActions.count {
            // Read where they lie: a copy of each waiting action retained its strings and report.
            guard unplacedActions[index].flow == definition.id,
                  let place = flows[valueAt: position].visit(of: unplacedActions[index].step, containing: unplacedActions[index].at) else { index += 1; continue }
            let waiting = unplacedActions.remove(at: index)
            // Held only when the flow defines the action at the step; a checkpoint is restored
            // only into the configuration it was written with. Misplaced for good otherwise.
            guard let requirement = definition.action(named: waiting.action, inStep: waiting.step)?.evidence else { continue }
            let count = Self.place(waiting, requirement: requirement, into: &flows[valueAt: position][visitAt: place])
            actionExecutions += 1
            misplacedActions -= 1
            if count >= ineffectiveRepeats { ineffectiveExecutions += 1 }
        }
    }

    /// Adds `waiting` to `visit` as an execution, its evidence checked against `requirement` if
    /// it was not yet; returns the action's executions in the visit.
    private static func place(_ waiting: UnplacedAction, requirement: EvidenceRequirement, into visit: inout StepVisit) -> Int {
        switch waiting.report {
        case .reported(let eventID, let rep, let evidence):
            let (problems, summary) = EvidenceCheck.check(evidence, against: requirement, actionTime: waiting.at)
            return visit.execute(waiting.action, at: waiting.at, rep: rep, eventID: eventID.string, problems: problems, summary: summary)
        case .completed(let completion):
            visit.addValidExecution(of: waiting.action, completion)
        case .rejected(let problem):
            visit.insertInvalidEvidence(problem)
        }
        return visit.countExecution(of: waiting.action)
    }
}

// The positional checkpoint layout (see ``StateWriter``).
extension UnplacedAction {
    func write(to writer: inout StateWriter) {
        writer.write(flow)
        writer.write(step)
        writer.write(action)
        writer.write(at)
        switch report {
        case .reported(let eventID, let rep, let evidence):
            writer.write(UInt64(0))
            writer.write(eventID.string)
            writer.write(rep)
            evidence.write(to: &writer)
        case .completed(let completion):
            writer.write(UInt64(1))
            completion.write(to: &writer)
        case .rejected(let problem):
            writer.write(UInt64(2))
            problem.write(to: &writer)
        }
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        let flow = try reader.readString()
        let step = try reader.readString()
        let action = try reader.readString()
        let at = try reader.readTime()
        let report: Report
        switch try reader.readByte() {
        case 0: report = .reported(eventID: EventID(try reader.readString()), rep: try reader.readOptionalString(), evidence: try Evidence(reading: &reader))
        case 1: report = .completed(try CompletedAction(reading: &reader))
        case 2: report = .rejected(try EvidenceProblem(reading: &reader))
        case let tag: throw StateReadError(position: reader.position - 1, "unknown unplaced action tag \(tag)")
        }
        self.init(flow: flow, step: step, action: action, at: at, report: report)
    }
}

extension Evidence {
    func write(to writer: inout StateWriter) {
        writer.write(photo) { writer, photo in
            writer.write(photo.hash)
            writer.write(photo.capturedAt)
        }
        writer.write(location) { writer, location in
            writer.write(location.latitude)
            writer.write(location.longitude)
            writer.write(location.accuracyMeters)
        }
        writer.write(attachment) { writer, attachment in
            writer.write(attachment.name)
            writer.write(attachment.version)
        }
        writer.write(text)
        writer.write(count: skus.count)
        for sku in skus {
            writer.write(sku.sku)
            writer.write(sku.quantity)
        }
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        let photo = try reader.readOptional { reader throws(StateReadError) in Photo(hash: try reader.readString(), capturedAt: try reader.readTime()) }
        let location = try reader.readOptional { reader throws(StateReadError) in
            Location(latitude: try reader.readDouble(), longitude: try reader.readDouble(), accuracyMeters: try reader.readDouble())
        }
        let attachment = try reader.readOptional { reader throws(StateReadError) in Attachment(name: try reader.readString(), version: try reader.readString()) }
        let text = try reader.readOptionalString()
        let count = try reader.readCount()
        var skus: [SKUReference] = []
        for _ in 0..<count { skus.append(SKUReference(sku: try reader.readString(), quantity: try reader.readDouble())) }
        self.init(photo: photo, location: location, attachment: attachment, text: text, skus: skus)
    }
}
