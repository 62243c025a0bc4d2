import Foundation
import Hummingbird
import Testing
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseServer

/// The live stream's history and payloads without a socket: the ring keeps the newest events in
/// order, and the JSON written directly is what `JSONEncoder` wrote before.
@Suite struct LiveEventHubTests {
    static func encoded(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    static var alerts: [Alert] {
        let since = EventTime(epochMilliseconds: 1_772_323_200_000)
        let bare = Alert(rule: "lead-activation", customer: "cust-1", rep: nil, organisation: Organisation(), region: nil, since: since, reason: "missing \"need\"")
        var full = Alert(rule: "step-sla", customer: "cust-2", rep: "rep-7", organisation: Organisation(), region: "east", flow: "delivery", step: "hospital_receipt", since: since, reason: "stuck\t72h / 价格")
        full.supervisor = "sup-1"
        full.director = "dir-1"
        full.departments = ["ortho"]
        full.severity = "critical"
        full.evidence = ["photo"]
        var resolved = full
        resolved.state = .resolved
        resolved.resolvedAt = since.adding(milliseconds: 60_000)
        return [bare, full, resolved]
    }

    @Test func alertPayloadsAreTheAlertViewsJSON() {
        for alert in Self.alerts {
            #expect(LiveEventHub.json(alert) == Self.encoded(AlertView(alert)), "\(alert.rule) \(alert.state)")
        }
    }

    /// `/v1/alerts` writes its list as the stream writes each alert: the bytes `JSONEncoder`
    /// gives the views, for no alert, one, and all of them.
    @Test func alertListsAreTheAlertViewsJSON() {
        for count in [0, 1, Self.alerts.count] {
            let alerts = Array(Self.alerts.prefix(count))
            #expect(String(buffer: AlertList.body(alerts)) == Self.encoded(alerts.map(AlertView.init)), "\(count) alerts")
        }
        #expect(Self.alerts.count >= 3)
    }

    @Test func stepChangePayloadsAreTheEncodedDictionary() {
        let at = EventTime(epochMilliseconds: 1_772_323_200_123)
        for from in [nil, "lead \"new\""] as [String?] {
            let expected = Self.encoded(["customer": "cust-1", "flow": "academic", "from": from ?? "", "to": "dept_visit", "at": at.rfc3339UTC])
            #expect(LiveEventHub.stepJSON(customer: "cust-1", flow: "academic", from: from, to: "dept_visit", at: at) == expected)
        }
    }

    @Test func theHistoryKeepsTheNewestInOrder() {
        var history = BoundedHistory<Int>(capacity: 4)
        #expect(history.elements.isEmpty)
        for value in 1...3 { history.append(value) }
        #expect(history.elements == [1, 2, 3])
        for value in 4...10 { history.append(value) }
        #expect(history.elements == [7, 8, 9, 10])
        history.append(11)
        #expect(history.elements == [8, 9, 10, 11])
    }

    @Test func resumptionReplaysOnlyTheNewestEventsAfterTheLastID() async {
        let hub = LiveEventHub(capacity: 5)
        for index in 1...12 { hub.publish(topic: "status", region: nil, data: "\(index)") }
        var received: [Int] = []
        for await event in hub.subscribe(after: 9) {
            received.append(event.id)
            if event.id == 12 { break }
        }
        #expect(received == [10, 11, 12])
        var all: [String] = []
        for await event in hub.subscribe(after: 0) {
            all.append(event.data)
            if event.id == 12 { break }
        }
        #expect(all == ["8", "9", "10", "11", "12"])
    }

    @Test func subscribersGetOnlyTheirTopicsAndAreCountedByTopic() async {
        let hub = LiveEventHub(capacity: 10)
        hub.publish(topic: "status", region: nil, data: "s1")
        hub.publish(topic: "alerts", region: nil, data: "a1")
        let statusOnly = hub.subscribe(after: 0, topics: ["status"])
        let everything = hub.subscribe(after: nil)
        #expect(hub.subscriberCount == 2)
        #expect(hub.subscriberCount(topic: "status") == 2)
        #expect(hub.subscriberCount(topic: "alerts") == 1)
        #expect(hub.subscriberCount(topic: "counters") == 1)
        hub.publish(topic: "counters", region: nil, data: "c1")
        hub.publish(topic: "status", region: nil, data: "s2")
        hub.finishAll()
        var received: [String] = []
        for await event in statusOnly { received.append(event.data) }
        // Resumption replays only the asked-for topics too.
        #expect(received == ["s1", "s2"])
        var all: [String] = []
        for await event in everything { all.append(event.data) }
        #expect(all == ["c1", "s2"])
        #expect(hub.subscriberCount(topic: "status") == 0)
    }

    @Test func resolvedAlertsAreBoundedToTheCapacity() {
        let hub = LiveEventHub(capacity: 2)
        for index in 0..<3 {
            var alert = Self.alerts[1]
            alert.customer = "cust-\(index)"
            alert.state = .resolved
            hub.publish([.alert(alert)])
        }
        #expect(hub.resolvedAlerts.map(\.customer) == ["cust-1", "cust-2"])
    }
}
