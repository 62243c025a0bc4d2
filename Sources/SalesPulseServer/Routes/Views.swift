import SalesPulseModel
import SalesPulseProjections

/// JSON views with RFC 3339 times, for people and dashboards.
struct AlertView: Codable, Sendable {
    var id, rule, customer, reason, state, since: String
    var rep, supervisor, director, region, flow, step, resolvedAt: String?
    var departments: [String]
    var severity: String
    var evidence: [String]?

    init(_ alert: Alert) {
        departments = alert.departments
        severity = alert.severity ?? "warning"
        evidence = alert.evidence
        id = alert.id; rule = alert.rule; customer = alert.customer; reason = alert.reason
        state = alert.state.rawValue; since = alert.since.rfc3339UTC
        rep = alert.rep; supervisor = alert.supervisor; director = alert.director; region = alert.region
        flow = alert.flow; step = alert.step; resolvedAt = alert.resolvedAt?.rfc3339UTC
    }
}

struct VisitView: Codable, Sendable {
    var step, enteredAt: String
    var exitedAt: String?
    var dwellSeconds: Int64?
    var missing: [String]
    var completed: [String: [String]]
    var invalidEvidence: [String: [String]]
    var blockage: String?

    init(_ visit: StepVisit) {
        step = visit.step
        enteredAt = visit.enteredAt.rfc3339UTC
        exitedAt = visit.exitedAt?.rfc3339UTC
        dwellSeconds = visit.dwellMilliseconds.map { $0 / 1000 }
        missing = visit.missing
        completed = visit.completed.mapValues(\.evidence)
        invalidEvidence = Dictionary(visit.invalidEvidence.map { ($0.action, $0.reasons) }, uniquingKeysWith: { $1 })
        blockage = visit.blockage.map { "\($0.reason)\($0.isConfiguredReason ? "" : " (not a configured reason)")" }
    }
}

struct CustomerView: Codable, Sendable {
    struct Flow: Codable, Sendable {
        var current: VisitView?
        var history: [VisitView]
        var violations: [String]
    }
    var customer: String
    var rep, region, firstContactAt, lastEventAt, lastCommunicationAt: String?
    var activation: String
    var outcome: String?
    var timeToSignSeconds: Int64?
    var fields: [String: String]
    var flows: [String: Flow]
    var openAlerts: [AlertView]
    var actionExecutions, ineffectiveExecutions, misplacedActions: Int

    init(_ state: CustomerState, organisation: Organisation) {
        customer = state.customer
        rep = state.rep; region = state.region
        firstContactAt = state.firstContactAt?.rfc3339UTC
        lastEventAt = state.lastEventAt?.rfc3339UTC
        lastCommunicationAt = state.lastCommunicationAt?.rfc3339UTC
        activation = switch state.activation {
        case .notALead: "not-a-lead"
        case .pending(let deadline): "pending until \(deadline.rfc3339UTC)"
        case .activated(let at): "activated at \(at.rfc3339UTC)"
        case .toBeActivated(let since): "to be activated since \(since.rfc3339UTC)"
        case .activatedLate(let at): "activated late at \(at.rfc3339UTC)"
        }
        outcome = state.outcome.map { outcome in
            switch outcome {
            case .won(let at, let amount, let currency): "won \(amount) \(currency) at \(at.rfc3339UTC)"
            case .lost(let at, let reason): "lost at \(at.rfc3339UTC)\(reason.map { ": \($0)" } ?? "")"
            }
        }
        timeToSignSeconds = state.timeToSignMilliseconds.map { $0 / 1000 }
        fields = state.fields.mapValues { "\($0.value) (updated \($0.updatedAt.rfc3339UTC))" }
        flows = state.flows.mapValues { flow in
            Flow(current: flow.current.map(VisitView.init), history: flow.history.map(VisitView.init),
                 violations: flow.violations.map { "left \($0.step) at \($0.exitedAt?.rfc3339UTC ?? "?") missing \($0.missing.joined(separator: ", "))" })
        }
        openAlerts = state.servedOpenAlerts(organisation: organisation).map(AlertView.init)
        actionExecutions = state.actionExecutions
        ineffectiveExecutions = state.ineffectiveExecutions
        misplacedActions = state.misplacedActions
    }
}

/// One group's metric values.
struct MetricValues: Codable, Sendable {
    var customers: Int
    var complianceRate, freshness, ineffectiveRate, effectiveness, activationRate, averageTimeToSignHours, processHealthIndex: Double?

    init(_ sums: MetricSums, weights: HealthWeights) {
        customers = sums.customers
        complianceRate = sums.complianceRate
        freshness = sums.freshness
        ineffectiveRate = sums.ineffectiveRate
        effectiveness = sums.effectiveness
        activationRate = sums.activationRate
        averageTimeToSignHours = sums.averageTimeToSignMilliseconds.map { $0 / 3_600_000 }
        processHealthIndex = sums.processHealthIndex(weights: weights)
    }

    func value(named name: String) -> Double? {
        switch name {
        case "compliance": complianceRate
        case "freshness": freshness
        case "effectiveness": effectiveness
        case "ineffective": ineffectiveRate
        case "activation": activationRate
        case "time-to-sign": averageTimeToSignHours
        case "phi": processHealthIndex
        default: nil
        }
    }

    static let names = ["compliance", "freshness", "effectiveness", "ineffective", "activation", "time-to-sign", "phi"]
}
