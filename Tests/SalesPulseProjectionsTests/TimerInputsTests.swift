import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// A customer whose timer conditions that hold are those that held at its last full
/// reconciliation skips working out which alerts hold (``TimerInputs``): the skip must never
/// change an output or the state.
@Suite struct TimerInputsTests {
    typealias F = Fixtures
    typealias Generator = PartitioningPropertyTests.Generator

    /// Events of a few customers walking the fixture's flows, `spacing` hours apart: step
    /// entries (all timed steps), blockages, actions, field updates (the activation's fields
    /// among them), messages (the inactivity rule's contact), leads, and won or lost deals.
    static func events(seed: UInt64, count: Int, spacing: Double) -> [SalesEvent] {
        var random = Generator(state: seed)
        let steps = [("academic", "visit"), ("academic", "review"), ("academic", "sign"), ("delivery", "receipt"), ("delivery", "invoice"),
                     ("pipeline", "need_confirmation"), ("pipeline", "proposal")]
        let fields = ["first_contact_mode", "core_need", "next_follow_up", "latest_need"]
        return (0..<count).map { index in
            let (flow, step) = steps[random.next(steps.count)]
            let payload: EventPayload = switch random.next(12) {
            case 0, 1: .stepEntered(flow: flow, step: step)
            case 2: .stepBlocked(flow: flow, step: step, reason: "doctor_abroad")
            case 3: .actionCompleted(flow: "academic", step: "visit", action: "photo", evidence: random.next(2) == 0 ? F.goodPhoto : .none)
            case 4, 5: .fieldUpdated(field: fields[random.next(fields.count)], value: .number(Double(index)), previous: .null)
            case 6: .leadCreated(channel: "c", contactMode: "m")
            case 7: random.next(4) == 0 ? .dealWon(amount: 1, currency: "CNY") : .dealLost(reason: nil)
            case 8: .objectionChosen(objection: "price_too_high")
            default: .messageSent(channel: "wechat")
            }
            let hours = Double(index) * spacing * (0.5 + Double(random.next(100)) / 100)
            return F.event(payload, customer: "c\(random.next(4))", rep: "rep-\(1 + random.next(6))", at: hours, id: "e\(index)")
        }.sorted { $0.time < $1.time }
    }

    /// Folds the events as ``FlowProjection`` does, one state per customer, with ticks between
    /// them; `remembering: false` forgets the signature before every reconciliation.
    static func fold(_ events: [SalesEvent], remembering: Bool, tickEvery hours: Double) -> (states: [String: CustomerState], outputs: [[FlowOutput]], skipped: Int) {
        var states: [String: CustomerState] = [:]
        var outputs: [[FlowOutput]] = []
        var skipped = 0
        func forget(_ state: inout CustomerState) { if !remembering { state.timerInputs = TimerInputs() } }
        var nextTick = events.first.map { $0.time.adding(milliseconds: Int64(hours * Double(F.hour))) }
        for event in events {
            while let tick = nextTick, tick < event.time {
                for customer in states.keys.sorted() {
                    forget(&states[customer]!)
                    outputs.append(states[customer]!.reconcileDue(atOrBefore: tick, configuration: F.configuration))
                }
                nextTick = tick.adding(milliseconds: Int64(hours * Double(F.hour)))
            }
            var state = states[event.subject] ?? CustomerState(customer: event.subject)
            forget(&state)
            var step = state.reconcileDue(atOrBefore: event.time, configuration: F.configuration)
            step += state.apply(event, configuration: F.configuration)
            forget(&state)
            // The reconciliation below skips (the conditions it checks, counted to show it does).
            let now = max(event.time, state.reconciledAt ?? event.time).epochMilliseconds
            if !state.openAlerts.isEmpty, state.timerInputs.signature != 0, state.timerInputs.signature == signature(of: state, at: now) {
                skipped += 1
            }
            step += state.reconcile(now: event.time, configuration: F.configuration)
            outputs.append(step)
            states[event.subject] = state
        }
        return (states, outputs, skipped)
    }

    static func signature(of state: CustomerState, at now: Int64) -> UInt64 {
        state.holdingSignature(at: now, configuration: F.configuration)
    }

    typealias Folded = (states: [String: CustomerState], outputs: [[FlowOutput]], skipped: Int)

    /// Folds random events with skipping (`fold`'s second argument true) and without: the same
    /// outputs and states, and some skips (none without).
    static func expectSkippingChangesNothing(seed: UInt64, spacing: Double, tick: Double, fold: ([SalesEvent], Bool, Double) -> Folded) {
        let events = Self.events(seed: seed, count: 600, spacing: spacing)
        let full = fold(events, false, tick)
        let skipping = fold(events, true, tick)
        expectSame((skipping.states, skipping.outputs), as: (full.states, full.outputs))
        #expect(skipping.skipped > 0)
        #expect(full.skipped == 0)
    }

    /// The same outputs, step by step (the first difference only: the whole sequences would
    /// bury it), and the same states, their timer fields included.
    static func expectSame(_ folded: (states: [String: CustomerState], outputs: [[FlowOutput]]), as reference: (states: [String: CustomerState], outputs: [[FlowOutput]])) {
        let firstDifference = zip(folded.outputs, reference.outputs).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(firstDifference == nil, "step \(firstDifference?.offset ?? -1): \(firstDifference?.element.0 ?? []) instead of \(firstDifference?.element.1 ?? [])")
        #expect(folded.outputs.count == reference.outputs.count)
        #expect(folded.states.keys.sorted() == reference.states.keys.sorted())
        for (customer, state) in reference.states {
            #expect(folded.states[customer] == state, "\(customer)")
            #expect(folded.states[customer]?.nextTimerDue == state.nextTimerDue, "\(customer)")
            #expect(folded.states[customer]?.reconciledAt == state.reconciledAt, "\(customer)")
        }
    }

    @Test(arguments: [(1, 0.5, 1.0), (2, 2.0, 5.0), (3, 6.0, 24.0), (4, 11.0, 7.0), (5, 19.0, 50.0), (6, 31.0, 13.0)] as [(UInt64, Double, Double)])
    func skippingUnchangedTimerInputsChangesNothing(_ seed: UInt64, _ spacing: Double, _ tick: Double) {
        // The sequences reach open alerts that hold across later events, where the skip applies.
        Self.expectSkippingChangesNothing(seed: seed, spacing: spacing, tick: tick) { Self.fold($0, remembering: $1, tickEvery: $2) }
    }

    /// The signature covers every condition that holds: changing what any of them is made of
    /// changes it. At 200 h every condition of the state below holds: the lead's activation
    /// (its deadline passed at 24 h), the visit's SLA (since 74 h) and the silence at
    /// need_confirmation (since 75 h).
    @Test func everyHoldingConditionChangesTheSignature() {
        var state = CustomerState(customer: "c1")
        state.apply(F.event(.leadCreated(channel: "c", contactMode: "m"), at: 0), configuration: F.configuration)
        state.apply(F.enter("pipeline", "need_confirmation", at: 1), configuration: F.configuration)
        state.apply(F.enter("academic", "visit", at: 2), configuration: F.configuration)
        state.apply(F.event(.messageSent(channel: "sms"), at: 3), configuration: F.configuration)
        let now = F.at(200).epochMilliseconds
        let signature = { (state: CustomerState) in Self.signature(of: state, at: now) }
        let base = signature(state)
        #expect(base != 0)
        var changes: [(String, CustomerState)] = []
        var changed = state
        changed.activation = .toBeActivated(since: F.at(30))
        changes.append(("activation due at another time", changed))
        changed = state
        changed.activation = .activatedLate(at: F.at(30))
        changes.append(("activated", changed))
        changed = state
        changed.outcome = .lost(at: F.at(4), reason: nil)
        changes.append(("outcome", changed))
        changed = state
        changed.lastCommunicationAt = F.at(5)
        changes.append(("last communication at a watched step", changed))
        changed = state
        changed.apply(F.enter("academic", "review", at: 2), configuration: F.configuration)
        changes.append(("step", changed))
        changed = state
        changed.flows["academic"]!.current!.enteredAt = F.at(6)
        changes.append(("entry time", changed))
        changed = state
        changed.apply(F.enter("delivery", "receipt", at: 2), configuration: F.configuration)
        changes.append(("another flow", changed))
        for (what, state) in changes { #expect(signature(state) != base, "\(what)") }
        // Earlier, before any threshold: nothing holds, and the inputs of conditions that do
        // not hold leave the signature as it is.
        let early = F.at(10).epochMilliseconds
        var later = state
        later.lastCommunicationAt = F.at(8)
        later.flows["academic"]!.current!.enteredAt = F.at(7)
        #expect(Self.signature(of: later, at: early) == Self.signature(of: state, at: early))
        // A passed deadline is the same condition as "to be activated" since it.
        changed = state
        changed.activation = .toBeActivated(since: F.at(24))
        #expect(signature(changed) == base)
        // A lead in no flow: the decision alone changes it.
        var lead = CustomerState(customer: "c2")
        lead.apply(F.event(.leadCreated(channel: "c", contactMode: "m"), customer: "c2", at: 0), configuration: F.configuration)
        var decided = lead
        decided.outcome = .lost(at: F.at(4), reason: nil)
        #expect(signature(decided) != signature(lead))
        // Nothing the timers read: the signature stays.
        changed = state
        changed.apply(F.event(.fieldUpdated(field: "latest_need", value: .string("x"), previous: .null), at: 7), configuration: F.configuration)
        #expect(signature(changed) == base)
    }

    /// A message at a watched step before its silence alert is due changes no alert: the
    /// reconciliation after it skips, as do those after events the timers do not read.
    @Test func aMessageBeforeTheSilenceIsDueSkipsTheFullReconciliation() {
        var state = CustomerState(customer: "c1")
        // The silence at need_confirmation is due after 82 h, the visit's SLA after 72 h.
        for event in [F.enter("academic", "visit", at: 0), F.enter("pipeline", "need_confirmation", at: 10)] {
            state.apply(event, configuration: F.configuration)
            state.reconcile(now: event.time, configuration: F.configuration)
        }
        // The visit's SLA alert fires at 72 h.
        #expect(F.alerts(state.reconcileDue(atOrBefore: F.at(73), configuration: F.configuration)).map(\.rule) == ["step-sla"])
        let signature = state.timerInputs.signature
        #expect(signature != 0)
        state.apply(F.event(.messageSent(channel: "sms"), at: 74), configuration: F.configuration)
        #expect(state.reconcile(now: F.at(74), configuration: F.configuration).isEmpty)
        #expect(state.timerInputs.signature == signature)
        // The silence then comes due 72 h after the message, and fires.
        #expect(state.nextTimerDue == F.at(74 + 72).epochMilliseconds + 1)
        #expect(F.alerts(state.reconcileDue(atOrBefore: F.at(147), configuration: F.configuration)).map(\.rule) == ["inactivity:silent"])
    }

    /// Folds the events as ``FlowProjection`` does, with ticks between them: through
    /// ``CustomerState/applyAndReconcile(_:configuration:)``, or applying and then reconciling
    /// in full (every memo forgotten first). Counts the events whose reconciliation was skipped.
    static func foldApplying(_ events: [SalesEvent], inOneStep: Bool, tickEvery hours: Double) -> (states: [String: CustomerState], outputs: [[FlowOutput]], skipped: Int) {
        var states: [String: CustomerState] = [:]
        var outputs: [[FlowOutput]] = []
        var skipped = 0
        var nextTick = events.first.map { $0.time.adding(milliseconds: Int64(hours * Double(F.hour))) }
        for event in events {
            while let tick = nextTick, tick < event.time {
                for customer in states.keys.sorted() { outputs.append(states[customer]!.reconcileDue(atOrBefore: tick, configuration: F.configuration)) }
                nextTick = tick.adding(milliseconds: Int64(hours * Double(F.hour)))
            }
            var state = states[event.subject] ?? CustomerState(customer: event.subject)
            var step = state.reconcileDue(atOrBefore: event.time, configuration: F.configuration)
            if inOneStep {
                // Whether the reconciliation will be skipped (the conditions checked, to count it).
                let reads = state.timerInputs.readsLastCommunication
                let before = (state.activation, state.outcome != nil, state.lastCommunicationAt)
                var after = state
                after.apply(event, configuration: F.configuration)
                if let reads, !event.type.changesFlows, after.activation == before.0, (after.outcome != nil) == before.1,
                   !reads || after.lastCommunicationAt == before.2, state.nextTimerDue.map({ $0 > event.time.epochMilliseconds }) ?? true {
                    skipped += 1
                }
                step += state.applyAndReconcile(event, configuration: F.configuration)
            } else {
                step += state.apply(event, configuration: F.configuration)
                state.timerInputs = TimerInputs()
                step += state.reconcile(now: event.time, configuration: F.configuration)
            }
            outputs.append(step)
            states[event.subject] = state
        }
        return (states, outputs, skipped)
    }

    @Test(arguments: [(11, 0.5, 1.0), (12, 2.0, 5.0), (13, 6.0, 24.0), (14, 11.0, 7.0), (15, 19.0, 50.0), (16, 31.0, 13.0), (17, 80.0, 100.0)] as [(UInt64, Double, Double)])
    func applyingAndReconcilingInOneStepChangesNothing(_ seed: UInt64, _ spacing: Double, _ tick: Double) {
        Self.expectSkippingChangesNothing(seed: seed, spacing: spacing, tick: tick) { Self.foldApplying($0, inOneStep: $1, tickEvery: $2) }
    }

    /// An objection (a communication) at a step no inactivity rule watches skips the
    /// reconciliation; at a watched step it does not, and a message there resolves the silence.
    @Test func aCommunicationSkipsTheReconciliationOnlyWhereNoRuleWatchesTheStep() {
        var state = CustomerState(customer: "c1")
        for event in [F.enter("academic", "visit", at: 0)] {
            state.apply(event, configuration: F.configuration)
            state.reconcile(now: event.time, configuration: F.configuration)
        }
        #expect(state.timerInputs.readsLastCommunication == false)
        state.timerInputs.signature = 42  // a reconciliation that ran would change it
        #expect(state.applyAndReconcile(F.event(.objectionChosen(objection: "price_too_high"), at: 1), configuration: F.configuration).isEmpty)
        #expect(state.timerInputs.signature == 42)
        #expect(state.reconciledAt == F.at(1))
        #expect(state.lastCommunicationAt == F.at(1))
        state.applyAndReconcile(F.enter("pipeline", "need_confirmation", at: 2), configuration: F.configuration)
        #expect(state.timerInputs.readsLastCommunication == true)
        #expect(F.alerts(state.reconcileDue(atOrBefore: F.at(76), configuration: F.configuration)).map(\.rule).sorted() == ["inactivity:silent", "step-sla"])
        let resolved = F.alerts(state.applyAndReconcile(F.event(.objectionChosen(objection: "price_too_high"), at: 77), configuration: F.configuration))
        #expect(resolved.map(\.rule) == ["inactivity:silent"])
        #expect(resolved.map(\.state) == [.resolved])
    }

    /// A lead whose deadline passes becomes "to be activated" in the reconciliation that fires
    /// its alert: the same condition, so the reconciliation at its next event skips.
    @Test func theReconciliationAfterALeadsDeadlineSkips() {
        var state = CustomerState(customer: "c1")
        let lead = F.event(.leadCreated(channel: "c", contactMode: "m"), at: 0)
        state.apply(lead, configuration: F.configuration)
        state.reconcile(now: lead.time, configuration: F.configuration)
        #expect(F.alerts(state.reconcileDue(atOrBefore: F.at(25), configuration: F.configuration)).map(\.rule) == ["lead-activation"])
        #expect(state.activation == .toBeActivated(since: F.at(24)))
        let signature = state.timerInputs.signature
        #expect(signature != 0)
        state.apply(F.event(.objectionChosen(objection: "price_too_high"), at: 26), configuration: F.configuration)
        #expect(state.reconcile(now: F.at(26), configuration: F.configuration).isEmpty)
        #expect(state.timerInputs.signature == signature)
    }

    /// A lead in no flow whose activation alert is open: deciding the deal resolves it, though
    /// nothing else the timers read changed.
    @Test func decidingALeadsDealResolvesItsActivationAlert() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.event(.leadCreated(channel: "c", contactMode: "m"), at: 0))
        #expect(F.alerts(projection.advance(to: F.at(25))).map(\.rule) == ["lead-activation"])
        #expect(F.alerts(projection.apply(F.event(.objectionChosen(objection: "price_too_high"), at: 26))).isEmpty)
        let resolved = F.alerts(projection.apply(F.event(.dealLost(reason: nil), at: 27)))
        #expect(resolved.map(\.state) == [.resolved])
        #expect(projection.customers["c1"]!.openAlerts.isEmpty)
    }
}
