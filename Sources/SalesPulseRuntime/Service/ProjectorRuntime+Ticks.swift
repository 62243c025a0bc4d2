import Foundation
import Logging
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
import Synchronization

/// Ticks: counter rules, timers advanced by the watermark or the wall clock, N-in-a-row rules.
extension ProjectorRuntime {
    /// Advances timers: by the watermark, and for partitions idle in live mode by the wall clock.
    /// Counter rules are evaluated first, while the counters still hold what the evaluation
    /// steps through (advancing evicts what the new watermark no longer needs). Returns the
    /// outputs and, in the same order, the alerts among them as alerts-topic records, each
    /// partition's written by the fold worker that advanced it: written on the consume thread
    /// as it published, they held up the next batch (a tick on a backlog fires thousands).
    /// They come part by part, in the order one thread would have produced them: put together,
    /// every output and record was copied once more on the consume thread while the other core
    /// waited (a tick of a backlog over a million customers fires 100,000 alerts and more).
    func tick(lastEventWallClock: [KafkaTopicPartition: Int64], repartitionPartitions: [String: Int], inputPartitions: Int?, workers: FoldWorkers) -> [TickPart] {
        let now = Self.wallClockMilliseconds()
        return partitions.withLock { owned in
            let keys = owned.keys.sorted()
            let slots = keys.map { owned[$0]! }
            // Each partition's counter rules, then every partition's timers. Partitions share no
            // state (what rules read of others — teammates' counts, waiting customers — is copied
            // first), so the fold workers take the partitions one at a time, and the outputs are
            // put together in partition order as a single thread would produce them. The copies
            // are dropped before timers advance: a flow projection changed while a copy of it
            // lives would copy every shard it touches.
            let topic = configuration.alertsTopic
            var merged = TickPart(topic: topic)
            var ruled = [TickPart](repeating: TickPart(topic: topic), count: keys.count)
            do {
                // In a scope of its own: `rules` holds the copies, dropped here.
                let rules = counterRuleWork(owned, keys: keys, repartitionPartitions: repartitionPartitions, inputPartitions: inputPartitions)
                merged = TickPart(rules.merged.map(FlowOutput.alert), topic: topic)
                if let evaluate = rules.perPartition {
                    ruled.withUnsafeMutableBufferPointer { ruled in
                        Self.forEachPartition(keys.count, on: workers) { index in ruled[index] = TickPart(evaluate(keys[index], slots[index]).map(FlowOutput.alert), topic: topic) }
                    }
                }
            }
            var advanced = [TickPart](repeating: TickPart(topic: topic), count: keys.count)
            advanced.withUnsafeMutableBufferPointer { advanced in
                Self.forEachPartition(keys.count, on: workers) { index in
                    let key = keys[index], slot = slots[index]
                    var target = slot.projector.watermark
                    let idle = now - (lastEventWallClock[key] ?? 0) > configuration.idleAfterMilliseconds
                    if configuration.live && idle { target = max(target ?? EventTime(epochMilliseconds: now), EventTime(epochMilliseconds: now)) }
                    guard let target else { return }
                    advanced[index] = TickPart(slot.projector.advance(to: target), topic: topic)
                }
            }
            var parts = [merged] + ruled + advanced
            // N-in-a-row rules on the reps' step exits merged across partitions.
            let process = configuration.process
            if !process.sequenceRules.isEmpty, let now = owned.values.compactMap(\.projector.watermark).max() {
                let keyed = keys.map { owned[$0]!.projector.rules }
                let judgedThrough = repExitsCompleteThrough(owned, inputPartitions: inputPartitions)
                let changes = sequences.withLock { $0.evaluate(at: now, configuration: process, partitions: keyed, judgedThrough: judgedThrough) }
                countRuntimeRuleAlerts(changes)
                parts.append(TickPart(changes.map(FlowOutput.alert), topic: topic))
            }
            return parts.filter { !$0.outputs.isEmpty }
        }
    }

    /// How far the reps' exits are known whole when repartitioned: the least event time through
    /// which every input partition has forwarded its exits, by the progress records each owned
    /// rep-exits partition has received (``PartitionProjector/completeThrough(sources:)``, as
    /// counter rules are judged); none while one has not heard from every input partition.
    /// Nil without repartitioning (one instance folds every exit where it reads it).
    private func repExitsCompleteThrough(_ owned: [KafkaTopicPartition: PartitionSlot], inputPartitions: Int?) -> EventTime? {
        guard configuration.repartitionCounters else { return nil }
        var through: EventTime?
        for slot in owned.values {
            guard case .repExits = slot.projector.role else { continue }
            let complete = slot.projector.completeThrough(sources: inputPartitions) ?? EventTime(epochMilliseconds: .min)
            through = min(through ?? complete, complete)
        }
        return through ?? EventTime(epochMilliseconds: .min)
    }

    /// One partition's share of a tick: its outputs and, in the same order, the alerts among
    /// them as alerts-topic records, written where the outputs were made (on a fold worker).
    struct TickPart {
        var outputs: [FlowOutput] = []
        var records: KafkaRecordBatch

        /// No outputs, records for `topic`.
        init(topic: String) {
            records = KafkaRecordBatch(topic: topic)
        }

        init(_ outputs: [FlowOutput], topic: String) {
            self.outputs = outputs
            records = AlertEvent.records(outputs, topic: topic)
        }
    }

    /// Calls `body` with each index in `0..<count` once, on the fold workers, which take the
    /// indices one at a time (`body` must touch only what belongs to its index).
    private static func forEachPartition(_ count: Int, on workers: FoldWorkers, _ body: (Int) -> Void) {
        let claimed = Atomic<Int>(0)
        workers.run(workers: min(workers.count, count)) { _, _ in
            while true {
                let index = claimed.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < count else { break }
                body(index)
            }
        }
    }

    /// A tick's counter-rule work: alerts of rules evaluated over counters merged across the
    /// partitions (`merged`), or the evaluation of one repartitioned partition's rules
    /// (`perPartition`, which gives nothing for other partitions), safe to call for several
    /// partitions at once.
    private struct CounterRuleWork {
        var merged: [Alert] = []
        var perPartition: ((KafkaTopicPartition, PartitionSlot) -> [Alert])?
    }

    /// Evaluates the counter rules. Repartitioned (the default): each partition of a
    /// repartition topic evaluates the rules over its own groups up to where every input
    /// partition has got (``PartitionProjector/completeThrough(sources:)``), with the runs and
    /// open alerts kept in its checkpoint, so the alerts depend only on that partition's inputs —
    /// not on which instance owns it, what else that instance owns, which input lags, or
    /// restarts. Not
    /// repartitioned (one instance): one evaluator over the counters merged across the input
    /// partitions, at the latest watermark; it is not checkpointed, so after a restart a run
    /// older than the retained history is found again from where that history begins.
    private func counterRuleWork(_ owned: [KafkaTopicPartition: PartitionSlot], keys: [KafkaTopicPartition], repartitionPartitions: [String: Int], inputPartitions: Int?) -> CounterRuleWork {
        let process = configuration.process
        guard !process.counterRules.isEmpty else { return CounterRuleWork() }
        // Time-to-sign rules: the region's customers waiting longest when the alert began,
        // among this instance's customers as they stand now. Read from copies of the flow
        // projections: a partition's own projector is being mutated while it evaluates.
        let wantsEvidence = process.counterRules.contains { $0.longestWaitingEvidence > 0 }
        let projections = wantsEvidence ? keys.map { owned[$0]!.projector.projection }.filter { !$0.customers.isEmpty } : []
        let evidence: (CounterRule, Alert) -> [String]? = { rule, alert in
            guard rule.longestWaitingEvidence > 0 else { return nil }
            return WaitingCustomers.longest(rule.longestWaitingEvidence, region: alert.customer, amongCustomersOf: projections, now: alert.since)
        }
        guard configuration.repartitionCounters else {
            guard let now = owned.values.compactMap(\.projector.watermark).max() else { return CounterRuleWork() }
            // How far back counter values changed since the last tick (late inputs from
            // lagging partitions): runs are re-checked from there.
            let changedFrom = owned.values.compactMap { $0.projector.takeEarliestCounterInput() }.min()
            // Each counter is merged once per tick, however many rules read it.
            var merged: [String: CounterState] = [:]
            let changes = rules.withLock { evaluator in
                evaluator.evaluate(at: now, configuration: process, changedFrom: changedFrom, states: { id in
                    if let state = merged[id] { return state }
                    let state = CounterState.merge(keys.compactMap { owned[$0]!.projector.counters.state(of: id) })
                    merged[id] = state
                    return state
                }, evidence: evidence)
            }
            countRuntimeRuleAlerts(changes)
            return CounterRuleWork(merged: changes)
        }
        // Rules comparing a rep with the team read the teammates' counts, which other
        // partitions hold: merged across this instance's partitions of that topic, up front.
        var teamStates: [String: CounterState] = [:]
        for rule in process.counterRules {
            guard case .belowTeamMean = rule.condition, teamStates[rule.counter] == nil,
                  let counter = process.counters.first(where: { $0.id == rule.counter }) else { continue }
            let topic = Repartition.topic(group: configuration.group, attribute: Repartition.attribute(of: counter))
            teamStates[rule.counter] = CounterState.merge(keys.filter { $0.topic == topic }.compactMap { owned[$0]!.projector.counters.state(of: rule.counter) })
        }
        return CounterRuleWork(perPartition: { [teamStates] key, slot in
            guard case .repartitioned(let attribute) = slot.projector.role, let partitionCount = repartitionPartitions[attribute] else { return [] }
            let own = slot.projector.counters
            return slot.projector.evaluateCounterRules(sources: inputPartitions, states: { id in teamStates[id] ?? own.state(of: id) ?? CounterState() },
                                                       owns: { KafkaPartitioner.consistent.partition(of: $0, partitions: partitionCount) == key.partition },
                                                       evidence: evidence)
        })
    }

    private func countRuntimeRuleAlerts(_ changes: [Alert]) {
        guard !changes.isEmpty else { return }
        let fired = changes.filter { $0.state == .fired }.count
        runtimeRuleAlerts.withLock { $0.fired += fired; $0.resolved += changes.count - fired }
    }
}
