import SalesPulseModel

/// What a fold step produced besides the new state: facts for the live stream and outputs.
public enum FlowOutput: Sendable, Hashable {
    /// The customer moved from one step to another (`from` nil on the first step).
    case stepChanged(customer: String, flow: String, from: String?, to: String, at: EventTime)
    /// The flow advanced with mandatory actions missing at the step left.
    case complianceViolation(customer: String, flow: String, step: String, missing: [String], at: EventTime, rep: String?)
    /// Evidence did not satisfy an action's requirement.
    case evidenceRejected(customer: String, flow: String, step: String, action: String, reasons: [String], at: EventTime)
    /// An action was repeated without the flow advancing (the Nth time, N ≥ threshold).
    case ineffectiveAction(customer: String, action: String, count: Int, at: EventTime, rep: String?)
    /// An action was reported for a step the customer is not at, or is not in the step's checklist.
    case misplacedAction(customer: String, flow: String, step: String, action: String, at: EventTime, reason: Misplacement)
    /// An event named a flow the configuration does not know.
    case unknownFlow(customer: String, flow: String, at: EventTime)
    /// An alert fired or resolved.
    case alert(Alert)
}

/// Why an action was misplaced. A value, not a sentence: nothing on the fold's path reads it,
/// and a sentence interpolated for every such event was most of the cost of folding one
/// (BENCHMARKS.md, session 26). ``FlowOutput/detail`` words it.
public enum Misplacement: Sendable, Hashable {
    /// The customer has not entered the action's flow.
    case flowNotEntered
    /// The step has no such action in the flow.
    case unknownAction
    /// The customer is at another step of the flow (nil: at none).
    case atAnotherStep(String?)
}

extension FlowOutput {
    /// For a misplaced action, why, in words (nil for other outputs).
    public var detail: String? {
        guard case .misplacedAction(_, let flow, let step, let action, _, let reason) = self else { return nil }
        switch reason {
        case .flowNotEntered: return "the customer has not entered flow \(flow)"
        case .unknownAction: return "step \(step) has no action \(action) in flow \(flow)"
        case .atAnotherStep(let current): return "the customer is at \(current ?? "no step"), not \(step)"
        }
    }
}

extension FlowOutput {
    /// A total order for outputs produced together (customer, then kind, then alert id).
    var orderingKey: String {
        switch self {
        case .alert(let alert): "\(alert.customer)|alert|\(alert.state.rawValue)|\(alert.id)"
        case .stepChanged(let customer, let flow, _, let to, _): "\(customer)|step|\(flow)|\(to)"
        case .complianceViolation(let customer, let flow, let step, _, _, _): "\(customer)|violation|\(flow)|\(step)"
        case .evidenceRejected(let customer, let flow, let step, let action, _, _): "\(customer)|evidence|\(flow)|\(step)|\(action)"
        case .ineffectiveAction(let customer, let action, let count, _, _): "\(customer)|ineffective|\(action)|\(count)"
        case .misplacedAction(let customer, let flow, let step, let action, _, _): "\(customer)|misplaced|\(flow)|\(step)|\(action)"
        case .unknownFlow(let customer, let flow, _): "\(customer)|unknown-flow|\(flow)"
        }
    }
}

extension Array where Element == FlowOutput {
    /// The outputs in the order of their ``FlowOutput/orderingKey`` (outputs with equal keys
    /// keep their order). Each key is built once, not at every comparison: a sort of n outputs
    /// compares about n log n times, and a key is a string interpolated from several fields.
    func sortedByOrderingKey() -> [FlowOutput] {
        guard count > 1 else { return self }
        let keys = map { $0.orderingKey }
        let order = indices.sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
        return order.map { self[$0] }
    }

    /// Appends `more`. Into an empty array it takes `more` itself instead of copying it (the
    /// fold's first outputs of an event: one allocation less per such event).
    @inlinable
    public mutating func append(taking more: [FlowOutput]) {
        if isEmpty { self = more } else if !more.isEmpty { self += more }
    }
}
