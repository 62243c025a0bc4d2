import SalesPulseModel
import SalesPulseProjections

/// `GET /v1/flows/{flow}`: customers per step, dwell distribution and stuck counts.
struct FlowSummary: Codable, Sendable {
    struct Step: Codable, Sendable {
        var step: String
        var name: String
        var customers: Int
        var stuck: Int
        var blocked: Int
        var slaHours: Double?
        /// Current dwell in hours: p50, p90, max.
        var dwellHoursP50: Double?
        var dwellHoursP90: Double?
        var dwellHoursMax: Double?
    }
    var flow: String
    var name: String
    var at: String
    var steps: [Step]
    var violations: Int

    static func make(flow: FlowDefinition, customers: [CustomerState], now: EventTime) -> FlowSummary {
        var dwell: [String: [Double]] = [:]
        var stuck: [String: Int] = [:]
        var blocked: [String: Int] = [:]
        var violations = 0
        for customer in customers {
            guard let state = customer.flows[flow.id] else { continue }
            violations += state.violations.count
            guard let current = state.current else { continue }
            let hours = Double(now.epochMilliseconds - current.enteredAt.epochMilliseconds) / 3_600_000
            dwell[current.step, default: []].append(hours)
            if let sla = flow.step(named: current.step)?.slaMilliseconds, now.epochMilliseconds - current.enteredAt.epochMilliseconds > sla { stuck[current.step, default: 0] += 1 }
            if current.blockage != nil { blocked[current.step, default: 0] += 1 }
        }
        let steps = flow.steps.map { step -> Step in
            let values = (dwell[step.id] ?? []).sorted()
            func percentile(_ p: Double) -> Double? { values.isEmpty ? nil : values[min(values.count - 1, Int(Double(values.count) * p))] }
            return Step(step: step.id, name: step.name, customers: values.count, stuck: stuck[step.id] ?? 0, blocked: blocked[step.id] ?? 0,
                        slaHours: step.slaMilliseconds.map { Double($0) / 3_600_000 }, dwellHoursP50: percentile(0.5), dwellHoursP90: percentile(0.9), dwellHoursMax: values.last)
        }
        return FlowSummary(flow: flow.id, name: flow.name, at: now.rfc3339UTC, steps: steps, violations: violations)
    }
}
