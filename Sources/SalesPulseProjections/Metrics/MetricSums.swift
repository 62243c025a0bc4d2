import SalesPulseModel

/// Additive sums behind the process metrics, so partial results from partitions and instances
/// merge exactly (`+`). Ratios are computed from the sums, never averaged.
public struct MetricSums: Sendable, Hashable, Codable {
    /// Mandatory actions done at exited steps, and required there (compliance rate).
    public var mandatoryDone = 0
    public var mandatoryRequired = 0
    /// Key fields updated within the horizon, and key fields in all (data freshness).
    public var freshKeyFields = 0
    public var keyFields = 0
    /// Ineffective action executions, and all executions (action effectiveness).
    public var ineffectiveExecutions = 0
    public var actionExecutions = 0
    /// Leads activated in time, and leads whose window has ended or that were activated.
    public var leadsActivated = 0
    public var leadsDecided = 0
    /// Won deals and their summed first-contact-to-signature time.
    public var dealsWon = 0
    public var timeToSignMillisecondsTotal: Int64 = 0
    /// Customers counted.
    public var customers = 0

    public init() {}

    /// Adds one customer's contribution as of `now`, reading the state where it lies
    /// (``ShardedMap/forEachValueAddress(inShard:_:)``), field by field: a state passed by value
    /// from a map is copied whole first, and visits iterated by value are copied each. No
    /// allocation. (For a state in hand: `withUnsafePointer(to: state) { add(customerAt: $0, …) }`.)
    public mutating func add(customerAt state: UnsafePointer<CustomerState>, configuration: ProcessConfiguration, now: EventTime) {
        customers += 1
        state.pointee.flows.entries.withUnsafeBufferPointer { flows in
            for flow in flows.indices {
                flows[flow].value.history.withUnsafeBufferPointer { history in
                    for visit in history.indices {
                        mandatoryRequired += history[visit].required.count
                        mandatoryDone += StepVisit.doneCount(required: history[visit].required, completed: history[visit].completed)
                    }
                }
            }
        }
        let fields = state.pointee.fields
        fields.entries.withUnsafeBufferPointer { entries in
            for field in configuration.freshness.keyFields {
                keyFields += 1
                guard let index = fields.index(forKey: field) else { continue }
                if now.epochMilliseconds - entries[index].value.updatedAt.epochMilliseconds <= configuration.freshness.horizonMilliseconds {
                    freshKeyFields += 1
                }
            }
        }
        ineffectiveExecutions += state.pointee.ineffectiveExecutions
        actionExecutions += state.pointee.actionExecutions
        switch state.pointee.activation {
        case .activated: leadsActivated += 1; leadsDecided += 1
        case .toBeActivated, .activatedLate: leadsDecided += 1
        case .pending(let deadline) where now > deadline: leadsDecided += 1
        default: break
        }
        if case .won(let at, _, _) = state.pointee.outcome, let start = state.pointee.firstContactAt {
            dealsWon += 1
            timeToSignMillisecondsTotal += at.epochMilliseconds - start.epochMilliseconds
        }
    }

    /// Merges partial sums.
    public static func + (lhs: MetricSums, rhs: MetricSums) -> MetricSums {
        var sum = lhs
        sum += rhs
        return sum
    }

    /// Adds partial sums in place.
    public static func += (sum: inout MetricSums, rhs: MetricSums) {
        sum.mandatoryDone += rhs.mandatoryDone
        sum.mandatoryRequired += rhs.mandatoryRequired
        sum.freshKeyFields += rhs.freshKeyFields
        sum.keyFields += rhs.keyFields
        sum.ineffectiveExecutions += rhs.ineffectiveExecutions
        sum.actionExecutions += rhs.actionExecutions
        sum.leadsActivated += rhs.leadsActivated
        sum.leadsDecided += rhs.leadsDecided
        sum.dealsWon += rhs.dealsWon
        sum.timeToSignMillisecondsTotal += rhs.timeToSignMillisecondsTotal
        sum.customers += rhs.customers
    }

    /// Compliance rate: mandatory actions done ÷ required, at steps exited (nil when none).
    public var complianceRate: Double? { ratio(mandatoryDone, mandatoryRequired) }
    /// Data freshness: key fields updated within the horizon ÷ key fields.
    public var freshness: Double? { ratio(freshKeyFields, keyFields) }
    /// Ineffective rate: ineffective executions ÷ all executions (seed threshold ≤ 5%).
    public var ineffectiveRate: Double? { ratio(ineffectiveExecutions, actionExecutions) }
    /// Action effectiveness: 1 − ineffective rate.
    public var effectiveness: Double? { ineffectiveRate.map { 1 - $0 } }
    /// Lead activation rate.
    public var activationRate: Double? { ratio(leadsActivated, leadsDecided) }
    /// Average first-contact-to-signature time in milliseconds.
    public var averageTimeToSignMilliseconds: Double? { dealsWon == 0 ? nil : Double(timeToSignMillisecondsTotal) / Double(dealsWon) }

    /// Process health index on 0–100: the weighted mean of compliance, freshness and
    /// effectiveness. A component with no data yet is left out and the remaining weights are
    /// renormalised; nil when no component has data.
    public func processHealthIndex(weights: HealthWeights) -> Double? {
        var total = 0.0
        var weight = 0.0
        for (value, w) in [(complianceRate, weights.compliance), (freshness, weights.freshness), (effectiveness, weights.effectiveness)] {
            guard let value, w > 0 else { continue }
            total += value * w
            weight += w
        }
        return weight == 0 ? nil : 100 * total / weight
    }

    private func ratio(_ numerator: Int, _ denominator: Int) -> Double? {
        denominator == 0 ? nil : Double(numerator) / Double(denominator)
    }
}
