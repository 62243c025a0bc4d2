import SalesPulseModel

extension CustomerState {
    /// Rule names of the timers this projection owns.
    public enum TimerRule {
        public static let stepSLA = "step-sla"
        public static let leadActivation = "lead-activation"
        public static func inactivity(_ id: String) -> String { inactivityPrefix + id }
        /// What the names of inactivity rules begin with.
        static let inactivityPrefix = "inactivity:"
    }

    /// Fires and resolves the time-driven alerts as of `now` (event time: the partition's
    /// watermark, or the wall clock for an idle partition in live mode). Pure and idempotent:
    /// calling it again with the same `now` changes nothing.
    ///
    /// - stuck: the current step's dwell is *beyond* its SLA (at exactly the SLA it is not stuck);
    /// - lead activation: the activation deadline passed with required fields missing;
    /// - inactivity: at the rule's step with no communication for the rule's duration.
    @discardableResult
    public mutating func reconcile(now requested: EventTime, configuration: ProcessConfiguration) -> [FlowOutput] {
        let now = max(requested, reconciledAt ?? requested)
        reconciledAt = now
        // One pass over the timer conditions: which hold now (their signature), and when does
        // the next start to?
        let dues = Self.timerDues(at: now.epochMilliseconds, activation: activation, closed: outcome != nil, flows: flows, lastCommunicationAt: lastCommunicationAt,
                                  configuration: configuration)
        nextTimerDue = dues.next
        timerInputs.readsLastCommunication = dues.readsLastCommunication
        let anyDue = (dues.earliest.map { $0 <= now.epochMilliseconds } ?? false) || (activation.isToBeActivated && outcome == nil)
        if openAlerts.isEmpty && !anyDue {
            timerInputs.signature = 0
            return []
        }
        // The same conditions hold as at the last full reconciliation, which left the open
        // alerts exactly those: nothing to fire or resolve (``TimerInputs``). A condition that
        // starts to hold (a due time passed) or stops (an event) changes the signature.
        if dues.holding.value == timerInputs.signature { return [] }
        timerInputs.signature = dues.holding.value
        // Of what the due times depend on, only the activation can change below (pending to
        // be activated): worked out again only then. The signature stays: a pending activation
        // whose deadline passed is the same condition as "to be activated" since the deadline.
        let activationBefore = activation
        defer {
            if activation != activationBefore {
                nextTimerDue = timerDues(at: now.epochMilliseconds, configuration: configuration).next
            }
        }
        // The ids of the alerts that hold now; an alert is built (its reason text, the rep's
        // place in the organisation) only if it is not open yet: a customer with an open alert
        // is reconciled at each of its events, and an open alert stays as it was fired. (No
        // closures building alerts on demand: their contexts copied the configuration.) Ids are
        // compared as their digits (``IdentifierDigits``): no id string is built for a lookup.
        // (``HoldingAlerts``: no nested functions capturing variables, which boxed them.)
        var holding = HoldingAlerts()
        let closed = outcome != nil

        if case .pending(let deadline) = activation, now > deadline {
            activation = .toBeActivated(since: deadline)
        }
        if case .toBeActivated(let since) = activation, !closed,
           holding.mustBuild(Alert.identifierHash(rule: TimerRule.leadActivation, customer: customer, flow: nil, step: nil, since: since), open: openAlerts) {
            holding.fire(Alert(rule: TimerRule.leadActivation, customer: customer, rep: rep, organisation: configuration.organisation, region: region, since: since,
                               reason: Self.unactivatedReason(configuration.activation, fields: fields, since: since), identifierHash: holding.buildingHash))
        }
        if !closed {
            // By index, reading the current step's name and entry time where they lie (iterating
            // `(key, value)` pairs would copy each whole flow state), and the step's SLA and the
            // inactivity rules in place: binding the visit, the flow and step definitions or each
            // rule copied them (strings and arrays retained, then released) for every customer
            // with an open alert at each of its events (BENCHMARKS.md, session 28). The entries
            // are lent in place: read through the array, each whole entry was copied first.
            let inactivity = configuration.inactivity
            flows.entries.withUnsafeBufferPointer { flowEntries in
                for index in flowEntries.indices {
                    guard let enteredAt = flowEntries[index].value.current?.enteredAt else { continue }
                    let flowID = flowEntries[index].key
                    let step = flowEntries[index].value.current!.step
                    guard let sla = configuration.withFlow(named: flowID, { $0.slaMilliseconds(ofStep: step) }) else { continue }
                    if let sla, now.epochMilliseconds - enteredAt.epochMilliseconds > sla {
                        let since = enteredAt.adding(milliseconds: sla)
                        if holding.mustBuild(Alert.identifierHash(rule: TimerRule.stepSLA, customer: customer, flow: flowID, step: step, since: since), open: openAlerts) {
                            // The step's text, written once in the configuration (a stuck alert built its own).
                            let reason = Self.stuckReason(flow: flowID, step: step, blockage: flowEntries[index].value.current!.blockage, configuration: configuration)!
                            holding.fire(Alert(rule: TimerRule.stepSLA, customer: customer, rep: rep, organisation: configuration.organisation, region: region, flow: flowID, step: step, since: since, reason: reason,
                                               identifierHash: holding.buildingHash))
                        }
                    }
                    for rule in inactivity.indices where inactivity[rule].flow == flowID && inactivity[rule].step == step {
                        let after = inactivity[rule].afterMilliseconds
                        let lastTouch = max(lastCommunicationAt ?? enteredAt, enteredAt)
                        guard now.epochMilliseconds - lastTouch.epochMilliseconds > after else { continue }
                        let since = lastTouch.adding(milliseconds: after)
                        // The rule's name (`inactivity:<id>`) hashed in its two parts: built only to fire.
                        if holding.mustBuild(Alert.identifierHash(rule: TimerRule.inactivityPrefix, ruleSuffix: inactivity[rule].id, customer: customer, flow: flowID, step: step, since: since), open: openAlerts) {
                            holding.fire(Alert(rule: TimerRule.inactivity(inactivity[rule].id), customer: customer, rep: rep, organisation: configuration.organisation, region: region, flow: flowID, step: step,
                                               since: since, reason: inactivity[rule].reason,
                                               identifierHash: holding.buildingHash))
                        }
                    }
                }
            }
        }
        var outputs: [FlowOutput] = []
        if holding.isEmpty && openAlerts.isEmpty { return [] }
        // In key order, without copying the keys first: an entry that no longer holds is
        // removed where it stands.
        var position = 0
        while position < openAlerts.entries.count {
            guard holding.contains(openAlerts.entries[position].value.digits) else {
                var resolved = openAlerts.entries.remove(at: position).value
                resolved.state = .resolved
                resolved.resolvedAt = max(now, resolved.since)
                outputs.append(.alert(resolved))
                continue
            }
            position += 1
        }
        holding.takeFiredInIDOrder { (alert: consuming Alert) in
            openAlerts.store(copy alert)
            outputs.append(.alert(alert))
        }
        return outputs
    }

    /// Applies `event` (``apply(_:configuration:)``) and reconciles the timers at its time
    /// (``reconcile(now:configuration:)``), with the same outputs and state. The reconciliation
    /// is skipped, the time only noted, when the event changed nothing the timers read: no step
    /// entered, blocked or acted on, the same activation and decision, and the same last
    /// communication unless an inactivity rule watches a current step. With no due time passed
    /// since the last reconciliation (``reconcileDue(atOrBefore:configuration:)`` runs first),
    /// the same conditions hold, and that reconciliation's findings stand; the flows, rarely in
    /// cache, are not read (BENCHMARKS.md, session 39).
    public mutating func applyAndReconcile(_ event: SalesEvent, configuration: ProcessConfiguration) -> [FlowOutput] {
        let activationBefore = activation
        let closedBefore = outcome != nil
        let lastCommunicationBefore = lastCommunicationAt
        var outputs = apply(event, configuration: configuration)
        if let readsLastCommunication = timerInputs.readsLastCommunication, !event.type.changesFlows, activation == activationBefore,
           (outcome != nil) == closedBefore, !readsLastCommunication || lastCommunicationAt == lastCommunicationBefore,
           nextTimerDue.map({ $0 > event.time.epochMilliseconds }) ?? true {
            if reconciledAt == nil || event.time > reconciledAt! { reconciledAt = event.time }
            return outputs
        }
        outputs.append(taking: reconcile(now: event.time, configuration: configuration))
        return outputs
    }

    /// Reconciles at each timer due at or before `time`, earliest first, as ticks advancing the
    /// watermark to those times would have. Folding calls this before applying an event, so
    /// that what a timer produces never depends on whether a tick came before the event.
    public mutating func reconcileDue(atOrBefore time: EventTime, configuration: ProcessConfiguration) -> [FlowOutput] {
        var outputs: [FlowOutput] = []
        // Each reconciliation moves the next due time past the one reconciled (or clears it).
        while let due = nextTimerDue, due <= time.epochMilliseconds {
            let fired = reconcile(now: EventTime(epochMilliseconds: due), configuration: configuration)
            outputs.append(taking: fired)
            if let next = nextTimerDue, next <= due { break }
        }
        return outputs
    }

    /// Re-describes open timer alerts whose reason reads state a late delivery can change: a
    /// lead-activation alert lists the fields missing at its `since`, and a field filled in by
    /// then may arrive after it fired; a step-SLA alert names the step's blockage, which may
    /// arrive after it fired. Whether such an alert fired before or after the delivery depends
    /// on when ticks came; its reason, brought up to date here (and the alert sent again with
    /// the same id), does not. Returns the re-described alerts.
    mutating func redescribeOpenAlerts(configuration: ProcessConfiguration) -> [FlowOutput] {
        var outputs: [FlowOutput] = []
        for index in openAlerts.entries.indices {
            let alert = openAlerts.entries[index].value
            let reason: String?
            switch alert.rule {
            case TimerRule.leadActivation:
                guard case .toBeActivated(let since) = activation else { continue }
                reason = Self.unactivatedReason(configuration.activation, fields: fields, since: since)
            case TimerRule.stepSLA:
                guard let flow = alert.flow, let step = alert.step,
                      let current = flows.withValue(forKey: flow, { $0.current }) ?? nil, current.step == step else { continue }
                reason = Self.stuckReason(flow: flow, step: step, blockage: current.blockage, configuration: configuration)
            default:
                continue
            }
            guard let reason, reason != alert.reason else { continue }
            openAlerts.entries[index].value.reason = reason
            outputs.append(.alert(openAlerts.entries[index].value))
        }
        return outputs
    }

    /// The reason of a step-SLA alert: the step's text, and its blockage if it has one.
    static func stuckReason(flow: String, step: String, blockage: Blockage?, configuration: ProcessConfiguration) -> String? {
        guard var reason = configuration.withFlow(named: flow, { $0.stuckReason(ofStep: step) }) ?? nil else { return nil }
        if let blockage { reason += "; blocked: \(blockage.reason)" }
        return reason
    }

    /// The reason of a lead-activation alert: the required fields missing at `since` (absent,
    /// or filled later), in configured order. When all are missing, as for most leads that
    /// alert, the configuration's text of that case, shared; otherwise written here, without
    /// the list of missing fields and its joining (each a few allocations) the text took.
    private static func unactivatedReason(_ rule: borrowing ActivationRule, fields: borrowing SmallMap<FieldState>, since: EventTime) -> String {
        let required = rule.requiredFields
        var missing = 0
        for field in required where fields.withValue(forKey: field, { $0.firstUpdatedAt > since.epochMilliseconds }) ?? true { missing += 1 }
        if missing == required.count { return rule.allMissingReason }
        var reason = rule.missingReasonPrefix
        var first = true
        for field in required where fields.withValue(forKey: field, { $0.firstUpdatedAt > since.epochMilliseconds }) ?? true {
            if !first { reason += ", " }
            reason += field
            first = false
        }
        return reason
    }

    /// Recomputes ``nextTimerDue`` from the state (after restoring a checkpoint), forgetting the
    /// memos of ``TimerInputs`` (the signature, and the due time queued in a projection's heap).
    public mutating func refreshNextTimerDue(configuration: ProcessConfiguration) {
        timerInputs = TimerInputs()
        nextTimerDue = reconciledAt.flatMap { timerDues(at: $0.epochMilliseconds, configuration: configuration).next }
            ?? timerDues(at: Int64.min, configuration: configuration).next
    }

    /// The signature of the timer conditions that hold at `now` (epoch milliseconds), which a
    /// full reconciliation at `now` notes (``TimerInputs/signature``).
    func holdingSignature(at now: Int64, configuration: ProcessConfiguration) -> UInt64 {
        timerDues(at: now, configuration: configuration).holding.value
    }

    /// Every timer condition has the form "now > threshold", so it starts to hold at
    /// threshold + 1 ms. Returns the earliest such time of all conditions (does any hold now?),
    /// the earliest one after `now` (when must the customer be looked at next?) and the
    /// signature of those that hold at `now`.
    private func timerDues(at now: Int64, configuration: ProcessConfiguration) -> TimerDues {
        Self.timerDues(at: now, activation: activation, closed: outcome != nil, flows: flows, lastCommunicationAt: lastCommunicationAt, configuration: configuration)
    }

    /// ``timerDues(at:configuration:)`` from the parts of the state it reads. Static, so that
    /// `reconcile`, which runs for every event, passes those parts: calling the method there
    /// copied the whole state first, retaining and releasing each of its fields. No allocation.
    private static func timerDues(at now: Int64, activation: Activation, closed: Bool, flows: borrowing SmallMap<FlowState>, lastCommunicationAt: EventTime?,
                                  configuration: ProcessConfiguration) -> TimerDues {
        var dues = TimerDues(now: now, closed: closed)
        switch activation {
        case .pending(let deadline):
            // Passed, it is about to be "to be activated since the deadline": the same condition.
            if dues.consider(deadline.epochMilliseconds) { dues.holding.add(TimerDues.leadActivation, deadline.epochMilliseconds) }
        case .toBeActivated(let since):
            dues.holding.add(TimerDues.leadActivation, since.epochMilliseconds)
        default:
            break
        }
        if closed { return dues }
        let inactivity = configuration.inactivity
        // By index, reading only the current step's name and entry time: iterating `(key, value)`
        // pairs would copy each whole flow state (its visits, arrays and maps) per event.
        for index in flows.entries.indices {
            guard let enteredAt = flows.entries[index].value.current?.enteredAt else { continue }
            let flowID = flows.entries[index].key
            let step = flows.entries[index].value.current!.step
            if let sla = configuration.slaMilliseconds(flow: flowID, step: step), dues.consider(enteredAt.epochMilliseconds &+ sla) {
                dues.holding.add(TimerDues.stepSLA, enteredAt.epochMilliseconds &+ sla, flow: flowID, step: step)
            }
            // By index: binding each rule copied it (its strings retained and released).
            for rule in inactivity.indices where inactivity[rule].flow == flowID && inactivity[rule].step == step {
                dues.readsLastCommunication = true
                let lastTouch = max(lastCommunicationAt ?? enteredAt, enteredAt)
                let threshold = lastTouch.epochMilliseconds &+ inactivity[rule].afterMilliseconds
                if dues.consider(threshold) { dues.holding.add(TimerDues.inactivity &+ Int64(rule), threshold, flow: flowID, step: step) }
            }
        }
        return dues
    }
}

extension Activation {
    var isToBeActivated: Bool { if case .toBeActivated = self { true } else { false } }
}

extension CustomerState {
    /// One of this customer's open alerts as it is served: routed to the customer's current owner
    /// (its rep, that rep's supervisor and director, and region) rather than to the one it had
    /// when it fired. When an alert fired depends on ticks — live, an idle stream's timers fire
    /// by the wall clock between deliveries — and the owner may change after it, so the routing
    /// it fired with (kept in the alerts topic's record, the notification sent then) is not a
    /// function of the events; the current owner is. Nothing is copied when it is unchanged.
    public func servedAlert(_ alert: Alert, organisation: Organisation) -> Alert {
        let placement = rep.flatMap(organisation.placement(of:))
        let region = placement?.region ?? self.region
        guard alert.rep != rep || alert.supervisor != placement?.supervisor || alert.director != placement?.director || alert.region != region else { return alert }
        var routed = alert
        routed.rep = rep
        routed.supervisor = placement?.supervisor
        routed.director = placement?.director
        routed.region = region
        return routed
    }

    /// The open alerts as served (``servedAlert(_:organisation:)``), sorted by id.
    public func servedOpenAlerts(organisation: Organisation) -> [Alert] {
        openAlerts.values.sorted { $0.id < $1.id }.map { servedAlert($0, organisation: organisation) }
    }
}
