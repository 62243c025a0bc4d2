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

    /// FNV-1a 64 of the joined key with the time in decimal, as 16 zero-padded hex digits: the
    /// definition, written plainly, against the id for times of every size and sign (Int64.min
    /// included) and hashes with leading zeros.
    @Test func idsAreTheFNVHashOfTheJoinedTextInSixteenHexDigits() {
        func reference(_ text: String) -> String {
            var value: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        var generator = SystemRandomNumberGenerator()
        var leadingZeros = 0
        let times: [Int64] = [0, 1, -1, 9, 10, Int64.max, Int64.min, 1_772_413_200_000]
        for index in 0..<2_000 {
            let millis = index < times.count ? times[index] : Int64.random(in: Int64.min...Int64.max, using: &generator) >> Int64.random(in: 0..<63, using: &generator)
            let key = "cust-\(index)/客户/\(Int.random(in: 0..<1_000, using: &generator))"
            let id = Alert.identifier(rule: "step-sla", key: key, since: EventTime(epochMilliseconds: millis))
            #expect(id == reference("step-sla|\(key)|\(millis)"), "key \(key), since \(millis)")
            if id.hasPrefix("0") { leadingZeros += 1 }
        }
        #expect(leadingZeros > 0, "some ids start with a zero digit (1 in 16 on average)")
    }
}
