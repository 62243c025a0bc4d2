import ArgumentParser
import Foundation
import SalesPulseModel
import SalesPulseKafka
import SalesPulseProjections
import SalesPulseRuntime
import SalesPulseServer
import Synchronization

/// The kafka stage: the raw librdkafka consume rate and the end-to-end runs on one topic of the
/// embedded broker.
extension BenchCommand {
    /// Raw librdkafka consume rate vs the projector runtime, on one topic of the embedded broker.
    func kafkaStage(_ configuration: ProcessConfiguration) async throws {
        if let bootstrap {
            try await kafkaStage(configuration, measuring: topic, on: bootstrap)
            return
        }
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("bench.events", partitions: partitions)
        guard let samples = stageEvents(count: kafkaEvents, stage: "kafka") else { return }
        Console.status("kafka: publishing \(samples.count) events to \(partitions) partitions (linger.ms \(publishLingerMilliseconds))…")
        var publishing = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        publishing.lingerMilliseconds = publishLingerMilliseconds
        let producer = try KafkaProducer(configuration: publishing)
        for sample in samples {
            let key = SubjectScanner.subject(in: sample)
            try producer.enqueue(KafkaOutgoingMessage(topic: "bench.events", key: key, value: sample))
        }
        try producer.flush(timeout: .seconds(120))
        let tally = producer.tally
        producer.close()
        guard tally.delivered == samples.count else { throw ValidationError("only \(tally.delivered) of \(samples.count) delivered: \(String(describing: tally.firstError))") }

        let suffix = { (round: Int) in kafkaRounds > 1 ? "-\(round)" : "" }
        try await measureRounds(configuration, bootstrap: cluster.bootstrapServers, topic: "bench.events", total: samples.count, groupSuffix: suffix) { round, runs in
            if let repartitionPartitions, runs.contains("full") {
                // The full run's group finds its repartition topics made.
                for attribute in Repartition.attributes(of: configuration) {
                    try cluster.createTopic(Repartition.topic(group: Self.fullRunGroup(suffix(round)), attribute: attribute), partitions: repartitionPartitions)
                }
            }
        }
    }

    /// The kafka stage on `topic` of the cluster at `bootstrap`, which holds its events already:
    /// nothing is generated or published; every round reads every record the topic holds now,
    /// each run in a consumer group of its own, named after this process.
    @discardableResult
    func kafkaStage(_ configuration: ProcessConfiguration, measuring topic: String, on bootstrap: String) async throws -> [KafkaRound] {
        // The cluster's client settings (TLS, SASL: --kafka-config, --kafka-property), for every
        // client of the stage, as `run` takes them.
        let properties = try kafka.properties()
        var adminConfiguration = KafkaAdminConfiguration(bootstrapServers: bootstrap)
        properties.add(to: &adminConfiguration.properties)
        let admin = try KafkaAdmin(configuration: adminConfiguration)
        // All topics' metadata, not the topic's: asking for an unknown topic by name makes a
        // cluster that creates topics automatically (the embedded broker does) create it.
        let topics = try await DedicatedThread.run(name: "bench.topic") { () throws -> [KafkaClusterMetadata.Topic] in try admin.metadata().topics }
        guard let partitions = topics.first(where: { $0.name == topic })?.partitions, !partitions.isEmpty else {
            // Not the internal ones, nor those of earlier measurements (named after their groups).
            let names = topics.map(\.name).sorted()
            let shown = names.filter { !$0.hasPrefix("__") && !$0.hasPrefix("salespulse.bench-") }.prefix(12)
            throw ValidationError("--topic \(topic): no such topic on \(bootstrap) (it has \(shown.isEmpty ? "none" : shown.joined(separator: ", "))\(names.count > shown.count ? ", …" : ""))")
        }
        let marks = try await DedicatedThread.run(name: "bench.topic") { () throws -> [Int32: (low: Int64, high: Int64)] in try admin.watermarks(of: topic, partitions: partitions) }
        let retention = TopicRetention(topic: topic, watermarks: marks)
        let total = Int(retention.written - retention.dropped)
        guard total > 0 else { throw ValidationError("--topic \(topic) on \(bootstrap) holds no records: publish some first (salespulse publish --bootstrap \(bootstrap) --topic \(topic) FILE)") }
        Console.line("kafka: measuring \(topic) on \(bootstrap): \(total) records in \(retention.partitions) partitions (generated and published nothing)")
        // Groups of their own on a cluster that outlives this process: a group used before would
        // resume from its committed offsets and read nothing.
        return try await measureRounds(configuration, bootstrap: bootstrap, topic: topic, total: total, properties: properties) { round in "-\(ProcessInfo.processInfo.processIdentifier)-\(round)" }
    }

    /// Runs the stage's `--kafka-rounds` rounds over `total` records of `topic` (`prepare` first
    /// in each, with the runs asked for), each run's groups named with `groupSuffix(round)`, and
    /// prints the medians.
    @discardableResult
    func measureRounds(_ configuration: ProcessConfiguration, bootstrap: String, topic: String, total: Int, properties: KafkaClientProperties = KafkaClientProperties(), groupSuffix: (Int) -> String,
                       prepare: (Int, Set<String>) throws -> Void = { _, _ in }) async throws -> [KafkaRound] {
        let runs = Set(kafkaRuns.split(separator: ",").map(String.init))
        var rounds: [KafkaRound] = []
        for round in 1...kafkaRounds {
            let label = kafkaRounds > 1 ? "kafka round \(round)/\(kafkaRounds)" : "kafka"
            try prepare(round, runs)
            rounds.append(try await kafkaRound(configuration, bootstrap: bootstrap, topic: topic, total: total, runs: runs, label: label, groupSuffix: groupSuffix(round), properties: properties))
        }
        printMedians(of: rounds)
        return rounds
    }

    /// With more than one round, the medians of the rounds' figures and each round's share of its
    /// own raw rate.
    func printMedians(of rounds: [KafkaRound]) {
        guard rounds.count > 1 else { return }
        // The same binary's figures swing widely between runs on a shared machine: the median of
        // rounds that alternate the raw consumer and the runtime on one topic is the figure to quote.
        Console.line("kafka, median of \(rounds.count) rounds: raw consume \(Int(Self.median(rounds.map(\.raw)))) events/s at \(String(format: "%.2f", Self.median(rounds.map(\.rawCPU)))) µs CPU per event")
        let shares = rounds.compactMap { round in round.full.map { 100 * $0.rate / round.raw } }
        let full = rounds.compactMap(\.full)
        if !full.isEmpty {
            Console.line("kafka, median of \(full.count) rounds: end to end \(Int(Self.median(full.map(\.rate)))) events/s at \(String(format: "%.2f", Self.median(full.map(\.cpu)))) µs CPU per event; share of the same round's raw rate: median \(Int(Self.median(shares).rounded()))% (rounds: \(shares.map { "\(Int($0.rounded()))%" }.joined(separator: ", ")))")
        }
        let bare = rounds.compactMap(\.bare)
        if !bare.isEmpty { Console.line("kafka, median of \(bare.count) rounds: end to end without counters and rules \(Int(Self.median(bare.map(\.rate)))) events/s at \(String(format: "%.2f", Self.median(bare.map(\.cpu)))) µs CPU per event") }
        let local = rounds.compactMap(\.local)
        if !local.isEmpty { Console.line("kafka, median of \(local.count) rounds: end to end without repartition topics \(Int(Self.median(local.map(\.rate)))) events/s at \(String(format: "%.2f", Self.median(local.map(\.cpu)))) µs CPU per event") }
    }

    /// The figures of one round of the kafka stage: rates in events/s, CPU in µs per event (all
    /// threads of the process).
    struct KafkaRound {
        struct Run { var rate: Double; var cpu: Double }
        var raw: Double
        var rawCPU: Double
        var full: Run?
        var bare: Run?
        var local: Run?
    }

    /// The median of `values` (the mean of the middle two for an even count).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// The consumer group of a round's full end-to-end run (its repartition topics are named
    /// after it).
    static func fullRunGroup(_ suffix: String) -> String { "bench-runtime" + suffix }

    /// One round of the kafka stage: the raw consume rate, then each requested end-to-end run,
    /// each in a fresh consumer group over the whole topic.
    func kafkaRound(_ configuration: ProcessConfiguration, bootstrap: String, topic: String, total: Int, runs: Set<String>, label: String, groupSuffix: String,
                    properties: KafkaClientProperties = KafkaClientProperties()) async throws -> KafkaRound {
        // Raw ceiling: batch consume, each record's value length read and nothing else (as
        // librdkafka's rdkafka_performance and Kafka's consumer perf test count bytes): the
        // payload itself is never read, so the ceiling is the strictest one.
        let (raw, rawCPU, rawSplit) = try await DedicatedThread.run(name: "bench.raw") { () throws -> (Duration, Double, [ThreadCPU.Group: Double]?) in
            var consumerConfiguration = KafkaConsumerConfiguration(bootstrapServers: bootstrap, groupID: "bench-raw" + groupSuffix)
            properties.add(to: &consumerConfiguration.properties)
            let consumer = try KafkaConsumer(configuration: consumerConfiguration, maxBatchSize: 4096)
            try consumer.subscribe(to: [topic])
            var seen = 0
            var checksum = 0
            var start: ContinuousClock.Instant?
            var cpuStart = 0.0
            var threadsStart: ThreadCPU?
            var progress = StallWatch(what: "the raw consumer", of: total, topic: topic)
            while seen < total {
                try consumer.consumeBatch(maxMessages: 4096, timeout: .milliseconds(10)) { batch in
                    if start == nil && !batch.isEmpty { start = .now; cpuStart = CPUTime.process(); threadsStart = ThreadCPU.now() }
                    for record in batch { checksum &+= record.value?.count ?? 0 }
                    seen += batch.count
                }
                do { try progress.note(seen) } catch {
                    consumer.close()
                    throw error
                }
            }
            let elapsed = ContinuousClock.now - start!
            let cpu = CPUTime.process() - cpuStart
            let split = threadsStart.flatMap { earlier in ThreadCPU.now()?.seconds(since: earlier) }
            consumer.close()
            _ = checksum
            return (elapsed, cpu, split)
        }
        Console.line("\(label) raw consume (librdkafka batch, 1 thread): \(rate(total, raw)) events/s; \(Self.cpuPerEvent(rawCPU, total))")
        if let rawSplit { Console.line("\(label) raw consume: CPU by thread: \(ThreadCPU.describe(rawSplit, events: total))") }
        var round = KafkaRound(raw: Double(total) / seconds(raw), rawCPU: rawCPU * 1e6 / Double(total))

        var described = "with \(configuration.counters.count) counters and \(configuration.counterRules.count + configuration.absenceRules.count + configuration.sequenceRules.count) rules"
        if runs.contains("full") {
            // End to end: the runtime on the same topic, replay mode, checkpoint at the end.
            let run = try await endToEnd(configuration, bootstrap: bootstrap, topic: topic, group: Self.fullRunGroup(groupSuffix), total: total, properties: properties)
            let (processed, checkpointing, status, cpu, split) = (run.processed, run.stopping, run.status, run.cpuSeconds, run.threads)
            Console.line("\(label) end to end (decode, validate, dedupe, fold, timers): \(rate(total, processed)) events/s = \(String(format: "%.0f", 100 * seconds(raw) / seconds(processed)))% of raw; \(status.customers) customers, applied \(status.statistics.applied), rejected \(status.statistics.rejected)")
            Console.line("\(label) end to end: \(status.batches) batches, processing busy \(String(format: "%.2f", status.processingSeconds)) s of \(String(format: "%.2f", seconds(processed))) s wall = \(Int(Double(total) / status.processingSeconds)) events/s while busy; \(status.fetchWakeups) fetcher wake-ups (--prefetch \(prefetch))")
            Console.line("\(label) end to end: \(Self.cpuPerEvent(cpu, total)) (raw consume: \(String(format: "%.2f", rawCPU * 1e6 / Double(total))) µs)")
            if let split { Console.line("\(label) end to end: CPU by thread: \(ThreadCPU.describe(split, events: total))") }
            Console.line("\(label) end to end: \(Self.budgetForHalfOfRaw(rawRate: Double(total) / seconds(raw), cpuPerEvent: cpu * 1e6 / Double(total), rawCPUPerEvent: rawCPU * 1e6 / Double(total)))")
            Console.line("\(label) end to end: consume loop: \(EndToEndRun.describe(run.loop, wall: seconds(processed)))")
            Console.line("\(label) end to end: last timer and rule tick \(String(format: "%.1f", status.lastTickMilliseconds)) ms")
            Console.line("\(label) end to end including final checkpoint of \(status.customers) customers (\(status.lastCheckpointBytes) bytes last partition): \(rate(total, processed + checkpointing)) events/s")
            Console.line("\(label) end to end: stopping took \(String(format: "%.0f", seconds(checkpointing) * 1000)) ms (producer flush, final checkpoint, commit, leaving the group), of which the final checkpoint \(status.finalCheckpointMilliseconds.map { String(format: "%.0f", $0) } ?? "?") ms (\(status.customers) customers)")
            described += ": \(rate(total, processed)) events/s (\(Int(Double(total) / status.processingSeconds))/s while busy)"
            round.full = .init(rate: Double(total) / seconds(processed), cpu: cpu * 1e6 / Double(total))
        }
        if runs.contains("bare") {
            // The same run without counters and rules: what they cost.
            var bare = configuration
            bare.counters = []
            bare.counterRules = []
            bare.absenceRules = []
            bare.sequenceRules = []
            let bareRun = try await endToEnd(bare, bootstrap: bootstrap, topic: topic, group: "bench-runtime-bare" + groupSuffix, total: total, properties: properties)
            let (bareProcessed, bareStatus, bareCPU) = (bareRun.processed, bareRun.status, bareRun.cpuSeconds)
            Console.line("\(label) end to end \(described); without counters and rules: \(rate(total, bareProcessed)) events/s (\(Int(Double(total) / bareStatus.processingSeconds))/s while busy; \(Self.cpuPerEvent(bareCPU, total)))")
            round.bare = .init(rate: Double(total) / seconds(bareProcessed), cpu: bareCPU * 1e6 / Double(total))
        }
        if runs.contains("local") {
            // Counters folded in the input partitions (one instance; no repartition topics).
            let localRun = try await endToEnd(configuration, bootstrap: bootstrap, topic: topic, group: "bench-runtime-local" + groupSuffix, total: total, repartition: false, properties: properties)
            let (localProcessed, localCheckpointing, localStatus, localCPU) = (localRun.processed, localRun.stopping, localRun.status, localRun.cpuSeconds)
            Console.line("\(label) end to end without repartition topics (--no-repartition, one instance): \(rate(total, localProcessed)) events/s (\(Int(Double(total) / localStatus.processingSeconds))/s while busy); including the final checkpoint: \(rate(total, localProcessed + localCheckpointing)) events/s; \(Self.cpuPerEvent(localCPU, total))")
            round.local = .init(rate: Double(total) / seconds(localProcessed), cpu: localCPU * 1e6 / Double(total))
        }
        return round
    }

    /// What half of the raw rate allows: with every core of the machine busy all the time (the
    /// best case), the rate is the cores divided by the CPU per event, so 50 % of the raw rate
    /// needs at most cores ÷ (raw rate ÷ 2) of CPU per event over all threads, the embedded
    /// broker and librdkafka included. Printed beside what the run took, so that a reader sees
    /// how far the per-event work is from the goal in the round's own phase of the machine.
    static func budgetForHalfOfRaw(rawRate: Double, cpuPerEvent: Double, rawCPUPerEvent: Double, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> String {
        let budget = Double(cores) * 1e6 / (rawRate / 2)
        let verdict = cpuPerEvent <= budget ? "within it" : String(format: "%.0f %% over it", 100 * (cpuPerEvent / budget - 1))
        return "50 % of raw on \(cores) cores allows at most " + String(format: "%.2f", budget) + " µs of CPU per event over all threads (every core busy throughout); this run took " + String(format: "%.2f", cpuPerEvent) + " µs, \(verdict) (the raw consume alone: " + String(format: "%.2f", rawCPUPerEvent) + " µs)"
    }

    /// CPU per event over a phase: all threads of this process (the embedded broker included).
    static func cpuPerEvent(_ seconds: Double, _ events: Int) -> String {
        "CPU \(String(format: "%.2f", seconds)) s over all threads = \(String(format: "%.2f", seconds * 1e6 / Double(events))) µs per event"
    }

    /// Runs the projector runtime over `topic` in a fresh group (replay mode) until every record
    /// (and every forwarded counter input) is folded, and stops it: the time to process every
    /// record, the time to stop (final checkpoint) and the final status (``EndToEndRun``).
    func endToEnd(_ configuration: ProcessConfiguration, bootstrap: String, topic: String, group: String, total: Int,
                  repartition: Bool = true, properties: KafkaClientProperties = KafkaClientProperties()) async throws -> EndToEndRun {
        var runtimeConfiguration = RuntimeConfiguration(bootstrapServers: bootstrap, process: configuration)
        runtimeConfiguration.kafkaProperties = properties
        runtimeConfiguration.repartitionCounters = repartition
        runtimeConfiguration.prefetchRecords = try PrefetchOption.parse(prefetch)
        if let foldThreads { runtimeConfiguration.foldThreads = foldThreads }
        runtimeConfiguration.topic = topic
        runtimeConfiguration.group = group
        // Alerts and dead letters to topics of the run's own, as its repartition topics are: on a
        // cluster that `run` also uses (--bootstrap), a measurement adds nothing to the topics
        // its readers read.
        runtimeConfiguration.alertsTopic = "salespulse.\(group).alerts"
        runtimeConfiguration.deadLetterTopic = "salespulse.\(group).dlq"
        runtimeConfiguration.live = false
        runtimeConfiguration.checkpointIntervalMilliseconds = 3_600_000
        runtimeConfiguration.stateDirectory = NSTemporaryDirectory() + "salespulse-bench-\(group)-\(ProcessInfo.processInfo.processIdentifier)"
        runtimeConfiguration.validation.maxFutureSkewMilliseconds = Int64.max / 4
        defer { try? FileManager.default.removeItem(atPath: runtimeConfiguration.stateDirectory) }
        let runtime = try ProjectorRuntime(configuration: runtimeConfiguration)
        let running = Task { try await runtime.run() }
        var start: ContinuousClock.Instant?
        var cpuStart = 0.0
        var threadsStart: ThreadCPU?
        var loopStart = ConsumeLoopTime()
        // Polls the cheap consumed counts (a full status takes the partition lock): every input
        // record, and every counter input forwarded to the repartition topics folded there.
        var progress = StallWatch(what: "the end-to-end run (group \(group))", of: total, topic: topic)
        while true {
            let consumed = runtime.recordsConsumed
            let repartition = runtime.repartitionProgress
            if start == nil && consumed > 0 { start = .now; cpuStart = CPUTime.process(); threadsStart = ThreadCPU.now(); loopStart = runtime.loopTime }
            if consumed >= total && repartition.consumed >= repartition.forwarded { break }
            do { try progress.note(consumed + repartition.consumed) } catch {
                runtime.stop()
                _ = try? await running.value
                throw error
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        let processed = ContinuousClock.now - start!
        let cpu = CPUTime.process() - cpuStart
        let split = threadsStart.flatMap { earlier in ThreadCPU.now()?.seconds(since: earlier) }
        let loop = runtime.loopTime.since(loopStart)
        let stopStart = ContinuousClock.now
        runtime.stop()
        try await running.value
        let stopping = ContinuousClock.now - stopStart
        // The next round should not share the cores with the freeing of this one's state.
        runtime.waitUntilStateReleased()
        return EndToEndRun(processed: processed, stopping: stopping, status: runtime.statusAtShutdown()!, cpuSeconds: cpu, threads: split, loop: loop)
    }
}
