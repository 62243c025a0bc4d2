import Foundation
import Testing
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// Alerts on the alerts topic: the JSON written directly must be byte for byte what the
/// Foundation version wrote (consumers and replays see the same records as before).
@Suite struct AlertEventTests {
    /// The Foundation serialisation `AlertEvent.json` replaced, kept as the reference.
    static func reference(_ alert: Alert) -> [UInt8] {
        var object: [String: Any] = [
            "specversion": "1.0", "id": "\(alert.id).\(alert.state.rawValue)", "source": "salespulse",
            "type": "salespulse.alert.\(alert.state.rawValue)", "time": (alert.resolvedAt ?? alert.since).rfc3339UTC,
            "subject": alert.customer, "datacontenttype": "application/json",
        ]
        var data: [String: Any] = [
            "alertId": alert.id, "rule": alert.rule, "customer": alert.customer,
            "since": alert.since.rfc3339UTC, "reason": alert.reason, "state": alert.state.rawValue,
        ]
        for (key, value) in [("rep", alert.rep), ("supervisor", alert.supervisor), ("director", alert.director), ("region", alert.region), ("flow", alert.flow), ("step", alert.step)] {
            if let value { data[key] = value }
        }
        if let resolvedAt = alert.resolvedAt { data["resolvedAt"] = resolvedAt.rfc3339UTC }
        if !alert.departments.isEmpty { data["departments"] = alert.departments }
        data["severity"] = alert.severity ?? "warning"
        if let evidence = alert.evidence { data["evidence"] = evidence }
        object["data"] = data
        return Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    static var alerts: [Alert] {
        let since = EventTime(epochMilliseconds: 1_772_413_200_000)
        let bare = Alert(rule: "lead-activation", customer: "cust-1", rep: nil, organisation: Organisation(), region: nil, since: since, reason: "missing \"need\" \\ budget")
        var full = Alert(rule: "step-sla", customer: "cust-2/东", rep: "rep-7", organisation: Organisation(), region: "east", flow: "academic", step: "dept_visit", since: since, reason: "at dept_visit for more than 72h; blocked: 价格\n")
        full.supervisor = "sup-1"
        full.director = "dir-1"
        full.departments = ["orthopaedics", "it/ops"]
        full.severity = "critical"
        full.evidence = ["photo", "gps"]
        var resolved = full
        resolved.state = .resolved
        resolved.resolvedAt = since.adding(milliseconds: 3_600_000)
        resolved.evidence = []
        return [bare, full, resolved]
    }

    @Test func theJSONIsWhatFoundationWrote() {
        for alert in Self.alerts {
            #expect(AlertEvent.json(alert) == Self.reference(alert), "\(alert.rule) \(alert.state)")
        }
    }

    @Test func theJSONParsesAndCarriesTheDeterministicID() throws {
        for alert in Self.alerts {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(AlertEvent.json(alert))) as? [String: Any])
            #expect(object["id"] as? String == "\(alert.id).\(alert.state.rawValue)")
            #expect((object["data"] as? [String: Any])?["reason"] as? String == alert.reason)
        }
    }

    @Test func aBatchsRecordsAreItsAlertsInOrderKeyedByCustomer() {
        let alerts = Self.alerts
        let outputs: [FlowOutput] = [
            .unknownFlow(customer: "cust-9", flow: "x", at: alerts[0].since), .alert(alerts[0]),
            .stepChanged(customer: "cust-2", flow: "academic", from: nil, to: "dept_visit", at: alerts[0].since),
            .alert(alerts[1]), .alert(alerts[2]),
        ]
        let records = AlertEvent.records(outputs)
        #expect(records.topic == AlertEvent.topic)
        #expect(records.count == 3)
        for (index, alert) in alerts.enumerated() {
            #expect(Array(records[index].key) == Array(alert.customer.utf8))
            // Written back to back, each value is still what Foundation wrote for that alert.
            #expect(Array(records[index].value) == Self.reference(alert), "\(alert.rule) \(alert.state)")
        }
        #expect(AlertEvent.records([.unknownFlow(customer: "c", flow: "f", at: alerts[0].since)]).isEmpty)
    }

    /// The runtime reuses one batch per fold thread: emptied, it writes what a new one would.
    @Test func aReusedBatchWritesWhatANewOneWrites() {
        let alerts = Self.alerts
        var reused = AlertEvent.records(alerts.map { .alert($0) })
        reused.removeAll(keepingCapacity: true)
        #expect(reused.isEmpty && reused.bytes.isEmpty)
        let later: [FlowOutput] = [.alert(alerts[2]), .unknownFlow(customer: "c", flow: "f", at: alerts[0].since), .alert(alerts[0])]
        AlertEvent.append(later, to: &reused)
        let fresh = AlertEvent.records(later)
        #expect(reused.count == 2 && reused.bytes == fresh.bytes)
        for index in 0..<2 {
            #expect(Array(reused[index].key) == Array(fresh[index].key) && Array(reused[index].value) == Array(fresh[index].value))
        }
        // Appended after the records already there, which stay as they were.
        AlertEvent.append([.alert(alerts[1])], to: &reused)
        #expect(reused.count == 3)
        #expect(Array(reused[1].value) == Self.reference(alerts[0]) && Array(reused[2].value) == Self.reference(alerts[1]))
    }

    @Test(arguments: [Int64(1_772_413_200_123), 0, -1, -86_400_001, 253_402_300_799_999, 253_402_300_800_000, 4_102_444_800_000_000])
    func aTimeWrittenIntoBytesIsItsText(millis: Int64) {
        let time = EventTime(epochMilliseconds: millis)
        var bytes = Array("prefix".utf8)
        time.appendRFC3339UTC(to: &bytes)
        #expect(bytes == Array("prefix\(time.rfc3339UTC)".utf8))
    }
}
