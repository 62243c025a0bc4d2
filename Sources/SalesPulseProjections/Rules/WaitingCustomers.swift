import SalesPulseModel

/// Evidence for time-to-sign alerts: the customers of a region waiting longest since first
/// contact without a decision, each with its recent follow-up history.
public enum WaitingCustomers {
    /// The `count` undecided customers of `region` first contacted by `now` with the longest
    /// wait at `now` (ties by id), each described in one line: wait, where they stand, and
    /// their latest steps. Rule evaluation passes the time the alert began, so a customer
    /// contacted after it is not listed, however late the rule runs.
    /// ``longest(_:region:among:now:)`` among the customers of `projections`. Specialised here,
    /// in the module that owns the types: called from the runtime with a lazily flattened
    /// sequence, the generic entry stepped through it with runtime metadata lookups per customer
    /// (a third of its time).
    public static func longest(_ count: Int, region: String, amongCustomersOf projections: [FlowProjection], now: EventTime) -> [String] {
        longest(count, region: region, among: projections.lazy.flatMap { $0.customers.values }, now: now)
    }

    public static func longest(_ count: Int, region: String, among customers: some Sequence<CustomerState>, now: EventTime) -> [String] {
        // The longest waits kept in order as the customers go by (a handful of entries): the
        // whole region filtered into an array and sorted copied every customer state and sorted
        // tens of thousands of them for each alert. Same order: longer wait first, then id.
        guard count > 0 else { return [] }
        var waiting: [(state: CustomerState, wait: Int64)] = []
        func precedes(_ wait: Int64, _ customer: String, _ other: (state: CustomerState, wait: Int64)) -> Bool {
            wait != other.wait ? wait > other.wait : customer < other.state.customer
        }
        for state in customers where state.region == region && state.outcome == nil {
            guard let firstContact = state.firstContactAt, firstContact <= now else { continue }
            let wait = now.epochMilliseconds - firstContact.epochMilliseconds
            if waiting.count == count, let last = waiting.last, !precedes(wait, state.customer, last) { continue }
            let position = waiting.firstIndex { precedes(wait, state.customer, $0) } ?? waiting.count
            waiting.insert((state, wait), at: position)
            if waiting.count > count { waiting.removeLast() }
        }
        return waiting.map { entry in
            let state = entry.state
            let days = (Double(entry.wait) / 86_400_000 * 10).rounded() / 10
            var line = "\(state.customer) (rep \(state.rep ?? "-")): waiting \(FieldValue.number(days)) days since first contact"
            for (flowID, flow) in state.flows {
                let visits = (flow.history + (flow.current.map { [$0] } ?? [])).suffix(3)
                let steps = visits.map { "\($0.step) from \($0.enteredAt.rfc3339UTC)\($0.missing.isEmpty ? "" : " (missing \($0.missing.joined(separator: ", ")))")" }
                if !steps.isEmpty { line += "; \(flowID): " + steps.joined(separator: " → ") }
            }
            if let last = state.lastCommunicationAt { line += "; last contact \(last.rfc3339UTC)" }
            return line
        }
    }
}
