import SalesPulseModel

/// Evidence for time-to-sign alerts: the customers of a region waiting longest since first
/// contact without a decision, each with its recent follow-up history.
public enum WaitingCustomers {
    /// The `count` undecided customers of `region` first contacted by `now` with the longest
    /// wait at `now` (ties by id), each described in one line: wait, where they stand, and
    /// their latest steps. Rule evaluation passes the time the alert began, so a customer
    /// contacted after it is not listed, however late the rule runs.
    public static func longest(_ count: Int, region: String, among customers: some Sequence<CustomerState>, now: EventTime) -> [String] {
        let waiting = customers.filter { $0.region == region && $0.outcome == nil && $0.firstContactAt.map { $0 <= now } == true }
            .map { (state: $0, wait: now.epochMilliseconds - $0.firstContactAt!.epochMilliseconds) }
            .sorted { ($1.wait, $0.state.customer) < ($0.wait, $1.state.customer) }
            .prefix(count)
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
