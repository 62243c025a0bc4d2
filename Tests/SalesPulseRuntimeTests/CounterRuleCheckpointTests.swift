import Foundation
import Testing
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// A repartitioned partition evaluates the counter rules over its groups and keeps their runs
/// and open alerts in its checkpoint: restored (after a crash, or on another instance), it
/// carries on exactly where an uninterrupted partition is, even for a run older than the
/// retained history.
@Suite struct CounterRuleCheckpointTests {
    static let configuration = try! ConfigurationLoader.parse(yaml: """
    flows:
      - id: a
        steps: [{id: s}]
    counters:
      - {id: competitor_reps_24h, type: sales.competitor.mentioned, distinct: repid, groupBy: competitor, window: 24h}
    rules:
      - {id: five_reps, counter: competitor_reps_24h, atLeast: 5}
    """)
    static let t0: Int64 = 1_772_413_200_000
    static let topic = Repartition.topic(group: "g", attribute: "competitor")

    /// One batch record per hour for ten days: acme mentioned by six reps in turn (five
    /// distinct reps within 24 h from 4 h on), and globex by one rep (never five).
    static let records: [[UInt8]] = (0..<240).map { hour in
        var batch = Repartition.CounterBatch()
        let time = EventTime(epochMilliseconds: t0 + Int64(hour) * 3_600_000)
        batch.append(partition: 0, offset: Int64(2 * hour), input: Repartition.CounterInput(type: .competitorMentioned, time: time, attributes: ["competitor": "acme", "repid": "rep-\(hour % 6)"]))
        batch.append(partition: 0, offset: Int64(2 * hour + 1), input: Repartition.CounterInput(type: .competitorMentioned, time: time, attributes: ["competitor": "globex", "repid": "rep-1"]))
        return batch.bytes
    }

    /// Folds `range` of the records, with a runtime tick (rules, then timers and eviction) after
    /// each; returns the alert changes.
    static func fold(_ range: Range<Int>, into projector: inout PartitionProjector) -> [Alert] {
        var changes: [Alert] = []
        for index in range {
            _ = records[index].withUnsafeBytes { projector.process(value: $0, key: nil, offset: Int64(index), recordTime: EventTime(epochMilliseconds: t0), decoder: EventDecoder()) }
            let own = projector.counters
            changes += projector.evaluateCounterRules(sources: nil, states: { own.states[$0] ?? CounterState() }, owns: { _ in true }, evidence: { _, _ in nil })
            _ = projector.advance(to: projector.watermark!)
        }
        return changes
    }

    @Test func runsAndOpenAlertsSurviveTheCheckpoint() throws {
        let role = PartitionProjector.Role.of(topic: Self.topic, group: "g", repartitioning: true)
        #expect(role == .repartitioned(attribute: "competitor"))
        var uninterrupted = PartitionProjector(topic: Self.topic, partition: 0, configuration: Self.configuration, role: role)
        let all = Self.fold(0..<240, into: &uninterrupted)
        #expect(all.map(\.state) == [.fired], "acme fires once and stays open for ten days")
        #expect(uninterrupted.statistics.alertsFired == 1 && uninterrupted.statistics.alertsResolved == 0, "counted with the partition's alerts")
        #expect(uninterrupted.counterRules.open.values.map(\.since) == [EventTime(epochMilliseconds: Self.t0 + 4 * 3_600_000)])

        var first = PartitionProjector(topic: Self.topic, partition: 0, configuration: Self.configuration, role: role)
        _ = Self.fold(0..<100, into: &first)
        let store = try CheckpointStore(directory: RuntimeHarness.temporaryDirectory())
        try store.write(first.checkpoint())
        let checkpoint = try #require(try store.read(topic: Self.topic, partition: 0))
        #expect(checkpoint.counterRules == first.counterRules)
        var restored = PartitionProjector(topic: Self.topic, partition: 0, configuration: Self.configuration, checkpoint: checkpoint, role: role)
        let after = Self.fold(100..<240, into: &restored)
        #expect(after.isEmpty, "the open alert is not fired again with another start: \(after.map(\.since))")
        #expect(restored.counterRules.open == uninterrupted.counterRules.open)
        #expect(restored.statistics.alertsFired == 1, "the count comes back with the checkpoint, the alert is not counted twice")
    }

    /// Another instance without the checkpoint replays the partition from the beginning: one
    /// tick after days of records steps through them and finds the same run.
    @Test func aReplayWithOneTickFindsTheSameRun() {
        let role = PartitionProjector.Role.of(topic: Self.topic, group: "g", repartitioning: true)
        var ticking = PartitionProjector(topic: Self.topic, partition: 0, configuration: Self.configuration, role: role)
        _ = Self.fold(0..<240, into: &ticking)
        var replay = PartitionProjector(topic: Self.topic, partition: 0, configuration: Self.configuration, role: role)
        for index in 0..<240 {
            _ = Self.records[index].withUnsafeBytes { replay.process(value: $0, key: nil, offset: Int64(index), recordTime: EventTime(epochMilliseconds: Self.t0), decoder: EventDecoder()) }
        }
        let own = replay.counters
        let changes = replay.evaluateCounterRules(sources: nil, states: { own.states[$0] ?? CounterState() }, owns: { _ in true }, evidence: { _, _ in nil })
        #expect(changes.map(\.id) == Array(ticking.counterRules.open.keys))
        #expect(replay.counterRules.open == ticking.counterRules.open)
    }

    /// Acme mentioned every hour for ten days, by reps 0–2 in input partition 0 and reps 3–5 in
    /// input partition 1 (five distinct reps within 24 h from 4 h on), each record followed by
    /// its input partition's progress (read to its end after the hours in `caughtUpAfter`).
    static func records(from source: Int32, caughtUpAfter: Set<Int> = [239]) -> [[UInt8]] {
        (0..<240).flatMap { hour -> [[UInt8]] in
            let time = EventTime(epochMilliseconds: t0 + Int64(hour) * 3_600_000)
            var batch = Repartition.CounterBatch()
            batch.append(partition: source, offset: Int64(hour), input: Repartition.CounterInput(type: .competitorMentioned, time: time, attributes: ["competitor": "acme", "repid": "rep-\(Int(source) * 3 + hour % 3)"]))
            let progress = Repartition.Progress(sources: [Repartition.Progress.Source(partition: source, watermark: time, caughtUp: caughtUpAfter.contains(hour))])
            return [batch.bytes, progress.bytes]
        }
    }

    /// Processes `records` with a tick after each; returns the alert changes.
    static func process(_ records: [[UInt8]], into projector: inout PartitionProjector, sources: Int?) -> [Alert] {
        var changes: [Alert] = []
        for bytes in records {
            _ = bytes.withUnsafeBytes { projector.process(value: $0, key: nil, offset: projector.nextOffset, recordTime: EventTime(epochMilliseconds: t0), decoder: EventDecoder()) }
            let own = projector.counters
            changes += projector.evaluateCounterRules(sources: sources, states: { own.states[$0] ?? CounterState() }, owns: { _ in true }, evidence: { _, _ in nil })
            _ = projector.advance(to: projector.watermark!)
        }
        return changes
    }

    /// Input partition 1 lags ten days behind input partition 0 (its instance crashed, or
    /// its prefetch was full): the rules wait for it, and fire as if both had kept pace.
    @Test func rulesWaitForALaggingInputPartition() {
        let role = PartitionProjector.Role.of(topic: Self.topic, group: "g", repartitioning: true)
        let first = Self.records(from: 0), second = Self.records(from: 1)
        var inStep = PartitionProjector(topic: Self.topic, partition: 0, configuration: Self.configuration, role: role)
        let interleaved = (0..<first.count).flatMap { [first[$0], second[$0]] }
        let expected = Self.process(interleaved, into: &inStep, sources: 2)
        #expect(expected.map(\.state) == [.fired])
        #expect(expected.first?.since == EventTime(epochMilliseconds: Self.t0 + 2 * 3_600_000), "the fifth and sixth reps at 2 h")

        var lagging = PartitionProjector(topic: Self.topic, partition: 0, configuration: Self.configuration, role: role)
        #expect(Self.process(first, into: &lagging, sources: 2).isEmpty, "nothing judged before input partition 1 reports")
        let changes = Self.process(second, into: &lagging, sources: 2)
        #expect(changes == expected)
        #expect(lagging.counterRules.open == inStep.counterRules.open)

        // Judged at the partition's own watermark instead, the rule sees three reps for ten days.
        var ahead = PartitionProjector(topic: Self.topic, partition: 0, configuration: Self.configuration, role: role)
        _ = Self.process(first + second, into: &ahead, sources: nil)
        #expect(ahead.counterRules.open != inStep.counterRules.open)
    }

    /// Input partition 1 was read to its end at 99 h, and its instance stopped before hours
    /// 100–239 were appended; input partition 0 goes on to 239 h, and partition 1's later
    /// hours arrive only then (another instance took it over). The stale "read to its end"
    /// holds the rules within 3 h of 99 h: judged past it, they would see three reps for days,
    /// resolve the alert, and find the run again only as far back as their lookback (soak seed 36).
    @Test func aPartitionReadToItsEndHoldsTheRulesWhileAnotherHasRecordsLeft() {
        let role = PartitionProjector.Role.of(topic: Self.topic, group: "g", repartitioning: true)
        let first = Self.records(from: 0), second = Self.records(from: 1, caughtUpAfter: [99, 239])
        var inStep = PartitionProjector(topic: Self.topic, partition: 0, configuration: Self.configuration, role: role)
        let expected = Self.process((0..<first.count).flatMap { [first[$0], second[$0]] }, into: &inStep, sources: 2)
        #expect(expected.map(\.state) == [.fired])

        var stale = PartitionProjector(topic: Self.topic, partition: 0, configuration: Self.configuration, role: role)
        let untilStop = 2 * 100 // hours 0–99 of each: a batch and a progress record per hour
        var changes = Self.process((0..<untilStop).flatMap { [first[$0], second[$0]] }, into: &stale, sources: 2)
        changes += Self.process(Array(first[untilStop...]), into: &stale, sources: 2)
        #expect(stale.counterRules.evaluatedThrough == CounterState.second(of: EventTime(epochMilliseconds: Self.t0 + 99 * 3_600_000 + PartitionProjector.aheadOfPartitionsReadToEndMilliseconds)))
        changes += Self.process(Array(second[untilStop...]), into: &stale, sources: 2)
        #expect(changes == expected)
        #expect(stale.counterRules.open == inStep.counterRules.open)
    }

    /// The rep-exits partition takes progress records as the counter partitions do (N-in-a-row
    /// alerts wait for every input partition's exits), beside the exits themselves.
    @Test func theRepExitsPartitionKnowsWhereEveryInputPartitionHasGot() {
        let role = PartitionProjector.Role.of(topic: Repartition.topic(group: "g", attribute: Repartition.repExits), group: "g", repartitioning: true)
        #expect(role == .repExits)
        var projector = PartitionProjector(topic: Repartition.topic(group: "g", attribute: Repartition.repExits), partition: 0, configuration: Self.configuration, role: role)
        func at(_ hours: Int64) -> EventTime { EventTime(epochMilliseconds: Self.t0 + hours * 3_600_000) }
        let progress = Repartition.Progress(sources: [.init(partition: 0, watermark: at(5), caughtUp: false), .init(partition: 1, watermark: at(2), caughtUp: false)])
        let outcome = progress.bytes.withUnsafeBytes { projector.process(value: $0, key: nil, offset: 0, recordTime: at(5), decoder: EventDecoder()) }
        guard case .applied = outcome else { Issue.record("a progress record was not taken: \(outcome)"); return }
        #expect(projector.completeThrough(sources: 2) == at(2))
        let exit = Repartition.ExitForward(id: "e1#skipped", exit: KeyedRuleProjection.RepExit(rule: "skipped", rep: "rep-1", exit: KeyedRuleProjection.StepExit(at: at(1), customer: "c", missed: true)))
        let recorded = exit.encoded.withUnsafeBytes { projector.process(value: $0, key: nil, offset: 1, recordTime: at(5), decoder: EventDecoder()) }
        guard case .applied = recorded else { Issue.record("an exit was not taken: \(recorded)"); return }
        #expect(projector.statistics.repartitioned == 1)
    }

    @Test func rulesAreJudgedUpToWhereEveryInputPartitionHasGot() {
        let role = PartitionProjector.Role.of(topic: Self.topic, group: "g", repartitioning: true)
        var projector = PartitionProjector(topic: Self.topic, partition: 0, configuration: Self.configuration, role: role)
        func report(_ sources: [Repartition.Progress.Source]) {
            _ = Repartition.Progress(sources: sources).bytes.withUnsafeBytes { projector.process(value: $0, key: nil, offset: projector.nextOffset, recordTime: EventTime(epochMilliseconds: Self.t0), decoder: EventDecoder()) }
        }
        func at(_ hours: Int64) -> EventTime { EventTime(epochMilliseconds: Self.t0 + hours * 3_600_000) }
        #expect(projector.completeThrough(sources: 3) == nil)
        report([.init(partition: 0, watermark: at(5), caughtUp: false), .init(partition: 1, watermark: at(2), caughtUp: false)])
        #expect(projector.completeThrough(sources: 3) == nil, "partition 2 has not reported")
        report([.init(partition: 2, watermark: nil, caughtUp: false)])
        #expect(projector.completeThrough(sources: 3) == nil, "partition 2 has no event yet and may have old ones")
        report([.init(partition: 2, watermark: nil, caughtUp: true)])
        #expect(projector.completeThrough(sources: 3) == at(2), "an empty partition read to its end does not count")
        report([.init(partition: 1, watermark: at(1), caughtUp: false)])
        #expect(projector.completeThrough(sources: 3) == at(2), "a restarted instance's older watermark does not move it back")
        report([.init(partition: 0, watermark: at(6), caughtUp: true), .init(partition: 1, watermark: at(3), caughtUp: false)])
        #expect(projector.completeThrough(sources: 3) == at(3))
        report([.init(partition: 1, watermark: at(3), caughtUp: true)])
        #expect(projector.completeThrough(sources: 3) == at(6), "all read to their end: as far as any got")
        report([.init(partition: 0, watermark: at(8), caughtUp: false)])
        #expect(projector.completeThrough(sources: 3) == at(6), "one read to its end (at 3 h) lets it go 3 h past, no further")
        report([.init(partition: 0, watermark: at(20), caughtUp: true)])
        #expect(projector.completeThrough(sources: 3) == at(6), "all read to their end: as far as any got, 3 h past the one behind at most")
        report([.init(partition: 1, watermark: at(19), caughtUp: false)])
        #expect(projector.completeThrough(sources: 3) == at(19))
        report([.init(partition: 0, watermark: at(12), caughtUp: false)])
        #expect(projector.completeThrough(sources: 3) == at(12), "read to its end, a partition is reported as far as its instance got; with records again, its own watermark counts")
        report([.init(partition: 0, watermark: at(11), caughtUp: false)])
        #expect(projector.completeThrough(sources: 3) == at(12), "and from then on moves forward only")
        #expect(projector.completeThrough(sources: nil) == projector.watermark)

        // Kept in the checkpoint.
        let restored = PartitionProjector(topic: Self.topic, partition: 0, configuration: Self.configuration, checkpoint: projector.checkpoint(), role: role)
        #expect(restored.sourceProgress == projector.sourceProgress)
    }

    @Test func progressRecordsRoundTripAndRefuseDamage() {
        let progress = Repartition.Progress(sources: [.init(partition: 0, watermark: EventTime(epochMilliseconds: -5), caughtUp: true), .init(partition: 31, watermark: nil, caughtUp: false),
                                                      .init(partition: 7, watermark: EventTime(epochMilliseconds: Self.t0), caughtUp: false)])
        let bytes = progress.bytes
        #expect(bytes.withUnsafeBytes { Repartition.Progress(decoding: $0) } == progress)
        #expect(Array(bytes.dropLast()).withUnsafeBytes { Repartition.Progress(decoding: $0) } == nil, "cut short")
        var flags = bytes
        flags[2] = 0x80
        #expect(flags.withUnsafeBytes { Repartition.Progress(decoding: $0) } == nil, "unknown flags")
        #expect(Repartition.CounterBatch().bytes.withUnsafeBytes { Repartition.Progress(decoding: $0) } == nil)
    }

    /// While the rules wait for a lagging input partition, the counters they read keep the data
    /// the rules still need, but serve only what eviction at the watermark keeps; a counter no
    /// rule reads is evicted at the watermark as ever.
    @Test func countersKeepWhatWaitingRulesNeedAndServeWhatTheWatermarkKeeps() throws {
        let configuration = try ConfigurationLoader.parse(yaml: """
        flows:
          - id: a
            steps: [{id: s}]
        counters:
          - {id: competitor_reps_24h, type: sales.competitor.mentioned, distinct: repid, groupBy: competitor, window: 24h}
          - {id: mentions_1h, type: sales.competitor.mentioned, count: true, groupBy: competitor, window: 1h}
        rules:
          - {id: five_reps, counter: competitor_reps_24h, atLeast: 5}
        """)
        let role = PartitionProjector.Role.of(topic: Self.topic, group: "g", repartitioning: true)
        var projector = PartitionProjector(topic: Self.topic, partition: 0, configuration: configuration, role: role)
        _ = Self.process(Self.records(from: 0), into: &projector, sources: 2)
        let horizon = Self.t0 / 1000 + 239 * 3600 - (2 * 24 + 6) * 3600 - 31 // the window twice, the lookback margin and the lateness
        let oldest = { (state: CounterState) in state.occurrences.values.flatMap(\.values).compactMap(\.first).min() ?? .max }
        let buckets = { (state: CounterState) in state.buckets.values.flatMap(\.seconds).min() ?? .max }
        #expect(oldest(projector.counters.states["competitor_reps_24h"]!) == Self.t0 / 1000, "kept from the first input: the rules have not begun")
        #expect(oldest(try #require(projector.servedCounterState("competitor_reps_24h"))) >= horizon)
        #expect(buckets(projector.counters.states["mentions_1h"]!) > Self.t0 / 1000 + 239 * 3600 - 2 * 3600, "no rule reads it: an hour and the lateness kept")
        #expect(projector.servedCounterState("mentions_1h") == projector.counters.states["mentions_1h"])
    }
}
