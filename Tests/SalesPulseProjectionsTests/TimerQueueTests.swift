import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// The timer service: only due customers are visited, results do not depend on how often or
/// in what steps the watermark advances, and the queue stays small however often deadlines move.
@Suite struct TimerQueueTests {
    typealias F = Fixtures

    /// Customers at different steps, leads, and communication: timers of every kind.
    static let events: [SalesEvent] = [
        F.event(.leadCreated(channel: "wechat", contactMode: "visit"), customer: "lead-a", at: 0),
        F.event(.leadCreated(channel: "phone", contactMode: "call"), customer: "lead-b", at: 5),
        F.event(.fieldUpdated(field: "first_contact_mode", value: .string("call"), previous: .null), customer: "lead-b", at: 6),
        F.enter("academic", "visit", "stuck-1", at: 1),
        F.enter("academic", "visit", "stuck-2", at: 2),
        F.enter("academic", "review", "stuck-2", at: 50),
        F.enter("delivery", "receipt", "late-receipt", at: 3),
        F.enter("pipeline", "need_confirmation", "silent", at: 0),
        F.event(.messageSent(channel: "wechat"), customer: "silent", at: 20),
        F.event(.messageSent(channel: "wechat"), customer: "silent", at: 40),
        F.enter("academic", "sign", "done", at: 4),
    ]

    @Test(arguments: [1.0, 7.0, 24.0, 200.0])
    func advancingInAnyStepsGivesTheSameStateAndAlerts(_ stepHours: Double) {
        var whole = FlowProjection(configuration: F.configuration)
        var stepped = FlowProjection(configuration: F.configuration)
        var wholeAlerts: [Alert] = []
        var steppedAlerts: [Alert] = []
        for event in Self.events {
            wholeAlerts += F.alerts(whole.apply(event))
            steppedAlerts += F.alerts(stepped.apply(event))
        }
        wholeAlerts += F.alerts(whole.advance(to: F.at(200)))
        var hours = 0.0
        while hours < 200 {
            hours = min(200, hours + stepHours)
            steppedAlerts += F.alerts(stepped.advance(to: F.at(hours)))
        }
        #expect(stepped == whole)
        #expect(Set(steppedAlerts) == Set(wholeAlerts))
        let rules = Dictionary(grouping: wholeAlerts, by: \.customer).mapValues { $0.map(\.rule).sorted() }
        #expect(rules == [
            "lead-a": ["lead-activation"], "lead-b": ["lead-activation"],
            "stuck-1": ["step-sla"], "stuck-2": ["step-sla"], "late-receipt": ["step-sla"], "silent": ["inactivity:silent"],
        ])
        // Each customer is reconciled at the time its timer fell due, not at the tick.
        #expect(whole.customers["stuck-1"]!.reconciledAt == F.at(73).adding(milliseconds: 1))
        #expect(whole.customers["done"]!.reconciledAt == F.at(4), "no timer at the last step: never visited")
    }

    @Test func aCustomerWhoseDeadlineKeepsMovingHoldsOneLiveQueueEntry() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.enter("pipeline", "need_confirmation", "busy", at: 0))
        for message in 1...500 {
            projection.apply(F.event(.messageSent(channel: "wechat"), customer: "busy", at: Double(message) / 10))
        }
        // Later deadlines are not pushed while an earlier entry is pending.
        #expect(projection.queuedTimers == 1)
        #expect(F.alerts(projection.advance(to: F.at(50 + 72))).isEmpty, "the first entry fires, finds nothing due and re-arms")
        #expect(projection.queuedTimers == 1)
        let fired = F.alerts(projection.advance(to: F.at(50 + 73)))
        #expect(fired.map(\.rule) == ["inactivity:silent"])
        #expect(fired[0].since == F.at(50 + 72))
    }

    @Test func aRestoredProjectionRebuildsItsTimers() {
        var original = FlowProjection(configuration: F.configuration)
        for event in Self.events { original.apply(event) }
        var restored = FlowProjection(configuration: F.configuration, customers: original.customers.values)
        #expect(restored == original)
        let expected = F.alerts(original.advance(to: F.at(200)))
        #expect(F.alerts(restored.advance(to: F.at(200))) == expected)
        #expect(restored == original)
    }
}
