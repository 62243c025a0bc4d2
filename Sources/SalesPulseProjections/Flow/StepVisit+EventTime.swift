import SalesPulseModel

// How a visit keeps what happened in it in event-time order, whatever order it was delivered
// in: the earliest valid execution completes an action, repeats and invalid evidence in order,
// re-entries kept, and what a stay resumed at a re-entry takes back (README, "Late deliveries").

extension StepVisit {
    /// Records an execution of `action` at `time` whose evidence was checked (`problems` and
    /// `summary`, as ``EvidenceCheck/check(_:against:actionTime:)`` gives them): valid, it may
    /// complete the action; otherwise its evidence problem is kept. Returns the action's
    /// executions in the visit.
    mutating func execute(_ action: String, at time: EventTime, rep: String?, eventID: String, problems: [String], summary: [String]) -> Int {
        if problems.isEmpty {
            // The earliest valid execution in event time completes the action.
            addValidExecution(of: action, CompletedAction(at: time, rep: rep, eventID: eventID, evidence: summary))
        } else {
            insertInvalidEvidence(EvidenceProblem(action: action, at: time, eventID: eventID, reasons: problems))
        }
        return countExecution(of: action)
    }

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
    /// happened here): each action counts as an execution again, not as misplaced, and a
    /// blockage stands if it is the latest.
    mutating func takeBack(_ trimmed: inout Trimmed, ineffectiveRepeats: Int) {
        var kept: [Trimmed.Item] = []
        for item in trimmed.items {
            let at: EventTime
            switch item {
            case .completed(_, _, let completion): at = completion.at
            case .rejected(_, let problem): at = problem.at
            case .blockage(_, let blockage): at = blockage.at
            }
            guard at >= enteredAt, exitedAt.map({ at < $0 }) ?? true else { kept.append(item); continue }
            let count: Int
            switch item {
            case .blockage(_, let blockage):
                if self.blockage.map({ at >= $0.at }) ?? true { self.blockage = blockage }
                continue
            case .completed(_, let action, let completion):
                addValidExecution(of: action, completion)
                count = countExecution(of: action)
            case .rejected(_, let problem):
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

extension FlowState {
    /// Where a visit of the flow lies: the current one, or the history's at an index.
    enum VisitPosition: Equatable {
        case current
        case history(Int)
    }

    /// The visit of `step` whose stay contains `time` — the current one, or the latest in the
    /// history that does — if any: where an action or a blockage at `time` belongs.
    func visit(of step: String, containing time: EventTime) -> VisitPosition? {
        if current?.step == step, let entered = current?.enteredAt, time >= entered { return .current }
        return history.lastIndex { $0.step == step && $0.enteredAt <= time && ($0.exitedAt.map { time < $0 } ?? true) }.map { .history($0) }
    }

    /// The visit at `position` (which must hold one), read and changed where it lies.
    subscript(visitAt position: VisitPosition) -> StepVisit {
        _read {
            switch position {
            case .current: yield current!
            case .history(let index): yield history[index]
            }
        }
        _modify {
            switch position {
            case .current: yield &current!
            case .history(let index): yield &history[index]
            }
        }
    }
}
