import ArgumentParser
import Foundation
import SalesPulseModel
import SalesPulseKafka
import SalesPulseProjections
import SalesPulseRuntime
import SalesPulseServer
import Synchronization

/// `salespulse bench`: measures the hot path and prints figures.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the hot path stage by stage, up to the end-to-end job on the embedded broker.",
        discussion: """
        Stages (--stages, comma-separated; default: decode,fold,kafka,latency):
          decode   decode and validate sample events, one core
          fold     the flow projection on pre-decoded events, one core
          process  the per-record work without Kafka, one core: decode,
                   validate, de-duplicate, fold, counters and keyed rules
                   over --partitions projectors (--process-runs)
          kafka    end to end on the embedded broker: the raw librdkafka
                   consume rate of a topic, then the projector runtime on
                   the same topic through decode, validation,
                   de-duplication, all projections and timers to
                   checkpointed state (--kafka-runs; --kafka-rounds gives
                   medians and each round's share of the raw rate)
          latency  publish to Server-Sent Event latency at a fixed rate
          memory   resident memory of flow state for 1,000,000 customers
          groups   the cost of a counter with 10,000 active group keys
          alerts   alert changes written as alerts-topic records (the
                   CloudEvents JSON the runtime publishes), one core
        Prints events/s (and CPU per event) per stage. Build with -c release
        for meaningful figures; BENCHMARKS.md records them with commands.
        """
    )

    @Option(help: "Events per round.")
    var events: Int = 1_000_000

    @Option(help: "Rounds per stage (the best is reported).")
    var rounds: Int = 5

    @Option(help: "Process configuration for the fold and kafka stages.")
    var config: String = "deploy/config/salespulse.yaml"

    @Option(help: "Stages to run, comma-separated: decode, fold, process, kafka, latency, memory, groups, alerts.")
    var stages: String = "decode,fold,kafka,latency"

    @Option(help: "Events per second for the latency stage.")
    var latencyRate: Int = 10_000

    @Option(help: "Seconds the latency stage publishes for.")
    var latencySeconds: Int = 10

    @Option(help: "Checkpoint interval of the latency stage's runtime, in milliseconds (default: none during the run).")
    var latencyCheckpointMilliseconds: Int64 = 3_600_000

    @Option(help: "Events for the kafka stage (the embedded broker keeps ~5 MiB per partition).")
    var kafkaEvents: Int = 400_000

    @Option(help: "Partitions of the kafka stage's topic.")
    var partitions: Int = 64

    @Option(name: .customLong("publish-linger-ms"), help: "linger.ms of the producer that publishes the kafka stage's events (librdkafka's default is 5). Longer lingering writes fewer, larger message sets; both consumers then pay less per record (see BENCHMARKS.md).")
    var publishLingerMilliseconds: Int = 5

    @Option(help: "End-to-end runs of the kafka stage, comma-separated: full (repartitioned, counters and rules), bare (without counters and rules), local (--no-repartition). Fewer runs make a profile of one of them.")
    var kafkaRuns: String = "full,bare,local"

    @Option(help: "Partitions of the full run's repartition topics, created with the topic (default: the embedded broker's automatic creation, which gives 4; a Kafka cluster's CreateTopics gives the input's count).")
    var repartitionPartitions: Int?

    @Option(help: "Rounds of the kafka stage, in one sitting on one published topic: each round measures the raw consume rate and then every --kafka-runs run, each in a fresh consumer group. With more than one, the medians and each round's share of its own raw rate are printed last.")
    var kafkaRounds: Int = 1

    @Option(help: "Runs of the process stage, comma-separated: local (counters and rules folded in the input partitions), bare (without counters and rules), repartitioned (counter inputs and rep exits forwarded and folded by repartitioned partitions, as `run` does by default).")
    var processRuns: String = "local,bare,repartitioned"

    @Option(help: "Look-ahead of the process stage's local and bare runs, comma-separated: full (the runtime's: the next record's customer and id, the customer slot of the one after), customers (the customers only), none. With several, each is a run of its own, their rounds taken in turn.")
    var lookAhead: String = "full"

    @Option(help: PrefetchOption.help)
    var prefetch: String = PrefetchOption.defaultValue

    @Option(help: "Threads that decode and fold batches in the kafka stage's end-to-end runs, as `run --fold-threads` (default: processor count, at most 4). One thread shows how much of the per-event cost two threads sharing the caches add.")
    var foldThreads: Int?

    @Option(name: .customLong("events-file"), help: ArgumentHelp("JSON Lines of events (one CloudEvent per line, as `publish` reads them) that the process and kafka stages fold instead of the generated samples, e.g. the soak's (`python3 scripts/soak.py --events 1000000 --customers 100000 --seed 7 --write-events FILE`): the work on a stream whose customers have open alerts and stuck steps. --events (process) and --kafka-events (kafka) cap the lines read.", valueName: "file"))
    var eventsFile: String?

    @Option(help: "Customers the sample events are spread over (decode, fold, process and kafka stages; 1–999999). With fewer customers more of the state stays in the CPU caches: comparing runs shows how much of the per-event cost is waiting for memory.")
    var customers: Int = 100_000

    func validate() throws {
        let known = ["decode", "fold", "process", "kafka", "latency", "memory", "groups", "alerts"]
        for stage in stages.split(separator: ",") where !known.contains(String(stage)) {
            throw ValidationError("--stages: unknown stage '\(stage)'; use \(known.joined(separator: ", ")) (comma-separated)")
        }
        // Counts and durations that a stage loops over or divides by: zero or less would crash it.
        for (option, value) in [("--events", events), ("--rounds", rounds), ("--latency-rate", latencyRate), ("--latency-seconds", latencySeconds),
                                ("--kafka-events", kafkaEvents), ("--partitions", partitions)] where value < 1 {
            throw ValidationError("\(option) must be 1 or more (got \(value))")
        }
        guard latencyCheckpointMilliseconds >= 1 else { throw ValidationError("--latency-checkpoint-milliseconds must be 1 or more (got \(latencyCheckpointMilliseconds))") }
        for run in kafkaRuns.split(separator: ",") where !["full", "bare", "local"].contains(run) {
            throw ValidationError("--kafka-runs: unknown run '\(run)'; use full, bare or local (comma-separated)")
        }
        _ = try PrefetchOption.parse(prefetch)
        if let foldThreads, foldThreads < 1 { throw ValidationError("--fold-threads must be 1 or more (got \(foldThreads))") }
        guard kafkaRounds >= 1 else { throw ValidationError("--kafka-rounds must be 1 or more") }
        if let repartitionPartitions, repartitionPartitions < 1 { throw ValidationError("--repartition-partitions must be 1 or more (got \(repartitionPartitions))") }
        if let eventsFile, !FileManager.default.isReadableFile(atPath: eventsFile) {
            throw ValidationError("--events-file \(eventsFile): no readable file there (write one with `python3 scripts/soak.py --write-events FILE`)")
        }
        guard (1...999_999).contains(customers) else { throw ValidationError("--customers must be 1 to 999999 (sample customer ids have six digits)") }
        guard publishLingerMilliseconds >= 0 else { throw ValidationError("--publish-linger-ms must be 0 or more (milliseconds)") }
        for run in processRuns.split(separator: ",") where !["local", "bare", "repartitioned"].contains(run) {
            throw ValidationError("--process-runs: unknown run '\(run)'; use local, bare or repartitioned (comma-separated)")
        }
        for mode in lookAhead.split(separator: ",") where ProcessStage.LookAhead(rawValue: String(mode)) == nil {
            throw ValidationError("--look-ahead: unknown mode '\(mode)'; use full, customers or none (comma-separated)")
        }
    }

    func run() async throws {
        Console.bootstrapLogging()
        Console.line("allocator: \(Allocator.description)")
        let wanted = Set(stages.split(separator: ",").map(String.init))
        let configuration = try Console.loadConfiguration(config)
        if wanted.contains("kafka") { try await kafkaStage(configuration) }
        if wanted.contains("latency") { try await latencyStage(configuration) }
        if wanted.contains("memory") { memoryStage(configuration) }
        if wanted.contains("groups") { CounterGroupsStage.run() }
        if wanted.contains("process") { processStage(configuration) }
        if wanted.contains("alerts") {
            Console.status("alerts: generating \(events) sample events…")
            AlertsStage.run(samples: SampleEvents.make(count: events, customers: customers), configuration: configuration, rounds: rounds)
        }
        guard wanted.contains("decode") || wanted.contains("fold") else { return }
        Console.status("generating \(events) sample events…")
        let samples = SampleEvents.make(count: events, customers: customers)
        let bytes = samples.reduce(0) { $0 + $1.count }
        Console.line("events: \(events), mean size: \(bytes / events) bytes")
        let decoder = EventDecoder()
        let reference = EventTime(epochMilliseconds: 1_900_000_000_000)
        let decode = DecodeStage.run(samples, rounds: rounds, decoder: decoder, reference: reference)
        let (best, bestCPU, bestParse, accepted) = (decode.best, decode.bestCPU, decode.bestParse, decode.accepted)
        Console.line("parse only (C/C++ shim, no Swift values; 1 core): \(rate(events, bestParse)) events/s = \(String(format: "%.0f", seconds(bestParse) / Double(events) * 1e9)) ns per event, of \(String(format: "%.0f", seconds(best) / Double(events) * 1e9)) ns for the whole decode")
        Console.line("decode+validate (simdjson, 1 core): \(rate(events, best)) events/s, \(String(format: "%.1f", Double(bytes) / seconds(best) / 1e6)) MB/s, accepted \(accepted)/\(events); \(Int(Double(events) / bestCPU)) events per CPU-second of the decoding thread")

        // Fold stage: the flow projection alone on pre-decoded events.
        guard wanted.contains("fold") else { return }
        let decoded = samples.compactMap { sample in sample.withUnsafeBytes { try? decoder.decode($0, referenceTime: reference) } }
        var bestFold = Duration.seconds(1_000_000)
        var folded = 0
        for round in 1...rounds {
            var projection = FlowProjection(configuration: configuration)
            let elapsed = ContinuousClock().measure {
                for event in decoded { projection.apply(event) }
            }
            folded = projection.customers.count
            bestFold = min(bestFold, elapsed)
            Console.status("fold round \(round): \(rate(decoded.count, elapsed)) events/s")
        }
        Console.line("flow projection fold (1 core, pre-decoded): \(rate(decoded.count, bestFold)) events/s over \(folded) customers")
    }

    /// The consume thread's per-record CPU work without Kafka, with and without counters and rules.
    func processStage(_ configuration: ProcessConfiguration) {
        guard let samples = stageEvents(count: events, stage: "process") else { return }
        let records = ProcessStage.records(samples, partitions: partitions)
        let events = records.count
        var bare = configuration
        bare.counters = []
        bare.counterRules = []
        bare.absenceRules = []
        bare.sequenceRules = []
        let runs = Set(processRuns.split(separator: ",").map(String.init))
        let lookAheads = lookAhead.split(separator: ",").compactMap { ProcessStage.LookAhead(rawValue: String($0)) }
        typealias Measurement = (wall: Duration, cpu: Double, statistics: PartitionStatistics)
        var variants: [(title: String, measure: () -> Measurement)] = []
        for (run, label, variant) in [("local", "with counters and rules", configuration), ("bare", "without counters and rules", bare)] where runs.contains(run) {
            for mode in lookAheads {
                let described = lookAheads.count > 1 || mode != .full ? ", look-ahead \(mode.rawValue)" : ""
                variants.append(("(decode, validate, dedupe, fold, counters, rules; 1 core, no Kafka) \(label)\(described)", {
                    ProcessStage.measure(records, partitions: partitions, configuration: variant, lookAhead: mode)
                }))
            }
        }
        if runs.contains("repartitioned") {
            // The runtime's default: counters and rep exits forwarded and folded by repartitioned partitions.
            variants.append(("repartitioned, as the runtime by default (counter inputs and rep exits forwarded in batch records and folded by the repartitioned partitions, both sides on 1 core, no Kafka)", {
                ProcessStage.measureRepartitioned(records, partitions: partitions, configuration: configuration)
            }))
        }
        // Rounds taken in turn, so that a slow phase of the machine does not fall on one variant.
        var best = [Duration](repeating: .seconds(1_000_000), count: variants.count)
        var bestCPU = [Double](repeating: .infinity, count: variants.count)
        var statistics = [PartitionStatistics](repeating: PartitionStatistics(), count: variants.count)
        for round in 1...rounds {
            for (index, variant) in variants.enumerated() {
                let (elapsed, cpu, tally) = variant.measure()
                best[index] = min(best[index], elapsed)
                bestCPU[index] = min(bestCPU[index], cpu)
                statistics[index] = tally
                let label = variants.count > 1 ? " [\(index + 1)/\(variants.count)]" : ""
                Console.status("process round \(round)\(label): \(rate(events, elapsed)) events/s (\(Int(Double(events) / cpu)) per CPU-second)")
            }
        }
        for (index, variant) in variants.enumerated() {
            let forwarded = statistics[index].repartitioned > 0 ? ", forwarded entries folded \(statistics[index].repartitioned)" : ""
            Console.line("process \(variant.title): \(rate(events, best[index])) events/s (\(Int(Double(events) / bestCPU[index])) per CPU-second), applied \(statistics[index].applied)\(forwarded), rejected \(statistics[index].rejected)")
        }
        // Checkpoint cost of the resulting state.
        let (_, _, projectors) = ProcessStage.fold(records, partitions: partitions, configuration: configuration)
        let checkpointed = projectors.reduce(0) { $0 + $1.projection.customers.count }
        let directory = NSTemporaryDirectory() + "salespulse-bench-checkpoints-\(ProcessInfo.processInfo.processIdentifier)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let (encode, write, read, bytes) = try ProcessStage.checkpoint(projectors, directory: directory)
            Console.line("checkpoint (1 core): \(partitions) partitions, \(checkpointed) customers, \(bytes) bytes: write \(Int(seconds(write) * 1000)) ms (\(String(format: "%.1f", seconds(write) * 1e6 / Double(max(1, checkpointed)))) µs per customer), of which encoding \(Int(seconds(encode) * 1000)) ms (\(String(format: "%.1f", seconds(encode) * 1e6 / Double(max(1, checkpointed)))) µs per customer: an in-place round's pause), read back \(Int(seconds(read) * 1000)) ms")
        } catch {
            Console.line("checkpoint failed: \(error)")
        }
    }

    /// The events a stage folds: at most `count` lines of `--events-file`, or `count` generated
    /// samples; nil (after saying why) when the file holds none.
    func stageEvents(count: Int, stage: String) -> [[UInt8]]? {
        guard let eventsFile else {
            Console.status("\(stage): generating \(count) sample events…")
            return SampleEvents.make(count: count, customers: customers)
        }
        Console.status("\(stage): reading up to \(count) events from \(eventsFile)…")
        guard let lines = ProcessStage.lines(of: eventsFile, limit: count), !lines.isEmpty else {
            Console.line("\(stage): \(eventsFile) holds no events (one JSON event per line)")
            return nil
        }
        return lines
    }

    /// Raw librdkafka consume rate vs the projector runtime, on one topic of the embedded broker.
    func kafkaStage(_ configuration: ProcessConfiguration) async throws {
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

        let bootstrap = cluster.bootstrapServers
        let total = samples.count
        let runs = Set(kafkaRuns.split(separator: ",").map(String.init))
        var rounds: [KafkaRound] = []
        for round in 1...kafkaRounds {
            let label = kafkaRounds > 1 ? "kafka round \(round)/\(kafkaRounds)" : "kafka"
            let suffix = kafkaRounds > 1 ? "-\(round)" : ""
            if let repartitionPartitions, runs.contains("full") {
                // The full run's group finds its repartition topics made.
                for attribute in Repartition.attributes(of: configuration) {
                    try cluster.createTopic(Repartition.topic(group: Self.fullRunGroup(suffix), attribute: attribute), partitions: repartitionPartitions)
                }
            }
            rounds.append(try await kafkaRound(configuration, bootstrap: bootstrap, total: total, runs: runs, label: label, groupSuffix: suffix))
        }
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

    /// One round of the kafka stage: the raw consume rate, then each requested end-to-end run,
    /// each in a fresh consumer group over the whole topic.
    /// The consumer group of a round's full end-to-end run (its repartition topics are named
    /// after it).
    static func fullRunGroup(_ suffix: String) -> String { "bench-runtime" + suffix }

    func kafkaRound(_ configuration: ProcessConfiguration, bootstrap: String, total: Int, runs: Set<String>, label: String, groupSuffix: String) async throws -> KafkaRound {
        // Raw ceiling: batch consume, each record's value length read and nothing else (as
        // librdkafka's rdkafka_performance and Kafka's consumer perf test count bytes): the
        // payload itself is never read, so the ceiling is the strictest one.
        let (raw, rawCPU, rawSplit) = try await DedicatedThread.run(name: "bench.raw") { () throws -> (Duration, Double, [ThreadCPU.Group: Double]?) in
            let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(bootstrapServers: bootstrap, groupID: "bench-raw" + groupSuffix), maxBatchSize: 4096)
            try consumer.subscribe(to: ["bench.events"])
            var seen = 0
            var checksum = 0
            var start: ContinuousClock.Instant?
            var cpuStart = 0.0
            var threadsStart: ThreadCPU?
            while seen < total {
                try consumer.consumeBatch(maxMessages: 4096, timeout: .milliseconds(10)) { batch in
                    if start == nil && !batch.isEmpty { start = .now; cpuStart = CPUTime.process(); threadsStart = ThreadCPU.now() }
                    for record in batch { checksum &+= record.value?.count ?? 0 }
                    seen += batch.count
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
            let run = try await endToEnd(configuration, bootstrap: bootstrap, group: Self.fullRunGroup(groupSuffix), total: total)
            let (processed, checkpointing, status, cpu, split) = (run.processed, run.stopping, run.status, run.cpuSeconds, run.threads)
            Console.line("\(label) end to end (decode, validate, dedupe, fold, timers): \(rate(total, processed)) events/s = \(String(format: "%.0f", 100 * seconds(raw) / seconds(processed)))% of raw; \(status.customers) customers, applied \(status.statistics.applied), rejected \(status.statistics.rejected)")
            Console.line("\(label) end to end: \(status.batches) batches, processing busy \(String(format: "%.2f", status.processingSeconds)) s of \(String(format: "%.2f", seconds(processed))) s wall = \(Int(Double(total) / status.processingSeconds)) events/s while busy; \(status.fetchWakeups) fetcher wake-ups (--prefetch \(prefetch))")
            Console.line("\(label) end to end: \(Self.cpuPerEvent(cpu, total)) (raw consume: \(String(format: "%.2f", rawCPU * 1e6 / Double(total))) µs)")
            if let split { Console.line("\(label) end to end: CPU by thread: \(ThreadCPU.describe(split, events: total))") }
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
            let bareRun = try await endToEnd(bare, bootstrap: bootstrap, group: "bench-runtime-bare" + groupSuffix, total: total)
            let (bareProcessed, bareStatus, bareCPU) = (bareRun.processed, bareRun.status, bareRun.cpuSeconds)
            Console.line("\(label) end to end \(described); without counters and rules: \(rate(total, bareProcessed)) events/s (\(Int(Double(total) / bareStatus.processingSeconds))/s while busy; \(Self.cpuPerEvent(bareCPU, total)))")
            round.bare = .init(rate: Double(total) / seconds(bareProcessed), cpu: bareCPU * 1e6 / Double(total))
        }
        if runs.contains("local") {
            // Counters folded in the input partitions (one instance; no repartition topics).
            let localRun = try await endToEnd(configuration, bootstrap: bootstrap, group: "bench-runtime-local" + groupSuffix, total: total, repartition: false)
            let (localProcessed, localCheckpointing, localStatus, localCPU) = (localRun.processed, localRun.stopping, localRun.status, localRun.cpuSeconds)
            Console.line("\(label) end to end without repartition topics (--no-repartition, one instance): \(rate(total, localProcessed)) events/s (\(Int(Double(total) / localStatus.processingSeconds))/s while busy); including the final checkpoint: \(rate(total, localProcessed + localCheckpointing)) events/s; \(Self.cpuPerEvent(localCPU, total))")
            round.local = .init(rate: Double(total) / seconds(localProcessed), cpu: localCPU * 1e6 / Double(total))
        }
        return round
    }

    /// Runs the projector over the whole topic in a fresh group (replay mode) and stops it:
    /// time to process every record, time to stop (final checkpoint), and the final status.
    /// CPU per event over a phase: all threads of this process (the embedded broker included).
    static func cpuPerEvent(_ seconds: Double, _ events: Int) -> String {
        "CPU \(String(format: "%.2f", seconds)) s over all threads = \(String(format: "%.2f", seconds * 1e6 / Double(events))) µs per event"
    }

    /// Runs the projector runtime over the bench topic until every record (and every forwarded
    /// counter input) is folded (see ``EndToEndRun``).
    func endToEnd(_ configuration: ProcessConfiguration, bootstrap: String, group: String, total: Int,
                  repartition: Bool = true) async throws -> EndToEndRun {
        var runtimeConfiguration = RuntimeConfiguration(bootstrapServers: bootstrap, process: configuration)
        runtimeConfiguration.repartitionCounters = repartition
        runtimeConfiguration.prefetchRecords = try PrefetchOption.parse(prefetch)
        if let foldThreads { runtimeConfiguration.foldThreads = foldThreads }
        runtimeConfiguration.topic = "bench.events"
        runtimeConfiguration.group = group
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
        while true {
            let consumed = runtime.recordsConsumed
            let repartition = runtime.repartitionProgress
            if start == nil && consumed > 0 { start = .now; cpuStart = CPUTime.process(); threadsStart = ThreadCPU.now(); loopStart = runtime.loopTime }
            if consumed >= total && repartition.consumed >= repartition.forwarded { break }
            try await Task.sleep(for: .milliseconds(2))
        }
        let processed = ContinuousClock.now - start!
        let cpu = CPUTime.process() - cpuStart
        let split = threadsStart.flatMap { earlier in ThreadCPU.now()?.seconds(since: earlier) }
        let loop = runtime.loopTime.since(loopStart)
        let stopStart = ContinuousClock.now
        runtime.stop()
        try await running.value
        return EndToEndRun(processed: processed, stopping: ContinuousClock.now - stopStart, status: runtime.statusAtShutdown()!, cpuSeconds: cpu, threads: split, loop: loop)
    }

    /// Publish → Server-Sent Event latency: step.entered events at a fixed rate to the embedded
    /// broker, the runtime in live mode, and an SSE client on the HTTP endpoint receiving the
    /// matching step changes. Each customer id carries its publish sequence number.
    func latencyStage(_ configuration: ProcessConfiguration) async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("latency.events", partitions: 4)
        var runtimeConfiguration = RuntimeConfiguration(bootstrapServers: cluster.bootstrapServers, process: configuration)
        runtimeConfiguration.topic = "latency.events"
        runtimeConfiguration.group = "bench-latency"
        runtimeConfiguration.stateDirectory = NSTemporaryDirectory() + "salespulse-latency-\(ProcessInfo.processInfo.processIdentifier)"
        runtimeConfiguration.checkpointIntervalMilliseconds = latencyCheckpointMilliseconds
        let runtime = try ProjectorRuntime(configuration: runtimeConfiguration)
        let hub = LiveEventHub()
        let sent = Mutex<[Int: ContinuousClock.Instant]>([:])
        let projected = Mutex<[Double]>([])
        runtime.onOutputs { outputs in
            // Publish → projection updated, for the breakdown.
            let now = ContinuousClock.now
            for case .stepChanged(let customer, _, _, _, _) in outputs {
                if let sequence = Int(customer.dropFirst(4)), let start = sent.withLock({ $0[sequence] }) {
                    projected.withLock { $0.append(Self.milliseconds(now - start)) }
                }
            }
        }
        runtime.onOutputs { hub.publish($0) }
        let web = HTTPService(server: SalesPulseHTTPServer(queries: runtime, hub: hub), host: "127.0.0.1", port: 0)
        let serving = Task { try await web.run() }
        let port = try await web.waitUntilListening()
        let running = Task { try await runtime.run() }
        while !runtime.isReady { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(500))

        let total = latencyRate * latencySeconds
        let received = Mutex<[Double]>([])
        let clientDone = StopSignal()
        // The SSE client: a raw loopback connection reading the stream.
        DedicatedThread.start(name: "bench.sse") {
            LoopbackSSEClient.stream(port: port, path: "/v1/stream?topics=steps", shouldStop: { clientDone.isStopped }) { data in
                guard let range = data.range(of: "\"customer\":\"lat-"), let end = data[range.upperBound...].firstIndex(of: "\"") else { return }
                guard let sequence = Int(data[range.upperBound..<end]) else { return }
                let now = ContinuousClock.now
                if let start = sent.withLock({ $0[sequence] }) {
                    received.withLock { $0.append(Self.milliseconds(now - start)) }
                }
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        Console.status("latency: publishing \(total) events at \(latencyRate)/s…")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        let start = ContinuousClock.now
        for sequence in 0..<total {
            let due = start + .microseconds(Int64(sequence) * 1_000_000 / Int64(latencyRate))
            if due > .now { try await Task.sleep(until: due, clock: .continuous) }
            let millis = Int64(Date().timeIntervalSince1970 * 1000)
            let customer = "lat-\(sequence)"
            let json = #"{"specversion":"1.0","id":"lat-\#(sequence)","source":"bench","type":"sales.step.entered","time":"\#(EventTime(epochMilliseconds: millis).rfc3339UTC)","subject":"\#(customer)","repid":"rep-0001","data":{"flow":"academic","step":"dept_visit"}}"#
            sent.withLock { $0[sequence] = .now }
            try producer.enqueue(KafkaOutgoingMessage(topic: "latency.events", key: customer, value: json))
        }
        try producer.flush(timeout: .seconds(30))
        let deadline = ContinuousClock.now + .seconds(10)
        while received.withLock({ $0.count }) < total && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        clientDone.stop()
        let latencies = received.withLock { $0 }.sorted()
        producer.close()
        runtime.stop()
        try await running.value
        await web.shutdown()
        _ = try? await serving.value
        try? FileManager.default.removeItem(atPath: runtimeConfiguration.stateDirectory)
        guard !latencies.isEmpty else { throw ValidationError("latency: no events came back over SSE") }
        func percentile(_ values: [Double], _ p: Double) -> String { String(format: "%.1f", values[min(values.count - 1, Int(Double(values.count) * p))]) }
        Console.line("latency publish → SSE at \(latencyRate) events/s for \(latencySeconds) s: p50 \(percentile(latencies, 0.5)) ms, p99 \(percentile(latencies, 0.99)) ms, max \(String(format: "%.1f", latencies.last!)) ms (\(latencies.count) of \(total) received)")
        let updated = projected.withLock { $0 }.sorted()
        if !updated.isEmpty {
            Console.line("latency publish → projection updated (same run): p50 \(percentile(updated, 0.5)) ms, p99 \(percentile(updated, 0.99)) ms, max \(String(format: "%.1f", updated.last!)) ms")
        }
    }

    /// Resident memory of flow state for 1,000,000 customers: each customer gets a lead, a step
    /// entry, an action with evidence and a field update (4,000,000 events), folded in batches.
    func memoryStage(_ configuration: ProcessConfiguration) {
        let customers = 1_000_000
        let decoder = EventDecoder()
        let reference = EventTime(epochMilliseconds: 1_900_000_000_000)
        var projection = FlowProjection(configuration: configuration)
        let before = Self.residentBytes()
        let base: Int64 = 1_772_413_200_000
        for round in 0..<4 {
            for index in 0..<customers {
                let time = Self.memoryEventTime(round: round, index: index, base: base)
                let data: String
                let type: String
                switch round {
                case 0: (type, data) = ("sales.lead.created", #"{"channel":"wechat","contactMode":"visit"}"#)
                case 1: (type, data) = ("sales.step.entered", #"{"flow":"academic","step":"dept_visit"}"#)
                case 2: (type, data) = ("sales.action.completed", #"{"flow":"academic","step":"dept_visit","action":"photo_badge","evidence":{"photo":{"hash":"sha256:9f86d081884c7d65","capturedAt":"\#(time)"},"location":{"lat":31.2,"lon":121.4,"accuracyM":18}}}"#)
                default: (type, data) = ("sales.field.updated", #"{"field":"latest_need","value":"spine","previous":null}"#)
                }
                let json = Self.memoryEvent(round: round, index: index, type: type, data: data, base: base)
                if let event = try? decoder.decode(json, referenceTime: reference) { projection.apply(event) }
            }
            Console.status("memory: round \(round + 1)/4 folded")
        }
        let after = Self.residentBytes()
        let perCustomer = Double(after - before) / Double(projection.customers.count)
        Console.line("memory: \(projection.customers.count) customers with flow state, 4 events each: +\(String(format: "%.0f", Double(after - before) / 1_048_576)) MiB resident (\(String(format: "%.0f", perCustomer)) bytes per customer; a customer's state record is \(MemoryLayout<CustomerState>.stride) bytes inline, a flow state \(MemoryLayout<FlowState>.stride), a step visit \(MemoryLayout<StepVisit>.stride))")
        keyedRuleMemory(customers: customers, configuration: configuration, decoder: decoder, reference: reference, base: base)
        withExtendedLifetime(projection) {}
    }

    /// The keyed rules' share: one message per customer arms the configuration's absence rules
    /// that a message triggers (the shipped one: no interaction for 90 days), so every customer
    /// holds a pending entry, as in a live book of accounts.
    private func keyedRuleMemory(customers: Int, configuration: ProcessConfiguration, decoder: EventDecoder, reference: EventTime, base: Int64) {
        var rules = KeyedRuleProjection()
        let before = Self.residentBytes()
        for index in 0..<customers {
            let json = Self.memoryEvent(round: 4, index: index, type: "sales.message.sent", data: #"{"channel":"wechat"}"#, base: base)
            if let event = try? decoder.decode(json, referenceTime: reference) { _ = rules.apply(event, outputs: [], configuration: configuration) }
        }
        let after = Self.residentBytes()
        let entries = rules.pending.values.reduce(0) { $0 + $1.count }
        guard entries > 0 else {
            Console.line("memory: keyed rules: no absence rule of the configuration is armed by a message; nothing pending to measure")
            return
        }
        Console.line("memory: keyed rules, \(entries) pending absences (one message per customer): +\(String(format: "%.0f", Double(after - before) / 1_048_576)) MiB resident (\(String(format: "%.0f", Double(after - before) / Double(entries))) bytes per entry; an entry is \(MemoryLayout<KeyedRuleProjection.Pending>.stride) bytes inline, plus its timer)")
        withExtendedLifetime(rules) {}
    }

    /// The time of the memory stage's event for customer `index` in `round` (an hour per round).
    static func memoryEventTime(round: Int, index: Int, base: Int64) -> String {
        EventTime(epochMilliseconds: base + Int64(round) * 3_600_000 + Int64(index)).rfc3339UTC
    }

    /// The memory stage's event of `type` with payload `data` for customer `index` in `round`.
    static func memoryEvent(round: Int, index: Int, type: String, data: String, base: Int64) -> String {
        let customer = "cust-\(SampleEvents.pad(index, 7))"
        let time = memoryEventTime(round: round, index: index, base: base)
        return #"{"specversion":"1.0","id":"m-\#(round)-\#(index)","source":"bench","type":"\#(type)","time":"\#(time)","subject":"\#(customer)","repid":"rep-\#(SampleEvents.pad(index % 320 + 1, 4))","region":"east","data":\#(data)}"#
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    func rate(_ count: Int, _ duration: Duration) -> String {
        String(Int(Double(count) / seconds(duration)))
    }
}
