import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// Outputs produced together are put in the order of their ordering keys. The order is worked
/// out from the customers where they decide it and moved into place by swaps; it must be
/// exactly the order of the keys themselves (a stable sort by `orderingKey`), whatever the
/// customers: equal, one a prefix of another (`|` separates a key's parts), non-ASCII, or not
/// in normal form.
@Suite struct OutputOrderTests {
    /// The order sortByOrderingKey replaced: every key built, a stable sort by them, a copy.
    static func reference(_ outputs: [FlowOutput]) -> [FlowOutput] {
        let keys = outputs.map(\.orderingKey)
        return outputs.indices.sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }.map { outputs[$0] }
    }

    static let customers = ["ab", "ab|", "abc", "ab-", "a", "", "ab|alert", "Z", "z", "客户1", "客户", "é", "e\u{301}", "ab\u{7F}", "cust-000123", "cust-00012"]

    static func output(_ random: inout PartitioningPropertyTests.Generator) -> FlowOutput {
        let customer = customers[random.next(customers.count)]
        let at = EventTime(epochMilliseconds: 1_772_413_200_000 + Int64(random.next(1_000)))
        switch random.next(5) {
        case 0:
            var alert = Alert(rule: ["lead-activation", "step-sla"][random.next(2)], customer: customer, rep: nil, organisation: Organisation(), region: nil, since: at, reason: "r")
            if random.next(2) == 0 { alert.state = .resolved }
            return .alert(alert)
        case 1: return .stepChanged(customer: customer, flow: "academic", from: nil, to: ["dept_visit", "kol"][random.next(2)], at: at)
        case 2: return .unknownFlow(customer: customer, flow: ["x", "y|z"][random.next(2)], at: at)
        case 3: return .ineffectiveAction(customer: customer, action: "call", count: random.next(3), at: at, rep: nil)
        default: return .misplacedAction(customer: customer, flow: "academic", step: "kol", action: "call", at: at, reason: .unknownAction)
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func theOrderIsTheStableOrderOfTheKeys(_ seed: UInt64) {
        var random = PartitioningPropertyTests.Generator(state: seed)
        for size in [0, 1, 2, 3, 7, 40, 300] {
            var outputs = (0..<size).map { _ in Self.output(&random) }
            // Repeats: equal keys must keep the order they came in.
            if size > 2 { outputs += (0..<size / 3).map { _ in outputs[random.next(size)] } }
            let expected = Self.reference(outputs)
            #expect(outputs.sortedByOrderingKey() == expected, "seed \(seed), \(outputs.count) outputs")
            var inPlace = outputs
            inPlace.sortByOrderingKey()
            #expect(inPlace == expected, "seed \(seed), \(outputs.count) outputs, in place")
        }
    }

    @Test func aCustomerThatIsAPrefixOfAnotherSortsAsItsKeyDoes() {
        // "ab|…" against "abc|…" and "ab-|…": '|' sorts after letters and '-', so a customer
        // comes after those it is a prefix of, as its key says, not before as customers alone
        // would sort.
        let at = EventTime(epochMilliseconds: 0)
        let outputs: [FlowOutput] = ["ab", "abc", "ab-", "a"].map { .unknownFlow(customer: $0, flow: "f", at: at) }
        #expect(outputs.sortedByOrderingKey().map(\.orderingCustomer) == ["ab-", "abc", "ab", "a"])
    }
}
