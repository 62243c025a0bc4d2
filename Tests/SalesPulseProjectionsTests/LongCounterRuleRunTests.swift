import Foundation
import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// Runs that outlast the retained history: a condition that holds for days keeps the first
/// second it held, however often (or rarely) the rules are evaluated, across a restart of the
/// evaluator from its encoded state, and when late inputs ask for a re-check from beyond the
/// retained history.
@Suite struct LongCounterRuleRunTests {
    typealias F = Fixtures
    static let configuration = CounterRuleTests.configuration

    /// Mentions of acme every hour for ten days by six reps in turn: from 5 h on, five distinct
    /// reps within 24 h (the rule `five_reps` holds without a break).
    static let events = (1...240).map { hour in
        CounterRuleTests.mention("acme", rep: "rep-\(hour % 6)", hours: Double(hour), id: "m\(hour)")
    }

    /// Folds events in order as the runtime does: after each one, evaluate at its time (told
    /// it changed from there), then evict what the watermark no longer needs.
    static func live(_ events: ArraySlice<SalesEvent>, into projection: inout CounterProjection, evaluator: inout CounterRuleEvaluator) {
        for event in events {
            projection.apply(event, counters: configuration.counters)
            let state = projection
            _ = evaluator.evaluate(at: event.time, configuration: configuration, changedFrom: event.time, states: { state.states[$0] ?? CounterState() })
            projection.evict(watermark: event.time, counters: configuration.counters, latenessMilliseconds: configuration.allowedLatenessMilliseconds, rules: configuration.counterRules)
        }
    }

    @Test func aRunLongerThanTheRetainedHistoryKeepsItsFirstSecond() {
        var projection = CounterProjection()
        var evaluator = CounterRuleEvaluator()
        Self.live(Self.events[...], into: &projection, evaluator: &evaluator)
        #expect(evaluator.open.values.map(\.since) == [F.at(5)], "the fifth distinct rep came at 5 h; ten days later the alert still says so")
    }

    /// A replay folds days of inputs before its first tick: evaluation steps through them.
    @Test func oneEvaluationAfterDaysOfInputsFindsTheRunWhereTickingLiveDid() {
        var ticking = CounterProjection()
        var live = CounterRuleEvaluator()
        Self.live(Self.events[...], into: &ticking, evaluator: &live)
        var folded = CounterProjection()
        for event in Self.events { folded.apply(event, counters: Self.configuration.counters) }
        var replay = CounterRuleEvaluator()
        _ = replay.evaluate(at: Self.events.last!.time, configuration: Self.configuration, changedFrom: Self.events.first!.time, states: { folded.states[$0] ?? CounterState() })
        #expect(replay.open == live.open)
        #expect(replay.open.count == 1)
    }

    /// A restart resumes from the evaluator's encoded state (it is part of the checkpoint).
    @Test func anEvaluatorRestoredFromItsEncodedStateCarriesOn() throws {
        var projection = CounterProjection()
        var uninterrupted = CounterRuleEvaluator()
        Self.live(Self.events[...], into: &projection, evaluator: &uninterrupted)
        var restartedProjection = CounterProjection()
        var before = CounterRuleEvaluator()
        Self.live(Self.events[..<100], into: &restartedProjection, evaluator: &before)
        var restored = try JSONDecoder().decode(CounterRuleEvaluator.self, from: JSONEncoder().encode(before))
        #expect(restored == before)
        Self.live(Self.events[100...], into: &restartedProjection, evaluator: &restored)
        #expect(restored.open == uninterrupted.open)
        #expect(restored.open.values.map(\.since) == [F.at(5)])
    }

    /// An input arriving days late (from a lagging partition) asks for a re-check from its time:
    /// windows that far back are partly evicted, and reading them must not end the run.
    @Test func aRecheckFromBeyondTheRetainedHistoryDoesNotEndTheRun() {
        var projection = CounterProjection()
        var evaluator = CounterRuleEvaluator()
        Self.live(Self.events[...], into: &projection, evaluator: &evaluator)
        let late = CounterRuleTests.mention("acme", rep: "rep-9", hours: 30, id: "late")
        projection.apply(late, counters: Self.configuration.counters)
        let state = projection
        let changes = evaluator.evaluate(at: F.at(240.5), configuration: Self.configuration, changedFrom: late.time, states: { state.states[$0] ?? CounterState() })
        #expect(changes.isEmpty, "no resolution and no new alert: \(changes.map(\.id))")
        #expect(evaluator.open.values.map(\.since) == [F.at(5)])
    }

    /// A lagging partition holds back a day of inputs: without them the run seems to stop (fewer
    /// than five reps in the window); when they arrive, within the lookback, the run carries on
    /// with its first second, days beyond the retained history.
    @Test func aRunThatSeemedToStopUntilLateInputsArrivedKeepsItsFirstSecond() {
        let lagging = Self.events.filter { (120...150).contains(hour(of: $0)) }
        let onTime = Self.events.filter { !(120...150).contains(hour(of: $0)) }
        var projection = CounterProjection()
        var evaluator = CounterRuleEvaluator()
        var changes: [Alert] = []
        for event in onTime {
            projection.apply(event, counters: Self.configuration.counters)
            if hour(of: event) == 160 {
                for late in lagging { projection.apply(late, counters: Self.configuration.counters) }
            }
            let state = projection
            let changedFrom = hour(of: event) == 160 ? lagging.first!.time : event.time
            changes += evaluator.evaluate(at: event.time, configuration: Self.configuration, changedFrom: changedFrom, states: { state.states[$0] ?? CounterState() })
            projection.evict(watermark: event.time, counters: Self.configuration.counters, latenessMilliseconds: Self.configuration.allowedLatenessMilliseconds, rules: Self.configuration.counterRules)
        }
        // Seen without the lagging inputs: the run stopped at 139 h and another began at 155 h.
        #expect(changes.filter { $0.state == .fired }.map(\.since) == [F.at(5), F.at(155), F.at(5)])
        #expect(evaluator.open.values.map(\.since) == [F.at(5)], "once they arrived: one run from 5 h")
        #expect(evaluator.open.keys.first == changes.first?.id, "the alert first fired, open again under its id")
    }

    /// A mention every half hour keeps `mentioned_3h` (at least one in the last hour, for 3 h)
    /// holding from 0 h to 60 h. The mentions of 40.5–41.5 h and 44.5–45.5 h come from a
    /// lagging partition and arrive together at 48 h: until then the run breaks at 41 h, starts
    /// again at 42 h, breaks at 45 h and starts again at 46 h. When they arrive, both gaps are
    /// within the lookback (10 h): the run is one again, with its first second at 0 h, two days
    /// beyond the retained history (soak seed 36 lost it and started the run at the lookback).
    @Test func aRunBrokenTwiceUntilLateInputsArrivedKeepsItsFirstSecond() throws {
        let configuration = try CounterRuleTests.mentionsPerHour(rule: "{id: mentioned_3h, counter: mentions_1h, atLeast: 1, for: 3h}")
        let halfHours = (0...120).map { Double($0) / 2 }
        let lagging: Set<Double> = [40.5, 41, 41.5, 44.5, 45, 45.5]
        func mention(_ hours: Double) -> SalesEvent { CounterRuleTests.mention("acme", rep: "rep-1", hours: hours, id: "m\(hours)") }
        func run(arrivingLateAt arrival: Double?) -> (changes: [Alert], open: [String: Alert]) {
            var projection = CounterProjection()
            var evaluator = CounterRuleEvaluator()
            var changes: [Alert] = []
            for hours in halfHours where arrival == nil || !lagging.contains(hours) {
                projection.apply(mention(hours), counters: configuration.counters)
                var changedFrom = mention(hours).time
                if hours == arrival {
                    for late in lagging.sorted() { projection.apply(mention(late), counters: configuration.counters) }
                    changedFrom = mention(lagging.min()!).time
                }
                let state = projection
                changes += evaluator.evaluate(at: mention(hours).time, configuration: configuration, changedFrom: changedFrom, states: { state.states[$0] ?? CounterState() })
                projection.evict(watermark: mention(hours).time, counters: configuration.counters, latenessMilliseconds: configuration.allowedLatenessMilliseconds, rules: configuration.counterRules)
            }
            return (changes, evaluator.open)
        }
        let inOrder = run(arrivingLateAt: nil)
        #expect(inOrder.open.values.map(\.since) == [F.at(0)])
        let late = run(arrivingLateAt: 48)
        #expect(late.changes.filter { $0.state == .resolved }.count == 1, "seen without the lagging inputs, the run broke at 41 h")
        #expect(late.open == inOrder.open, "once they arrived: one run from 0 h, under the alert's first id")
    }

    func hour(of event: SalesEvent) -> Int { Int((event.time.epochMilliseconds - F.at(0).epochMilliseconds) / 3_600_000) }
}
