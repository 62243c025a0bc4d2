import Foundation
import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// ``Alert/digits``: the id's digits an alert keeps beside its id, which timers compare with
/// the ids of the alerts that hold. However an alert is made — built, its id set, decoded from
/// JSON or read from a checkpoint — they are its id's.
@Suite struct AlertDigitsTests {
    static let since = EventTime(epochMilliseconds: 1_772_413_200_000)

    static func alert(customer: String = "c1") -> Alert {
        Alert(rule: "step-sla", customer: customer, rep: "rep-1", organisation: Organisation(), region: "east", flow: "f", step: "s", since: since, reason: "r")
    }

    @Test func aBuiltAlertKeepsItsIDsDigits() {
        let alert = Self.alert()
        #expect(alert.digits == IdentifierDigits(alert.id))
        #expect(alert.digits != .none)
    }

    @Test func settingTheIDSetsTheDigits() {
        var alert = Self.alert()
        let other = Self.alert(customer: "c2")
        alert.id = other.id
        #expect(alert.digits == other.digits)
        alert.id = "not an id"
        #expect(alert.digits == .none)
        alert.id = Self.alert().id
        #expect(alert == Self.alert())
    }

    @Test func aDecodedAlertHasItsIDsDigitsAndTheJSONHasNoneOfThem() throws {
        var alert = Self.alert()
        alert.severity = "critical"
        let bytes = try JSONEncoder().encode(alert)
        let object = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        #expect(Set(object.keys) == ["id", "rule", "customer", "rep", "region", "departments", "flow", "step", "since", "reason", "state", "severity"])
        let decoded = try JSONDecoder().decode(Alert.self, from: bytes)
        #expect(decoded == alert)
        #expect(decoded.digits == alert.digits)
    }

    @Test func anAlertReadFromACheckpointHasItsIDsDigits() throws {
        let alert = Self.alert()
        var writer = StateWriter()
        alert.write(to: &writer)
        var reader = StateReader(writer.bytes)
        let read = try Alert(reading: &reader)
        #expect(read == alert)
        #expect(read.digits == alert.digits)
    }

    @Test func anOpenAlertDecodedFromJSONIsNotBuiltAgain() throws {
        var open: SmallMap<Alert> = [:]
        let alert = try JSONDecoder().decode(Alert.self, from: JSONEncoder().encode(Self.alert()))
        open[alert.id] = alert
        var holding = HoldingAlerts()
        let mustBuild = holding.mustBuild(Alert.identifierHash(rule: "step-sla", customer: "c1", flow: "f", step: "s", since: Self.since), open: open)
        #expect(!mustBuild)
        #expect(holding.contains(alert.digits))
    }
}
