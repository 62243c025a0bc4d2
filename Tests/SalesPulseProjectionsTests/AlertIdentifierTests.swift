import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// Alert ids are in checkpoints and on the alerts topic: they must never change between
/// versions, however they are computed.
@Suite struct AlertIdentifierTests {
    static let since = EventTime(epochMilliseconds: 1_772_413_200_000)

    @Test func anIDIsTheHashOfRuleKeyAndSince() {
        // FNV-1a 64 of "step-sla|cust-1/academic/review|1772413200000", worked out independently.
        #expect(Alert.identifier(rule: "step-sla", key: "cust-1/academic/review", since: Self.since) == "b5a86d86e36b3ed3")
    }

    @Test(arguments: [("cust-1", "academic", "review"), ("cust-1", nil, nil), ("客户-9", "lead_pipeline", nil), ("c", nil, "s")] as [(String, String?, String?)])
    func aCustomersIDIsThatOfItsJoinedKey(customer: String, flow: String?, step: String?) {
        for since in [Self.since, EventTime(epochMilliseconds: -1_234)] {
            let joined = Alert.identifier(rule: "inactivity:x", key: [customer, flow ?? "", step ?? ""].joined(separator: "/"), since: since)
            #expect(Alert.identifier(rule: "inactivity:x", customer: customer, flow: flow, step: step, since: since) == joined)
            let alert = Alert(rule: "inactivity:x", customer: customer, rep: nil, organisation: Organisation(), region: nil, flow: flow, step: step, since: since, reason: "r")
            #expect(alert.id == joined)
        }
    }
}
