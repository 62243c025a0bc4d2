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

    /// The summary of `flow` as of `now` over the customers `forEachCustomer` visits (see
    /// ``ProjectionQueries/forEachCustomerAddress(_:)``), each read where it lies.
    static func make(flow: FlowDefinition, now: EventTime, forEachCustomer: ((UnsafePointer<CustomerState>) -> Void) -> Void) -> FlowSummary {
        var tally = Tally(flow: flow, now: now)
        forEachCustomer { tally.add(customerAt: $0) }
        return tally.summary()
    }

    /// Customers per step of one flow, added one at a time: current dwell times, stuck and
    /// blocked counts by step position, and violations.
    struct Tally {
        let flow: FlowDefinition
        let now: EventTime
        private var dwellHours: [[Double]]
        private var stuck: [Int]
        private var blocked: [Int]
        private var violations = 0

        init(flow: FlowDefinition, now: EventTime) {
            self.flow = flow
            self.now = now
            dwellHours = Array(repeating: [], count: flow.steps.count)
            stuck = Array(repeating: 0, count: flow.steps.count)
            blocked = Array(repeating: 0, count: flow.steps.count)
        }

        /// Adds a customer, reading only its state in this flow (a customer without one adds
        /// nothing; a current step the flow no longer has counts only its violations).
        mutating func add(customerAt state: UnsafePointer<CustomerState>) {
            _ = state.pointee.flows.withValue(forKey: flow.id) { flowState in
                violations += flowState.violationCount
                guard let step = flowState.current?.step, let enteredAt = flowState.current?.enteredAt,
                      let position = flow.position(of: step) else { return }
                let dwell = now.epochMilliseconds - enteredAt.epochMilliseconds
                dwellHours[position].append(Double(dwell) / 3_600_000)
                if let sla = flow.steps[position].slaMilliseconds, dwell > sla { stuck[position] += 1 }
                if flowState.current?.blockage != nil { blocked[position] += 1 }
            }
        }

        /// The summary: per step, customers, stuck, blocked, SLA and dwell p50, p90 and max.
        func summary() -> FlowSummary {
            let steps = flow.steps.indices.map { position -> Step in
                let step = flow.steps[position]
                let values = dwellHours[position].sorted()
                func percentile(_ p: Double) -> Double? { values.isEmpty ? nil : values[min(values.count - 1, Int(Double(values.count) * p))] }
                return Step(step: step.id, name: step.name, customers: values.count, stuck: stuck[position], blocked: blocked[position],
                            slaHours: step.slaMilliseconds.map { Double($0) / 3_600_000 }, dwellHoursP50: percentile(0.5), dwellHoursP90: percentile(0.9), dwellHoursMax: values.last)
            }
            return FlowSummary(flow: flow.id, name: flow.name, at: now.rfc3339UTC, steps: steps, violations: violations)
        }
    }
}
