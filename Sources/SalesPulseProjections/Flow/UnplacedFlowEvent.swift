import SalesPulseModel

/// A blockage of a flow's step that no known visit of the step contained when it arrived, or
/// that a step entry delivered late took out of a visit it ended before the blockage: a step
/// entry delivered later still (a device that was offline syncs hours after the rep reported)
/// may make a visit that contains it, and it then goes there, as it would have in event-time
/// order. A misplaced action is not kept (misplaced actions are common; see
/// ``CustomerState/apply(_:configuration:)``); the type can hold one.
/// Kept per customer, at most ``CustomerState/unplacedLimit`` (the earliest dropped).
public struct UnplacedFlowEvent: Sendable, Hashable, Codable {
    /// The flow id.
    public var flow: String
    /// The step id the action or blockage named.
    public var step: String
    /// What happened.
    public var what: What

    /// An action, its evidence already checked, or a blockage.
    public enum What: Sendable, Hashable, Codable {
        /// An action whose evidence satisfied its requirement.
        case completed(action: String, CompletedAction)
        /// An action whose evidence did not.
        case rejected(EvidenceProblem)
        /// A blockage.
        case blockage(Blockage)
    }

    /// When it happened.
    public var at: EventTime {
        switch what {
        case .completed(_, let completion): completion.at
        case .rejected(let problem): problem.at
        case .blockage(let blockage): blockage.at
        }
    }

    /// The order kept: by time, then by what tells two apart at one time (deterministic, whatever
    /// the order of delivery).
    static func precedes(_ a: UnplacedFlowEvent, _ b: UnplacedFlowEvent) -> Bool {
        if a.at.epochMilliseconds != b.at.epochMilliseconds { return a.at.epochMilliseconds < b.at.epochMilliseconds }
        return a.sortKey < b.sortKey
    }

    private var sortKey: String {
        switch what {
        case .completed(let action, let completion): "\(flow)|\(step)|a|\(action)|\(completion.eventID)"
        case .rejected(let problem): "\(flow)|\(step)|r|\(problem.action)|\(problem.eventID)"
        case .blockage(let blockage): "\(flow)|\(step)|b|\(blockage.reason)"
        }
    }
}

extension CustomerState {
    /// How many unplaced blockages a customer keeps (``unplaced``): a rep who keeps reporting
    /// blockages of steps the customer never reaches cannot grow its state without bound.
    public static let unplacedLimit = 32

    /// Keeps a blockage (or an action: the runtime keeps none) that no visit contains yet, in
    /// order; past the limit, the earliest is dropped.
    mutating func hold(_ event: UnplacedFlowEvent) {
        let index = unplaced.firstIndex { UnplacedFlowEvent.precedes(event, $0) } ?? unplaced.count
        unplaced.insert(event, at: index)
        if unplaced.count > Self.unplacedLimit { unplaced.removeFirst() }
    }

    /// Puts the unplaced actions and blockages of `flow` that a visit of their step now contains
    /// into that visit (after a step entry changed the flow's visits): an action is no longer
    /// misplaced and counts as an execution, a blockage stands if it is the visit's latest.
    /// Returns whether a blockage was placed.
    @discardableResult
    mutating func placeUnplaced(flow: String, configuration: ProcessConfiguration) -> Bool {
        guard !unplaced.isEmpty, let position = flows.index(forKey: flow) else { return false }
        var blockagePlaced = false
        var index = 0
        while index < unplaced.count {
            guard unplaced[index].flow == flow else { index += 1; continue }
            let item = unplaced[index]
            let at = item.at
            let placed = Self.withVisit(of: item.step, containing: at, in: &flows[valueAt: position]) { visit in
                switch item.what {
                case .blockage(let blockage):
                    if visit.blockage.map({ at >= $0.at }) ?? true { visit.blockage = blockage }
                    return 0
                case .completed(let action, let completion):
                    visit.addValidExecution(of: action, completion)
                    return visit.countExecution(of: action)
                case .rejected(let problem):
                    visit.insertInvalidEvidence(problem)
                    return visit.countExecution(of: problem.action)
                }
            }
            guard let count = placed else { index += 1; continue }
            unplaced.remove(at: index)
            if case .blockage = item.what { blockagePlaced = true; continue }
            misplacedActions -= 1
            actionExecutions += 1
            if count >= configuration.ineffectiveRepeats { ineffectiveExecutions += 1 }
        }
        return blockagePlaced
    }

    /// Runs `body` on the visit of `step` whose time window contains `time` (the current one or
    /// a past one), in place; nil when there is none.
    static func withVisit<R>(of step: String, containing time: EventTime, in state: inout FlowState, _ body: (inout StepVisit) -> R) -> R? {
        if state.current.map({ $0.step == step && time >= $0.enteredAt }) ?? false {
            return body(&state.current!)
        }
        guard let index = state.history.lastIndex(where: { $0.step == step && $0.enteredAt <= time && ($0.exitedAt.map { time < $0 } ?? true) }) else { return nil }
        return body(&state.history[index])
    }
}

extension StepVisit {
    /// Counts one more execution of `action`; returns the new count.
    mutating func countExecution(of action: String) -> Int {
        let count = (executions[action] ?? 0) + 1
        executions[action] = count
        return count
    }

    /// Adds a valid execution: the earliest in event time completes the action, the others are
    /// kept as repeats, in order (the same whatever order they arrived in).
    mutating func addValidExecution(of action: String, _ completion: CompletedAction) {
        let repeated: RepeatedAction
        if let existing = completed.index(forKey: action) {
            let earlier = completed.entries[existing].value
            if completion.at < earlier.at {
                completed.entries[existing].value = completion
                repeated = RepeatedAction(action: action, completion: earlier)
            } else {
                repeated = RepeatedAction(action: action, completion: completion)
            }
        } else {
            completed[action] = completion
            return
        }
        // In order of time, then event id: the same list whatever the order of arrival.
        let key = (repeated.completion.at.epochMilliseconds, repeated.completion.eventID)
        let index = repeats.firstIndex { key < ($0.completion.at.epochMilliseconds, $0.completion.eventID) } ?? repeats.count
        repeats.insert(repeated, at: index)
    }

    /// The stay at this visit's step after it was interrupted at `time` (by an entry of another
    /// step delivered late): a visit from the first re-entry after `time` until `exit`, with
    /// the re-entries after that one; nil when there was none. The re-entries from `time` on
    /// leave this visit either way.
    mutating func resumption(after time: EventTime, until exit: EventTime?) -> StepVisit? {
        defer { reentries.removeAll { $0 >= time } }
        guard let resumedAt = reentries.first(where: { $0 > time }) else { return nil }
        var resumed = StepVisit(step: step, enteredAt: resumedAt, required: required)
        resumed.exitedAt = exit
        resumed.reentries = reentries.filter { $0 > resumedAt }
        return resumed
    }

    /// Takes into this resumed stay what the interrupted visit gave up from its entry on (they
    /// happened here): each action counts as an execution again, not as misplaced.
    mutating func takeBack(_ trimmed: inout Trimmed, ineffectiveRepeats: Int) {
        var kept: [(step: String, what: UnplacedFlowEvent.What)] = []
        for item in trimmed.items {
            let at: EventTime
            switch item.what {
            case .completed(_, let completion): at = completion.at
            case .rejected(let problem): at = problem.at
            case .blockage(let blockage): at = blockage.at
            }
            guard at >= enteredAt, exitedAt.map({ at < $0 }) ?? true else { kept.append(item); continue }
            let count: Int
            switch item.what {
            case .blockage(let blockage):
                if self.blockage.map({ at >= $0.at }) ?? true { self.blockage = blockage }
                continue
            case .completed(let action, let completion):
                addValidExecution(of: action, completion)
                count = countExecution(of: action)
            case .rejected(let problem):
                insertInvalidEvidence(problem)
                count = countExecution(of: problem.action)
            }
            trimmed.executions -= 1
            if count >= ineffectiveRepeats { trimmed.ineffective -= 1 }
        }
        trimmed.items = kept
    }

    /// Notes a re-entry of the visit's step at `time` (none at its entry time), in order.
    mutating func noteReentry(at time: EventTime) {
        guard time > enteredAt, !reentries.contains(time) else { return }
        reentries.insert(time, at: reentries.firstIndex { time < $0 } ?? reentries.count)
    }

    /// Adds evidence that failed its requirement, in order of time (then event id), so the list
    /// is the same whatever order the actions arrived in.
    mutating func insertInvalidEvidence(_ problem: EvidenceProblem) {
        let index = invalidEvidence.firstIndex { problem.at < $0.at || (problem.at == $0.at && problem.eventID < $0.eventID) } ?? invalidEvidence.count
        invalidEvidence.insert(problem, at: index)
    }
}

// The positional checkpoint layout (see ``StateWriter``).
extension UnplacedFlowEvent {
    func write(to writer: inout StateWriter) {
        writer.write(flow)
        writer.write(step)
        switch what {
        case .completed(let action, let completion):
            writer.write(UInt64(0)); writer.write(action); completion.write(to: &writer)
        case .rejected(let problem):
            writer.write(UInt64(1)); problem.write(to: &writer)
        case .blockage(let blockage):
            writer.write(UInt64(2)); blockage.write(to: &writer)
        }
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        let flow = try reader.readString()
        let step = try reader.readString()
        let what: What
        switch try reader.readByte() {
        case 0: what = .completed(action: try reader.readString(), try CompletedAction(reading: &reader))
        case 1: what = .rejected(try EvidenceProblem(reading: &reader))
        case 2: what = .blockage(try Blockage(reading: &reader))
        case let tag: throw StateReadError(position: reader.position - 1, "unknown unplaced event tag \(tag)")
        }
        self.init(flow: flow, step: step, what: what)
    }
}
