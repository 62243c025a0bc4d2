#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
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

extension FlowOutput {
    /// The customer the output concerns: the first part of its ``orderingKey``.
    var orderingCustomer: String {
        switch self {
        case .alert(let alert): alert.customer
        case .stepChanged(let customer, _, _, _, _), .complianceViolation(let customer, _, _, _, _, _), .evidenceRejected(let customer, _, _, _, _, _),
             .ineffectiveAction(let customer, _, _, _, _), .misplacedAction(let customer, _, _, _, _, _), .unknownFlow(let customer, _, _):
            customer
        }
    }
}

extension Array where Element == FlowOutput {
    /// The outputs in the order of their ``FlowOutput/orderingKey`` (outputs with equal keys
    /// keep their order).
    func sortedByOrderingKey() -> [FlowOutput] {
        var sorted = self
        sorted.sortByOrderingKey()
        return sorted
    }

    /// Puts the outputs in the order of their ``FlowOutput/orderingKey`` (outputs with equal
    /// keys keep their order), in place.
    ///
    /// A key starts with the customer, and outputs produced together are mostly of different
    /// customers: two ASCII customers that differ before either ends order their keys as they
    /// order themselves, so keys (strings interpolated from several fields) are built only for
    /// the others — the same customer, one a prefix of the other, or non-ASCII text, whose order
    /// follows `String`'s. The outputs are then moved into place by swaps, not copied: a copy
    /// retained every string of every output (alerts have a dozen), and a tick's timers fire
    /// up to a hundred thousand of them.
    mutating func sortByOrderingKey() {
        guard count > 1 else { return }
        // Every customer's UTF-8 bytes, back to back, compared where they lie.
        var bytes: [UInt8] = []
        var ends = [Int](repeating: 0, count: count)
        var ascii = [Bool](repeating: true, count: count)
        withUnsafeBufferPointer { outputs in
            for index in outputs.indices {
                let start = bytes.count
                bytes.append(contentsOf: outputs[index].orderingCustomer.utf8)
                ends[index] = bytes.count
                ascii[index] = !bytes[start...].contains { $0 >= 0x80 }
            }
        }
        var keys = [String?](repeating: nil, count: count)
        func key(_ index: Int) -> String {
            if let key = keys[index] { return key }
            let key = self[index].orderingKey
            keys[index] = key
            return key
        }
        let order = bytes.withUnsafeBufferPointer { bytes in
            indices.sorted { a, b in
                if ascii[a] && ascii[b] {
                    let (startA, startB) = (a == 0 ? 0 : ends[a - 1], b == 0 ? 0 : ends[b - 1])
                    let (lengthA, lengthB) = (ends[a] - startA, ends[b] - startB)
                    let common = Swift.min(lengthA, lengthB)
                    let difference = common == 0 ? 0 : memcmp(bytes.baseAddress! + startA, bytes.baseAddress! + startB, common)
                    if difference != 0 { return difference < 0 }
                }
                let (left, right) = (key(a), key(b))
                return left != right ? left < right : a < b
            }
        }
        // Each cycle of the permutation put in place by swaps (moves, no copies): position
        // `j` takes the output at `order[j]`.
        var placed = [Bool](repeating: false, count: count)
        for start in indices where !placed[start] {
            placed[start] = true
            var position = start
            while order[position] != start {
                let source = order[position]
                swapAt(position, source)
                placed[source] = true
                position = source
            }
        }
    }

    /// Appends `more`. Into an empty array it takes `more` itself instead of copying it (the
    /// fold's first outputs of an event: one allocation less per such event).
    @inlinable
    public mutating func append(taking more: [FlowOutput]) {
        if isEmpty { self = more } else if !more.isEmpty { self += more }
    }
}
