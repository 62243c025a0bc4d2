import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// N-in-a-row rules: a rep's run of missed exits decides the alert, whatever order the exits
/// arrive in and whenever the rule is evaluated.
@Suite struct SequenceRuleTests {
    static let configuration: ProcessConfiguration = {
        var configuration = ProcessConfiguration(flows: [])
        configuration.sequenceRules = [SequenceRule(id: "skipped", flow: "f", step: "s", action: "a", times: 3)]
        return configuration
    }()

    static func exit(_ customer: String, at seconds: Int64, missed: Bool) -> KeyedRuleProjection.RepExit {
        KeyedRuleProjection.RepExit(rule: "skipped", rep: "rep-1", exit: KeyedRuleProjection.StepExit(at: EventTime(epochMilliseconds: seconds * 1000), customer: customer, missed: missed))
    }

    /// Done right at 1 s; missed at 2, 3, 4 and 5 s; done right at 6 s; missed at 7 s.
    static let exits = [
        exit("a", at: 1, missed: false), exit("b", at: 2, missed: true), exit("c", at: 3, missed: true),
        exit("d", at: 4, missed: true), exit("e", at: 5, missed: true), exit("f", at: 6, missed: false), exit("g", at: 7, missed: true),
    ]

    static func at(_ seconds: Int64) -> EventTime { EventTime(epochMilliseconds: seconds * 1000) }

    @Test func theRunStartsTheAlertAndTheExitDoneRightEndsIt() {
        var rules = KeyedRuleProjection()
        var evaluator = SequenceRuleEvaluator()
        for exit in Self.exits.prefix(5) { rules.record(exit, configuration: Self.configuration) }
        let fired = evaluator.evaluate(at: Self.at(5), configuration: Self.configuration, partitions: [rules])
        #expect(fired.map(\.state) == [.fired])
        #expect(fired.first?.since == Self.at(2), "the run's first miss, not the first of the latest three")
        #expect(fired.first?.evidence == ["b at 1970-01-01T00:00:02.000Z", "c at 1970-01-01T00:00:03.000Z", "d at 1970-01-01T00:00:04.000Z"])
        for exit in Self.exits.suffix(2) { rules.record(exit, configuration: Self.configuration) }
        let resolved = evaluator.evaluate(at: Self.at(100), configuration: Self.configuration, partitions: [rules])
        #expect(resolved.map(\.state) == [.resolved])
        #expect(resolved.first?.resolvedAt == Self.at(6), "at the exit done right, not at the evaluation")
        #expect(rules.exits["skipped|rep-1"]?.map(\.customer) == ["f", "g"], "only the latest exit done right and the misses after it are kept")
    }

    /// Exits arrive in any order, split over partitions, with evaluations in between: once all
    /// have arrived the open alerts are the same as for the exits in order.
    @Test func anyArrivalOrderAndEvaluationTimesGiveTheSameOpenAlerts() {
        // Misses at 7 s and 10–14 s after the last exit done right (6 s): an open alert since 7 s.
        let all = Self.exits + (10...14).map { Self.exit("m\($0)", at: Int64($0), missed: true) }
        var reference = KeyedRuleProjection()
        for exit in all { reference.record(exit, configuration: Self.configuration) }
        var referenceEvaluator = SequenceRuleEvaluator()
        _ = referenceEvaluator.evaluate(at: Self.at(100), configuration: Self.configuration, partitions: [reference])
        #expect(referenceEvaluator.open.values.map(\.since) == [Self.at(7)])
        #expect(referenceEvaluator.open.values.map(\.evidence) == [["g at 1970-01-01T00:00:07.000Z", "m10 at 1970-01-01T00:00:10.000Z", "m11 at 1970-01-01T00:00:11.000Z"]])

        var random = PartitioningPropertyTests.Generator(state: 3)
        for round in 0..<100 {
            var order = all
            for index in order.indices.reversed() { order.swapAt(index, random.next(index + 1)) }
            var partitions = [KeyedRuleProjection(), KeyedRuleProjection()]
            var evaluator = SequenceRuleEvaluator()
            for (index, exit) in order.enumerated() {
                partitions[random.next(2)].record(exit, configuration: Self.configuration)
                if random.next(3) == 0 { _ = evaluator.evaluate(at: Self.at(Int64(index)), configuration: Self.configuration, partitions: partitions) }
            }
            _ = evaluator.evaluate(at: Self.at(100), configuration: Self.configuration, partitions: partitions)
            #expect(evaluator.open == referenceEvaluator.open, "round \(round)")
        }
    }

    /// An input partition behind the others has not delivered the exit done right at 3 s yet:
    /// judged only through where every partition has got, the misses at 2, 4 and 5 s fire
    /// nothing, and once that exit arrives there is no run to fire for. Judged on what has
    /// arrived, the same exits fire an alert and resolve it: one an event-time reading never has.
    @Test func anAlertWaitsUntilItsExitsAreKnownWhole() {
        let early = [Self.exit("a", at: 1, missed: false), Self.exit("b", at: 2, missed: true), Self.exit("d", at: 4, missed: true), Self.exit("e", at: 5, missed: true)]
        let late = Self.exit("c", at: 3, missed: false)
        var rules = KeyedRuleProjection()
        var gated = SequenceRuleEvaluator(), ungated = SequenceRuleEvaluator()
        for exit in early { rules.record(exit, configuration: Self.configuration) }
        #expect(gated.evaluate(at: Self.at(5), configuration: Self.configuration, partitions: [rules], judgedThrough: Self.at(2)).isEmpty)
        #expect(ungated.evaluate(at: Self.at(5), configuration: Self.configuration, partitions: [rules]).map(\.state) == [.fired])
        rules.record(late, configuration: Self.configuration)
        #expect(gated.evaluate(at: Self.at(9), configuration: Self.configuration, partitions: [rules], judgedThrough: Self.at(9)).isEmpty)
        #expect(ungated.evaluate(at: Self.at(9), configuration: Self.configuration, partitions: [rules]).map(\.state) == [.resolved])
        #expect(gated.open.isEmpty && ungated.open.isEmpty)
    }

    /// Gated, an alert fires at the evaluation whose judged time reaches its N-th miss, with the
    /// same id, start and evidence as without the gate; the exit done right resolves it whether
    /// or not the judged time has reached it (it ended the run in event time).
    @Test func aGatedAlertFiresOnceItsNthMissIsJudgedAndResolvesAtTheExitDoneRight() {
        var rules = KeyedRuleProjection()
        var gated = SequenceRuleEvaluator(), ungated = SequenceRuleEvaluator()
        for exit in Self.exits.prefix(5) { rules.record(exit, configuration: Self.configuration) }
        #expect(gated.evaluate(at: Self.at(5), configuration: Self.configuration, partitions: [rules], judgedThrough: Self.at(3)).isEmpty, "the third miss (4 s) is not judged yet")
        let fired = gated.evaluate(at: Self.at(6), configuration: Self.configuration, partitions: [rules], judgedThrough: Self.at(4))
        #expect(fired.map(\.state) == [.fired])
        #expect(fired == ungated.evaluate(at: Self.at(6), configuration: Self.configuration, partitions: [rules]))
        for exit in Self.exits.suffix(2) { rules.record(exit, configuration: Self.configuration) }
        let resolved = gated.evaluate(at: Self.at(7), configuration: Self.configuration, partitions: [rules], judgedThrough: Self.at(4))
        #expect(resolved.map(\.state) == [.resolved])
        #expect(resolved.first?.resolvedAt == Self.at(6))
    }

    /// The rep's exits moved to another instance (its rep-exits partition was revoked): the open
    /// alert is dropped without a `resolved` record, which would contradict the new owner's
    /// alert, still open; given the exits back, the same alert fires again.
    @Test func anAlertWhoseExitsMovedAwayIsDroppedWithoutAResolution() {
        var rules = KeyedRuleProjection()
        var evaluator = SequenceRuleEvaluator()
        for exit in Self.exits.prefix(5) { rules.record(exit, configuration: Self.configuration) }
        let fired = evaluator.evaluate(at: Self.at(5), configuration: Self.configuration, partitions: [rules])
        #expect(fired.map(\.state) == [.fired])
        #expect(evaluator.evaluate(at: Self.at(6), configuration: Self.configuration, partitions: [KeyedRuleProjection()]).isEmpty)
        #expect(evaluator.open.isEmpty)
        #expect(evaluator.evaluate(at: Self.at(7), configuration: Self.configuration, partitions: [rules]) == fired)
    }

    /// A late exit done right inside an open run ends the alert at its own time; the misses
    /// after it are too few for a new one.
    @Test func aLateExitDoneRightInsideTheRunEndsTheAlertAtItsTime() {
        var rules = KeyedRuleProjection()
        var evaluator = SequenceRuleEvaluator()
        for exit in Self.exits.prefix(5) { rules.record(exit, configuration: Self.configuration) }
        #expect(evaluator.evaluate(at: Self.at(5), configuration: Self.configuration, partitions: [rules]).map(\.state) == [.fired])
        rules.record(Self.exit("late", at: 3, missed: false), configuration: Self.configuration)
        let changes = evaluator.evaluate(at: Self.at(50), configuration: Self.configuration, partitions: [rules])
        #expect(changes.map(\.state) == [.resolved])
        #expect(changes.first?.resolvedAt == Self.at(3))
        #expect(evaluator.open.isEmpty)
    }

    /// An exit delivered again (a repartition record re-read after a restart) counts once.
    @Test func aRedeliveredExitCountsOnce() {
        var rules = KeyedRuleProjection()
        var evaluator = SequenceRuleEvaluator()
        for exit in Self.exits.prefix(3) + Self.exits.prefix(3) { rules.record(exit, configuration: Self.configuration) }
        #expect(rules.exits["skipped|rep-1"]?.map(\.customer) == ["a", "b", "c"])
        #expect(evaluator.evaluate(at: Self.at(5), configuration: Self.configuration, partitions: [rules]).isEmpty, "two misses, not four")
    }

    @Test func aLongRunKeepsItsFirstMissesAndItsLatest() {
        var rules = KeyedRuleProjection()
        let limit = KeyedRuleProjection.longestRunKept(times: 3)
        for second in 0..<(limit + 50) { rules.record(Self.exit("c\(second)", at: Int64(second), missed: true), configuration: Self.configuration) }
        let kept = rules.exits["skipped|rep-1"] ?? []
        #expect(kept.count == limit)
        #expect(kept.prefix(3).map(\.customer) == ["c0", "c1", "c2"])
        #expect(kept.last?.customer == "c\(limit + 49)")
    }

    /// Rep exits are looked for only among a step entry's outputs: no other event changes a
    /// step (random events of every kind the fixtures fold, with their timers).
    @Test(arguments: [21, 22, 23] as [UInt64])
    func onlyAStepEntryChangesAStep(_ seed: UInt64) {
        var projection = FlowProjection(configuration: Fixtures.configuration)
        for event in TimerInputsTests.events(seed: seed, count: 800, spacing: 3) {
            let changed = projection.apply(event).contains { if case .stepChanged = $0 { true } else { false } }
            #expect(!changed || event.type == .stepEntered, "\(event.type.name)")
        }
    }
}
