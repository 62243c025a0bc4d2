import SalesPulseModel

/// Evidence for time-to-sign alerts: the customers of a region waiting longest since first
/// contact without a decision, each with its recent follow-up history.
public enum WaitingCustomers {
    /// ``longest(_:region:among:now:)`` among the customers of `projections`, read in place: a
    /// customer is copied only when it enters the longest waits kept so far. Iterating the
    /// customers copied every state (a retain and release of each of its fields) for each alert,
    /// a sixth of the counter-rule work in a replay of the soak's backlog.
    public static func longest(_ count: Int, region: String, amongCustomersOf projections: [FlowProjection], now: EventTime) -> [String] {
        guard count > 0 else { return [] }
        var waiting = Longest(count: count, region: region, now: now)
        for projection in projections {
            for shard in 0..<ShardedMap<CustomerState>.shardCount {
                projection.customers.forEachValue(inShard: shard) { waiting.consider($0) }
            }
        }
        return waiting.lines
    }

    /// The `count` undecided customers of `region` first contacted by `now` with the longest
    /// wait at `now` (ties by id), each described in one line: wait, where they stand, and
    /// their latest steps. Rule evaluation passes the time the alert began, so a customer
    /// contacted after it is not listed, however late the rule runs.
    public static func longest(_ count: Int, region: String, among customers: some Sequence<CustomerState>, now: EventTime) -> [String] {
        guard count > 0 else { return [] }
        var waiting = Longest(count: count, region: region, now: now)
        for state in customers { waiting.consider(state) }
        return waiting.lines
    }

    /// The longest waits kept in order as the customers go by (a handful of entries): the
    /// whole region filtered into an array and sorted copied every customer state and sorted
    /// tens of thousands of them for each alert. Order: longer wait first, then id.
    private struct Longest {
        let count: Int
        let region: String
        let now: EventTime
        var waiting: [(state: CustomerState, wait: Int64)] = []

        init(count: Int, region: String, now: EventTime) {
            self.count = count
            self.region = region
            self.now = now
            waiting.reserveCapacity(count + 1)
        }

        func precedes(_ wait: Int64, _ customer: String, _ other: (state: CustomerState, wait: Int64)) -> Bool {
            wait != other.wait ? wait > other.wait : customer < other.state.customer
        }

        /// Keeps `state` (copied) if it is among the longest waits so far.
        mutating func consider(_ state: borrowing CustomerState) {
            guard state.region == region, state.outcome == nil, let firstContact = state.firstContactAt, firstContact <= now else { return }
            let wait = now.epochMilliseconds - firstContact.epochMilliseconds
            if waiting.count == count, let last = waiting.last, !precedes(wait, state.customer, last) { return }
            let position = waiting.firstIndex { precedes(wait, state.customer, $0) } ?? waiting.count
            waiting.insert((copy state, wait), at: position)
            if waiting.count > count { waiting.removeLast() }
        }

        var lines: [String] {
            waiting.map { entry in
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
}
