import Foundation
import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// Absence rules kept per rule and customer: re-arming moves the deadline, an answer resolves,
/// and a projection restored from its encoded form mid-way fires exactly like the original.
@Suite struct AbsenceRuleTests {
    static let configuration: ProcessConfiguration = {
        var configuration = ProcessConfiguration(flows: [])
        configuration.absenceRules = [
            AbsenceRule(id: "silent", after: [.messageSent], expect: [.messageSent, .visitCheckedIn], withinMilliseconds: 10_000),
            AbsenceRule(id: "no-visit", after: [.messageSent], expect: [.visitCheckedIn], withinMilliseconds: 20_000),
        ]
        return configuration
    }()

    static func event(_ type: SalesEventType, _ customer: String, at millis: Int64) -> SalesEvent {
        let payload: EventPayload = type == .messageSent ? .messageSent(channel: "wechat") : .visitCheckedIn(location: nil)
        return SalesEvent(id: "\(customer)-\(millis)", type: type, source: "test", time: EventTime(epochMilliseconds: millis), subject: customer, rep: "rep-1", payload: payload)
    }

    static func fired(_ changes: [FlowOutput]) -> [String] {
        changes.compactMap { output in
            guard case .alert(let alert) = output else { return nil }
            return "\(alert.rule) \(alert.customer) \(alert.state)"
        }
    }

    @Test func reArmingMovesTheDeadlineAndARestoredProjectionFiresTheSame() throws {
        var rules = KeyedRuleProjection()
        for event in [Self.event(.messageSent, "a", at: 0), Self.event(.messageSent, "b", at: 0), Self.event(.messageSent, "a", at: 5_000)] {
            #expect(rules.apply(event, outputs: [], configuration: Self.configuration).isEmpty)
        }
        let restored = try JSONDecoder().decode(KeyedRuleProjection.self, from: JSONEncoder().encode(rules))
        #expect(restored == rules)
        #expect(rules.pending["silent"]?.keys.sorted() == ["a", "b"])

        for projection in [rules, restored] {
            var projection = projection
            #expect(Self.fired(projection.advance(to: EventTime(epochMilliseconds: 10_000), configuration: Self.configuration)).isEmpty, "exactly at the deadline: in time")
            #expect(Self.fired(projection.advance(to: EventTime(epochMilliseconds: 10_001), configuration: Self.configuration)) == ["absence:silent b fired"])
            #expect(Self.fired(projection.advance(to: EventTime(epochMilliseconds: 15_001), configuration: Self.configuration)) == ["absence:silent a fired"])
            #expect(Self.fired(projection.advance(to: EventTime(epochMilliseconds: 20_001), configuration: Self.configuration)) == ["absence:no-visit a fired", "absence:no-visit b fired"], "a's second message is no answer to no-visit: its first trigger counts")
            // A visit answers both rules for a: both open alerts resolve.
            #expect(Self.fired(projection.apply(Self.event(.visitCheckedIn, "a", at: 21_000), outputs: [], configuration: Self.configuration)) == ["absence:silent a resolved", "absence:no-visit a resolved"])
            #expect(projection.pending["silent"]?["a"] == nil && projection.pending["no-visit"]?["a"] == nil)
            #expect(Self.fired(projection.advance(to: EventTime(epochMilliseconds: 100_000), configuration: Self.configuration)).isEmpty)
            #expect(projection.openAlerts.map(\.customer).sorted() == ["b", "b"])
        }
    }

    /// A re-arming event replaces what the pending entry says: its time, deadline, rep and
    /// region — also after an alert fired, which it resolves before arming afresh. The entry
    /// then equals one armed by that event alone.
    @Test func reArmingTakesTheLatestTriggersRepAndRegionAndClearsAFiredAlert() {
        func message(_ customer: String, at millis: Int64, rep: String, region: String) -> SalesEvent {
            SalesEvent(id: "\(customer)-\(millis)", type: .messageSent, source: "test", time: EventTime(epochMilliseconds: millis), subject: customer, rep: rep, region: region, payload: .messageSent(channel: "wechat"))
        }
        var rules = KeyedRuleProjection()
        _ = rules.apply(message("a", at: 0, rep: "rep-1", region: "east"), outputs: [], configuration: Self.configuration)
        _ = rules.apply(message("a", at: 5_000, rep: "rep-2", region: "north"), outputs: [], configuration: Self.configuration)
        var fired = rules.advance(to: EventTime(epochMilliseconds: 15_001), configuration: Self.configuration)
        let alerts = fired.compactMap { output -> Alert? in if case .alert(let alert) = output { alert } else { nil } }
        #expect(alerts.map(\.rule) == ["absence:silent"])
        #expect(alerts.first?.rep == "rep-2")
        #expect(alerts.first?.region == "north")
        // The next message answers the fired alert and arms the rule again, alert cleared.
        fired = rules.apply(message("a", at: 16_000, rep: "rep-3", region: "south"), outputs: [], configuration: Self.configuration)
        #expect(Self.fired(fired) == ["absence:silent a resolved"], "no-visit is not answered by a message, nor re-armed")
        var fresh = KeyedRuleProjection()
        _ = fresh.apply(message("a", at: 16_000, rep: "rep-3", region: "south"), outputs: [], configuration: Self.configuration)
        #expect(rules.pending["silent"]?["a"] == fresh.pending["silent"]?["a"])
        #expect(rules.pending["silent"]?["a"]?.alert == nil)
        // Due: silent from the re-arm at 16 s, and no-visit still from the first message.
        #expect(Self.fired(rules.advance(to: EventTime(epochMilliseconds: 26_001), configuration: Self.configuration)).sorted() == ["absence:no-visit a fired", "absence:silent a fired"])
    }

    /// An answer with nothing pending leaves no empty entry behind (states compare equal to a
    /// projection that never saw it, as after a restart).
    /// "Silent" triggers and is answered by a message, so the latest message starts the wait
    /// whatever order messages arrive in; "no-visit" is not answered by a message, so the
    /// earliest unanswered one does.
    @Test func aLateEarlierTriggerMovesTheWaitBackOnlyWhenNothingAnsweredIt() {
        for order in [[1_000, 5_000], [5_000, 1_000]] {
            var rules = KeyedRuleProjection()
            for millis in order { _ = rules.apply(Self.event(.messageSent, "a", at: Int64(millis)), outputs: [], configuration: Self.configuration) }
            #expect(rules.pending["silent"]?["a"]?.since == EventTime(epochMilliseconds: 5_000), "delivered as \(order)")
            #expect(rules.pending["no-visit"]?["a"]?.since == EventTime(epochMilliseconds: 1_000), "delivered as \(order)")
        }
    }

    @Test func answersWithNothingPendingLeaveNoTrace() {
        var rules = KeyedRuleProjection()
        _ = rules.apply(Self.event(.visitCheckedIn, "a", at: 0), outputs: [], configuration: Self.configuration)
        #expect(rules == KeyedRuleProjection())
        _ = rules.apply(Self.event(.messageSent, "a", at: 1), outputs: [], configuration: Self.configuration)
        _ = rules.apply(Self.event(.visitCheckedIn, "a", at: 2), outputs: [], configuration: Self.configuration)
        #expect(rules.pending.isEmpty)
        #expect(rules == KeyedRuleProjection())
    }

    /// An answer that comes after the deadline, with no tick in between, still finds the alert
    /// fired (and resolves it): the same alerts as when a tick ran first, whatever the batching.
    @Test func anAnswerAfterTheDeadlineFiresThenResolvesWithOrWithoutATickBetween() {
        let events = [Self.event(.messageSent, "a", at: 0), Self.event(.visitCheckedIn, "a", at: 25_000)]
        var withTick = KeyedRuleProjection()
        var tickChanges = withTick.apply(events[0], outputs: [], configuration: Self.configuration)
        tickChanges += withTick.advance(to: EventTime(epochMilliseconds: 24_000), configuration: Self.configuration)
        tickChanges += withTick.apply(events[1], outputs: [], configuration: Self.configuration)
        var withoutTick = KeyedRuleProjection()
        var changes = withoutTick.apply(events[0], outputs: [], configuration: Self.configuration)
        changes += withoutTick.apply(events[1], outputs: [], configuration: Self.configuration)
        #expect(Self.fired(changes) == ["absence:silent a fired", "absence:silent a resolved", "absence:no-visit a fired", "absence:no-visit a resolved"])
        // The same alerts, field for field (the order differs: a tick emits what it fires sorted).
        let key = { (output: FlowOutput) in output.orderingKey }
        #expect(changes.sorted { key($0) < key($1) } == tickChanges.sorted { key($0) < key($1) })
        #expect(withoutTick == withTick)
        #expect(withoutTick.openAlerts.isEmpty)
        // Later ticks find nothing left to fire.
        #expect(withoutTick.advance(to: EventTime(epochMilliseconds: 100_000), configuration: Self.configuration).isEmpty)
    }

    /// A customer re-armed by many triggers holds one live timer: later deadlines wait for the
    /// queued one, which fires nothing, then re-arms at the latest deadline.
    @Test func aDeadlineMovedByManyTriggersHoldsOneTimer() {
        var rules = KeyedRuleProjection()
        for millis in stride(from: Int64(0), through: 5_000, by: 10) {
            _ = rules.apply(Self.event(.messageSent, "busy", at: millis), outputs: [], configuration: Self.configuration)
        }
        #expect(rules.queuedTimers == 2, "one per rule")
        #expect(Self.fired(rules.advance(to: EventTime(epochMilliseconds: 10_001), configuration: Self.configuration)).isEmpty, "the first deadline moved on")
        #expect(rules.queuedTimers == 2, "re-armed at the latest deadline")
        #expect(Self.fired(rules.advance(to: EventTime(epochMilliseconds: 15_000), configuration: Self.configuration)).isEmpty)
        #expect(Self.fired(rules.advance(to: EventTime(epochMilliseconds: 15_001), configuration: Self.configuration)) == ["absence:silent busy fired"])
        #expect(Self.fired(rules.advance(to: EventTime(epochMilliseconds: 20_001), configuration: Self.configuration)) == ["absence:no-visit busy fired"], "no-visit counts from its first trigger")
        #expect(rules.queuedTimers == 0)
    }

    /// An entry whose alert fires in the fold of an answering trigger (no tick came between)
    /// re-arms without a new timer: its queued one, now early, wakes it and moves on.
    @Test func anEntryFiredAndReArmedInAFoldKeepsItsQueuedTimer() {
        var rules = KeyedRuleProjection()
        _ = rules.apply(Self.event(.messageSent, "a", at: 0), outputs: [], configuration: Self.configuration)
        #expect(Self.fired(rules.apply(Self.event(.messageSent, "a", at: 12_000), outputs: [], configuration: Self.configuration)) == ["absence:silent a fired", "absence:silent a resolved"])
        #expect(rules.queuedTimers == 2, "one per rule: the silent rule's first timer is still live")
        #expect(Self.fired(rules.advance(to: EventTime(epochMilliseconds: 20_001), configuration: Self.configuration)) == ["absence:no-visit a fired"])
        #expect(Self.fired(rules.advance(to: EventTime(epochMilliseconds: 22_000), configuration: Self.configuration)).isEmpty)
        #expect(Self.fired(rules.advance(to: EventTime(epochMilliseconds: 22_001), configuration: Self.configuration)) == ["absence:silent a fired"])
    }

    /// An entry answered and armed again later: the timer of the answered one is stale and fires
    /// nothing; the new entry fires at its own deadline, ticks or no ticks between.
    @Test(arguments: [false, true])
    func aTimerOfAnAnsweredEntryIsStale(ticking: Bool) {
        var rules = KeyedRuleProjection()
        var fired: [String] = []
        let events = [Self.event(.messageSent, "a", at: 0), Self.event(.visitCheckedIn, "a", at: 1_000), Self.event(.messageSent, "a", at: 2_000)]
        for event in events {
            fired += Self.fired(rules.apply(event, outputs: [], configuration: Self.configuration))
            if ticking { fired += Self.fired(rules.advance(to: event.time, configuration: Self.configuration)) }
        }
        fired += Self.fired(rules.advance(to: EventTime(epochMilliseconds: 10_001), configuration: Self.configuration))
        #expect(fired.isEmpty, "the first message was answered; the second is within time")
        #expect(Self.fired(rules.advance(to: EventTime(epochMilliseconds: 12_001), configuration: Self.configuration)) == ["absence:silent a fired"])
        #expect(Self.fired(rules.advance(to: EventTime(epochMilliseconds: 22_001), configuration: Self.configuration)) == ["absence:no-visit a fired"])
    }
}
