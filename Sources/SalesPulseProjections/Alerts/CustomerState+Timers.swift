import SalesPulseModel

extension CustomerState {
    /// Rule names of the timers this projection owns.
    public enum TimerRule {
        public static let stepSLA = "step-sla"
        public static let leadActivation = "lead-activation"
        public static func inactivity(_ id: String) -> String { "inactivity:\(id)" }
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
        if openAlerts.isEmpty && !anyTimerDue(now: now, configuration: configuration) { return [] }
        var wanted: [String: Alert] = [:]
        let organisation = configuration.organisation
        let closed = outcome != nil

        if case .pending(let deadline) = activation, now > deadline {
            activation = .toBeActivated(since: deadline)
        }
        if case .toBeActivated(let since) = activation, !closed {
            let missing = configuration.activation.requiredFields.filter { fields[$0] == nil || fields[$0]!.updatedAt > since }
            let alert = Alert(rule: TimerRule.leadActivation, customer: customer, rep: rep, organisation: organisation, region: region, since: since,
                              reason: "lead not activated within \(DurationText.text(configuration.activation.windowMilliseconds)): missing \(missing.joined(separator: ", "))")
            wanted[alert.id] = alert
        }
        if !closed {
            for flowID in flows.keys.sorted() {
                guard let current = flows[flowID]?.current, let definition = configuration.flow(named: flowID) else { continue }
                if let sla = definition.step(named: current.step)?.slaMilliseconds, now.epochMilliseconds - current.enteredAt.epochMilliseconds > sla {
                    var reason = "at \(current.step) for more than \(DurationText.text(sla))"
                    if let blockage = current.blockage { reason += "; blocked: \(blockage.reason)" }
                    let alert = Alert(rule: TimerRule.stepSLA, customer: customer, rep: rep, organisation: organisation, region: region, flow: flowID, step: current.step, since: current.enteredAt.adding(milliseconds: sla), reason: reason)
                    wanted[alert.id] = alert
                }
                for rule in configuration.inactivity where rule.flow == flowID && rule.step == current.step {
                    let lastTouch = max(lastCommunicationAt ?? current.enteredAt, current.enteredAt)
                    if now.epochMilliseconds - lastTouch.epochMilliseconds > rule.afterMilliseconds {
                        let alert = Alert(rule: TimerRule.inactivity(rule.id), customer: customer, rep: rep, organisation: organisation, region: region, flow: flowID, step: current.step, since: lastTouch.adding(milliseconds: rule.afterMilliseconds), reason: "no communication at \(current.step) for more than \(DurationText.text(rule.afterMilliseconds)); supervisor to step in and review")
                        wanted[alert.id] = alert
                    }
                }
            }
        }
        var outputs: [FlowOutput] = []
        if wanted.isEmpty && openAlerts.isEmpty { return [] }
        for id in openAlerts.keys.sorted() where wanted[id] == nil {
            var resolved = openAlerts.removeValue(forKey: id)!
            resolved.state = .resolved
            resolved.resolvedAt = max(now, resolved.since)
            outputs.append(.alert(resolved))
        }
        for id in wanted.keys.sorted() where openAlerts[id] == nil {
            openAlerts[id] = wanted[id]!
            outputs.append(.alert(wanted[id]!))
        }
        return outputs
    }

    /// Whether any timer condition holds at `now` (cheap check, no allocation): lets the common
    /// case — nothing due, nothing open — return at once.
    private mutating func anyTimerDue(now: EventTime, configuration: ProcessConfiguration) -> Bool {
        switch activation {
        case .pending(let deadline): if now > deadline { return true }
        case .toBeActivated: return outcome == nil
        default: break
        }
        if outcome != nil { return false }
        for (flowID, flow) in flows {
            guard let current = flow.current else { continue }
            let dwell = now.epochMilliseconds - current.enteredAt.epochMilliseconds
            if let sla = configuration.slaMilliseconds(flow: flowID, step: current.step), dwell > sla { return true }
            for rule in configuration.inactivity where rule.flow == flowID && rule.step == current.step {
                let lastTouch = max(lastCommunicationAt ?? current.enteredAt, current.enteredAt)
                if now.epochMilliseconds - lastTouch.epochMilliseconds > rule.afterMilliseconds { return true }
            }
        }
        return false
    }
}
