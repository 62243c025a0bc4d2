import SalesPulseModel

extension CustomerState {
    /// Folds one event into the state (pure: no clock, no I/O). Events are facts: none is
    /// refused; contradictions are recorded (violations, misplaced actions, invalid evidence).
    /// A customer's events may arrive in any order: the state is the one folding them in
    /// event-time order gives (late step entries, actions, blockages and quotes are put where
    /// they happened; README, "Late deliveries"), up to the limits of ``unplaced`` and
    /// ``quotes``.
    /// - Returns: the outputs this event caused; alerts are reconciled by ``reconcile(now:configuration:)``.
    @discardableResult
    public mutating func apply(_ event: SalesEvent, configuration: ProcessConfiguration) -> [FlowOutput] {
        var outputs: [FlowOutput] = []
        let time = event.time
        // The latest in event time wins (at equal times, the later delivered), as for fields.
        if let rep = event.rep, time.epochMilliseconds >= repNamedAt { rep_(rep, at: time) }
        if let region = event.region, time.epochMilliseconds >= regionNamedAt {
            self.region = region
            regionNamedAt = time.epochMilliseconds
        }
        if firstContactAt == nil || time < firstContactAt! { firstContactAt = time }
        if lastEventAt == nil || time > lastEventAt! { lastEventAt = time }
        if event.type.isCommunication, lastCommunicationAt == nil || time > lastCommunicationAt! { lastCommunicationAt = time }

        switch event.payload {
        case .leadCreated:
            // The earliest creation sets the deadline: one delivered late moves it back.
            if leadCreatedAt == nil || time < leadCreatedAt! {
                leadCreatedAt = time
                if case .notALead = activation { activation = .pending(deadline: time.adding(milliseconds: configuration.activation.windowMilliseconds)) }
                updateActivation(configuration)
            }
        case .fieldUpdated(let field, let value, _):
            if let index = fields.index(forKey: field) {
                // An update older than the current value: the audit trail keeps it, the state
                // only how early the field was first filled in.
                let first = min(fields.entries[index].value.firstUpdatedAt, time.epochMilliseconds)
                if fields.entries[index].value.updatedAt > time {
                    fields.entries[index].value.firstUpdatedAt = first
                } else {
                    fields.entries[index].value = FieldState(value: value, updatedAt: time, updatedBy: event.rep, firstUpdatedAt: first)
                }
            } else {
                fields.store(FieldState(value: value, updatedAt: time, updatedBy: event.rep), forKey: field) { _ in false }
            }
            updateActivation(configuration)
            if !openAlerts.isEmpty, configuration.activation.requiredFields.contains(field) {
                outputs.append(taking: redescribeOpenAlerts(configuration: configuration))
            }
        case .stepEntered(let flow, let step):
            // The flow's definition is lent where it lies in the configuration (`withFlow`, not
            // copied), here and for blockages and actions.
            guard let entered = configuration.withFlow(named: flow, { enter(step: step, flow: $0, at: time, rep: event.rep, configuration: configuration) }) else {
                outputs.append(.unknownFlow(customer: customer, flow: flow, at: time))
                break
            }
            // Nothing is in `outputs` before the switch: take the array instead of copying it.
            outputs = entered
        case .stepBlocked(let flow, let step, let reason):
            guard let configured = configuration.withFlow(named: flow, { $0.step(named: step)?.blockageReasons.contains(reason) ?? false }) else {
                outputs.append(.unknownFlow(customer: customer, flow: flow, at: time))
                break
            }
            // The visit of that step the blockage happened in (a late one may belong to a past
            // visit); of two blockages of one visit, the later in event time stands.
            var blocksCurrent = false
            var placed = false
            flows.modifyValue(forKey: flow) { state in
                placed = true
                let blockage = Blockage(reason: reason, at: time, isConfiguredReason: configured)
                if state.current.map({ $0.step == step && time >= $0.enteredAt }) ?? false {
                    if state.current!.blockage.map({ time >= $0.at }) ?? true {
                        state.current!.blockage = blockage
                        blocksCurrent = true
                    }
                } else if let index = state.history.lastIndex(where: { $0.step == step && $0.enteredAt <= time && ($0.exitedAt.map { time < $0 } ?? true) }) {
                    if state.history[index].blockage.map({ time >= $0.at }) ?? true { state.history[index].blockage = blockage }
                } else {
                    placed = false
                }
            }
            // No visit of the step contains it (yet): a step entry delivered later may make one.
            if !placed { hold(UnplacedBlockage(flow: flow, step: step, blockage: Blockage(reason: reason, at: time, isConfiguredReason: configured))) }
            // A stuck alert already open names the blockage too, whenever it arrived.
            if blocksCurrent && !openAlerts.isEmpty { outputs.append(taking: redescribeOpenAlerts(configuration: configuration)) }
        case .actionCompleted(let flow, let step, let action, let evidence):
            guard let completed = configuration.withFlow(named: flow, { complete(action: action, step: step, flow: $0, evidence: evidence, event: event, configuration: configuration) }) else {
                outputs.append(.unknownFlow(customer: customer, flow: flow, at: time))
                break
            }
            outputs = completed
        case .quoteSent:
            // Counted where it happened in event time (``QuoteTimeline``).
            let (ineffective, sent) = quotes.record(opened: false, at: time, ineffectiveRepeats: configuration.ineffectiveRepeats)
            quotesSentSinceOpened = sent
            actionExecutions += 1
            ineffectiveExecutions += ineffective
            if ineffective > 0 {
                outputs.append(.ineffectiveAction(customer: customer, action: "quote.sent", count: max(sent, configuration.ineffectiveRepeats), at: time, rep: event.rep))
            }
        case .quoteOpened:
            let (ineffective, sent) = quotes.record(opened: true, at: time, ineffectiveRepeats: configuration.ineffectiveRepeats)
            quotesSentSinceOpened = sent
            ineffectiveExecutions += ineffective
        case .dealWon(let amount, let currency):
            // The latest decision in event time stands: a late "lost" older than a "won" does not undo it.
            if outcome.map({ time >= $0.at }) ?? true { outcome = .won(at: time, amount: amount, currency: currency) }
        case .dealLost(let reason):
            if outcome.map({ time >= $0.at }) ?? true { outcome = .lost(at: time, reason: reason) }
        default:
            break
        }
        return outputs
    }

    private mutating func rep_(_ rep: String, at time: EventTime) {
        self.rep = rep
        repNamedAt = time.epochMilliseconds
    }

    /// Works the lead's activation out again from what decides it, so that it does not depend
    /// on the order events arrived in: the deadline (the earliest creation plus the window) and
    /// when each required field was first filled in — not its latest update. Activated when the
    /// last of them was first filled in, in time or late; otherwise pending, or to be activated
    /// once a timer found the deadline passed (``reconcile(now:configuration:)``).
    private mutating func updateActivation(_ configuration: ProcessConfiguration) {
        guard let created = leadCreatedAt else { return }
        let deadline = created.adding(milliseconds: configuration.activation.windowMilliseconds)
        var latest: Int64?
        for field in configuration.activation.requiredFields {
            guard let filled = fields.withValue(forKey: field, { $0.firstUpdatedAt }) else {
                // Incomplete: the deadline follows the earliest creation.
                switch activation {
                case .pending: activation = .pending(deadline: deadline)
                case .toBeActivated: activation = .toBeActivated(since: deadline)
                default: break
                }
                return
            }
            if latest == nil || filled > latest! { latest = filled }
        }
        // Filled in by the deadline, though delivered after a tick found it passed (the alert
        // fired in between resolves): activated in time, as when delivered before.
        guard let latest else { activation = .activated(at: deadline); return }
        let at = EventTime(epochMilliseconds: latest)
        activation = at <= deadline ? .activated(at: at) : .activatedLate(at: at)
    }

    private mutating func enter(step: String, flow definition: borrowing FlowDefinition, at time: EventTime, rep: String?, configuration: ProcessConfiguration) -> [FlowOutput] {
        let position = flows.index(forKey: definition.id) { FlowState(flow: definition.id) }
        // The flow's state is folded where it lies in the map: taken out and put back, it was
        // copied back (every field retained) and the placeholder left for it made and dropped.
        var moved = StepVisit.Trimmed()
        let outputs = Self.enter(step: step, into: &flows[valueAt: position], flow: definition, at: time, rep: rep, customer: customer,
                                 ineffectiveRepeats: configuration.ineffectiveRepeats, trimmed: &moved)
        // An execution moved to a stay resumed at a re-entry is no longer misplaced, but may
        // count as ineffective no more (the first there, it was the N-th where it was): the
        // ineffective count moves even when the executions' does not.
        actionExecutions -= moved.executions
        misplacedActions += moved.executions
        ineffectiveExecutions -= moved.ineffective
        // What was taken out waits for a visit that contains it, the actions counted as
        // misplaced meanwhile (as one that arrives at another step).
        for item in moved.items {
            switch item {
            case .blockage(let step, let blockage):
                hold(UnplacedBlockage(flow: definition.id, step: step, blockage: blockage))
            case .completed(let step, let action, let completion):
                hold(UnplacedAction(flow: definition.id, step: step, action: action, at: completion.at, report: .completed(completion)))
            case .rejected(let step, let problem):
                hold(UnplacedAction(flow: definition.id, step: step, action: problem.action, at: problem.at, report: .rejected(problem)))
            }
        }
        placeUnplacedActions(flow: definition, ineffectiveRepeats: configuration.ineffectiveRepeats)
        // An open stuck alert names the step's blockage: one placed now changes its text.
        if placeUnplaced(flow: definition.id), !openAlerts.isEmpty {
            var outputs = outputs
            outputs.append(taking: redescribeOpenAlerts(configuration: configuration))
            return outputs
        }
        return outputs
    }

    /// Enters `step` at `time`. A visit this entry ends before actions or a blockage already
    /// placed in it gives them up (``StepVisit/trim(from:ineffectiveRepeats:)``): in event time
    /// they happened at another step; what was taken out is added to `trimmed`.
    private static func enter(step: String, into state: inout FlowState, flow definition: borrowing FlowDefinition, at time: EventTime, rep: String?, customer: String,
                              ineffectiveRepeats: Int, trimmed: inout StepVisit.Trimmed) -> [FlowOutput] {
        guard let enteredAt = state.current?.enteredAt else {
            state.current = StepVisit(step: step, enteredAt: time, required: definition.mandatoryActionIDs(ofStep: step))
            return [.stepChanged(customer: customer, flow: definition.id, from: nil, to: step, at: time)]
        }
        if time < enteredAt {
            // Late: this entry happened before the current visit. Record it in history at its
            // place, as if it had arrived in event-time order.
            var containing = state.history.lastIndex { $0.enteredAt <= time }
            if let index = containing, let exit = state.history[index].exitedAt, exit <= time { containing = nil }
            // Re-entering the step the customer was at then changes nothing, as on time.
            if let containing, state.history[containing].step == step {
                state.history[containing].noteReentry(at: time)
                return []
            }
            if let containing {
                // The visit it splits ends here; if the customer re-entered that step later
                // within it, the stay resumed then.
                let exit = state.history[containing].exitedAt
                state.history[containing].exitedAt = time
                trimmed.add(state.history[containing].trim(from: time, ineffectiveRepeats: ineffectiveRepeats))
                if var resumed = state.history[containing].resumption(after: time, until: exit) {
                    resumed.takeBack(&trimmed, ineffectiveRepeats: ineffectiveRepeats)
                    state.history.insert(resumed, at: containing + 1)
                }
            }
            let index = state.history.firstIndex { $0.enteredAt > time } ?? state.history.count
            // The visit that follows is of the same step: its entry was a re-entry, and the
            // stay began with this one.
            if index < state.history.count, state.history[index].step == step {
                let entry = state.history[index].enteredAt
                state.history[index].enteredAt = time
                state.history[index].noteReentry(at: entry)
                return []
            }
            if index == state.history.count, state.current!.step == step {
                let entry = state.current!.enteredAt
                state.current!.enteredAt = time
                state.current!.noteReentry(at: entry)
                return []
            }
            var visit = StepVisit(step: step, enteredAt: time, required: definition.mandatoryActionIDs(ofStep: step))
            visit.exitedAt = index < state.history.count ? state.history[index].enteredAt : enteredAt
            state.history.insert(visit, at: index)
            return []
        }
        if state.current!.step == step {
            // Re-entering the current step changes nothing; its time is kept (see ``StepVisit/reentries``).
            state.current!.noteReentry(at: time)
            return []
        }
        // The current visit is moved into the history, not copied there.
        var current = state.current.take()!
        current.exitedAt = time
        trimmed.add(current.trim(from: time, ineffectiveRepeats: ineffectiveRepeats))
        var resumed = current.resumption(after: time, until: nil)
        resumed?.takeBack(&trimmed, ineffectiveRepeats: ineffectiveRepeats)
        var outputs: [FlowOutput] = []
        let missing = current.missing
        if !missing.isEmpty {
            outputs.append(.complianceViolation(customer: customer, flow: definition.id, step: current.step, missing: missing, at: time, rep: rep))
        }
        let from = current.step
        state.history.append(current)
        var next = StepVisit(step: step, enteredAt: time, required: definition.mandatoryActionIDs(ofStep: step))
        outputs.append(.stepChanged(customer: customer, flow: definition.id, from: from, to: step, at: time))
        if let resumed {
            // The customer had re-entered the step it leaves here, later: a correction of what
            // was delivered out of order, which sends no output of its own (as a late entry).
            next.exitedAt = resumed.enteredAt
            state.history.append(next)
            state.current = resumed
        } else {
            state.current = next
        }
        return outputs
    }

    private mutating func complete(action: String, step: String, flow definition: borrowing FlowDefinition, evidence: Evidence, event: SalesEvent, configuration: ProcessConfiguration) -> [FlowOutput] {
        let time = event.time
        guard let position = flows.index(forKey: definition.id) else {
            misplacedActions += 1
            // A step entry delivered later may make a visit that contains it.
            if definition.action(named: action, inStep: step) != nil { holdReported(action: action, step: step, flow: definition.id, evidence: evidence, event: event) }
            return [.misplacedAction(customer: customer, flow: definition.id, step: step, action: action, at: time, reason: .flowNotEntered)]
        }
        guard let actionDefinition = definition.action(named: action, inStep: step) else {
            misplacedActions += 1
            return [.misplacedAction(customer: customer, flow: definition.id, step: step, action: action, at: time, reason: .unknownAction)]
        }
        // Find the visit this action belongs to: the current one, or a past visit of that step
        // whose time window contains the action (a late event).
        guard let place = flows[valueAt: position].visit(of: step, containing: time) else {
            misplacedActions += 1
            // A step entry delivered later may make a visit that contains it; its evidence is
            // checked only then (see ``UnplacedAction``).
            holdReported(action: action, step: step, flow: definition.id, evidence: evidence, event: event)
            return [.misplacedAction(customer: customer, flow: definition.id, step: step, action: action, at: time, reason: .atAnotherStep(flows[valueAt: position].current?.step))]
        }
        var outputs: [FlowOutput] = []
        let (problems, summary) = EvidenceCheck.check(evidence, against: actionDefinition.evidence, actionTime: time)
        // The visit is changed where it lies (`flows[valueAt:]`, `[visitAt:]`), not copied:
        // adding to a copy's dictionaries would copy them (copy-on-write) on every action.
        let count = flows[valueAt: position][visitAt: place].execute(action, at: time, rep: event.rep, eventID: event.id, problems: problems, summary: summary)
        if !problems.isEmpty {
            outputs.append(.evidenceRejected(customer: customer, flow: definition.id, step: step, action: action, reasons: problems, at: time))
        }
        actionExecutions += 1
        if count >= configuration.ineffectiveRepeats {
            ineffectiveExecutions += 1
            outputs.append(.ineffectiveAction(customer: customer, action: action, count: count, at: time, rep: event.rep))
        }
        return outputs
    }
}

extension CustomerState {
    /// Keeps a misplaced action of a known step as reported, its evidence unchecked, in case a
    /// step entry delivered later makes a visit that contains it (``UnplacedAction``).
    private mutating func holdReported(action: String, step: String, flow: String, evidence: Evidence, event: SalesEvent) {
        hold(UnplacedAction(flow: flow, step: step, action: action, at: event.time, report: .reported(eventID: event.eventID, rep: event.rep, evidence: evidence)))
    }
}

extension SalesEventType {
    /// Whether applying an event of this type may change a customer's flows (its current steps,
    /// their entry times and blockages): what the step timers read. The types whose cases of
    /// ``CustomerState/apply(_:configuration:)`` modify `flows`; a new one must be added here.
    var changesFlows: Bool {
        switch self {
        case .stepEntered, .stepBlocked, .actionCompleted: true
        default: false
        }
    }
}
