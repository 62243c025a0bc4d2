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
            changes += projector.evaluateCounterRules(states: { own.states[$0] ?? CounterState() }, owns: { _ in true }, evidence: { _, _ in nil })
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
        let changes = replay.evaluateCounterRules(states: { own.states[$0] ?? CounterState() }, owns: { _ in true }, evidence: { _, _ in nil })
        #expect(changes.map(\.id) == Array(ticking.counterRules.open.keys))
        #expect(replay.counterRules.open == ticking.counterRules.open)
    }
}
