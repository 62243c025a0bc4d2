import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// The timer service: only due customers are visited, results do not depend on how often or
/// in what steps the watermark advances, and the queue stays small however often deadlines move.
@Suite struct FlowTimerTests {
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

    /// More due customers than `advance` takes from the heap at a time, each with timers of
    /// two kinds, so that firing one schedules the next within the same advance: the same
    /// state and alerts as advancing an hour at a time.
    @Test func advancingOverManyBatchesOfDueTimersGivesTheSameStateAndAlerts() {
        let customers = 3 * FlowProjection.timerBatch + 17
        var events: [SalesEvent] = []
        for index in 0..<customers {
            let at = Double(index % 50) / 10
            events.append(F.event(.leadCreated(channel: "wechat", contactMode: "visit"), customer: "c\(index)", at: at))
            events.append(F.enter("academic", "visit", "c\(index)", at: at))
        }
        var whole = FlowProjection(configuration: F.configuration)
        var stepped = FlowProjection(configuration: F.configuration)
        for event in events {
            whole.apply(event)
            stepped.apply(event)
        }
        let wholeAlerts = F.alerts(whole.advance(to: F.at(200)))
        var steppedAlerts: [Alert] = []
        for hour in 1...200 { steppedAlerts += F.alerts(stepped.advance(to: F.at(Double(hour)))) }
        #expect(stepped == whole)
        #expect(Set(steppedAlerts) == Set(wholeAlerts))
        #expect(wholeAlerts.count == 2 * customers, "each customer's activation and step alerts")
        #expect(whole.queuedTimers == stepped.queuedTimers)
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

    /// The heap pops only entries due by `now`, earliest first, ties by customer, each once.
    @Test func theDueHeapPopsDueEntriesInOrder() {
        var heap = DueHeap()
        for (customer, due) in [("b", 30), ("a", 30), ("c", 10), ("d", 50), ("a", 20), ("e", 40)] { heap.push(customer, at: Int64(due)) }
        #expect(heap.count == 6)
        var popped: [String] = []
        while let (customer, due) = heap.popDue(atOrBefore: 30) { popped.append("\(customer)@\(due)") }
        #expect(popped == ["c@10", "a@20", "a@30", "b@30"])
        #expect(heap.count == 2)
        #expect(heap.popDue(atOrBefore: 39) == nil)
        #expect(heap.popDue(atOrBefore: 100).map { "\($0.customer)@\($0.due)" } == "e@40")
    }

    /// A customer's deadline moving earlier and later between ticks: each tick finds what a
    /// projection folding the same events without ticks finds at the end, and stale entries
    /// (a due time the customer no longer notes) are skipped.
    @Test func staleEntriesAreSkippedWhenDeadlinesMoveBothWays() {
        var ticked = FlowProjection(configuration: F.configuration)
        var whole = FlowProjection(configuration: F.configuration)
        var tickedAlerts: [Alert] = []
        var wholeAlerts: [Alert] = []
        let events = [
            F.enter("pipeline", "need_confirmation", "moving", at: 0),       // inactivity due at 72 h
            F.event(.messageSent(channel: "wechat"), customer: "moving", at: 10), // later: 82 h
            F.enter("academic", "visit", "moving", at: 11),                   // the visit's SLA, maybe earlier
            F.event(.messageSent(channel: "wechat"), customer: "moving", at: 30), // later again
            F.enter("pipeline", "proposal", "moving", at: 31),                // no inactivity rule there
        ]
        for (index, event) in events.enumerated() {
            tickedAlerts += F.alerts(ticked.apply(event))
            wholeAlerts += F.alerts(whole.apply(event))
            tickedAlerts += F.alerts(ticked.advance(to: F.at(Double(index) * 7)))
        }
        tickedAlerts += F.alerts(ticked.advance(to: F.at(400)))
        wholeAlerts += F.alerts(whole.advance(to: F.at(400)))
        #expect(ticked == whole)
        #expect(Set(tickedAlerts) == Set(wholeAlerts))
        #expect(!wholeAlerts.isEmpty)
        #expect(ticked.queuedTimers <= 1, "every entry popped by the last tick, at most one re-armed")
    }

    /// A deadline earlier than the customer's queued one is queued at once: the tick after it
    /// fires its alert, not the tick after the later one.
    @Test func anEarlierDeadlineIsQueuedWhileALaterOneIsPending() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.enter("pipeline", "need_confirmation", "m", at: 0))                            // inactivity: after 72 h
        projection.apply(F.event(.leadCreated(channel: "wechat", contactMode: "visit"), customer: "m", at: 5)) // activation: by 29 h
        #expect(F.alerts(projection.advance(to: F.at(29))).isEmpty)
        #expect(F.alerts(projection.advance(to: F.at(30))).map(\.rule) == ["lead-activation"])
        #expect(F.alerts(projection.advance(to: F.at(72))).isEmpty)
        #expect(F.alerts(projection.advance(to: F.at(73))).map(\.rule) == ["inactivity:silent"])
    }
}
