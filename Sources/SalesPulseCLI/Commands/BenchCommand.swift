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
                   medians and each round's share of the raw rate); with
                   --bootstrap, on a topic of that cluster that holds its
                   events already (--topic), publishing nothing
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

    @Option(help: "Process configuration for the fold and kafka stages; without a deploy/config/salespulse.yaml in this folder, the copy built into salespulse.")
    var config: String = BuiltInConfiguration.path

    @Option(help: "Stages to run, comma-separated: decode, fold, process, kafka, latency, memory, groups, alerts.")
    var stages: String = "decode,fold,kafka,latency"

    @Option(help: "Events per second for the latency stage.")
    var latencyRate: Int = 10_000

    @Option(help: "Seconds the latency stage publishes for.")
    var latencySeconds: Int = 10

    @Option(help: "Checkpoint interval of the latency stage's runtime, in milliseconds (default: none during the run).")
    var latencyCheckpointMilliseconds: Int64 = 3_600_000

    @Option(help: "Events for the kafka stage (the embedded broker keeps ~5 MiB per partition). The raw rate falls as the topic grows: the embedded broker finds each fetch's message set by walking the partition's message sets from the first, so both consumers pay more per record on larger topics (BENCHMARKS.md, session 54).")
    var kafkaEvents: Int = 400_000

    @Option(help: "Partitions of the kafka stage's topic.")
    var partitions: Int = 64

    @Option(name: .customLong("publish-linger-ms"), help: "linger.ms of the producer that publishes the kafka stage's events (default 5, librdkafka's, so that figures compare with earlier sessions'; `salespulse publish` lingers 100). Longer lingering writes fewer, larger message sets; both consumers then pay less per record (see BENCHMARKS.md).")
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

    @Option(help: ArgumentHelp("Run the kafka stage on a topic that already holds events, on this cluster (HOST:PORT[,HOST:PORT...]; e.g. `salespulse broker` after `salespulse publish`), instead of generating and publishing samples to an embedded broker of its own: the raw consumer and each end-to-end run read every record the topic holds, each in a consumer group of its own named after this process (bench-raw-<pid>-…), so the groups of a running `salespulse run` are untouched; the end-to-end runs write their alerts, dead letters and repartitioned inputs to topics named after their groups (salespulse.<group>.alerts, .dlq, .repartition.<key>), not to those `run` writes. A broker in another process is not part of the CPU figures.", valueName: "servers"))
    var bootstrap: String?

    @Option(help: "The topic --bootstrap measures.")
    var topic: String = "sales.events"

    /// librdkafka settings for --bootstrap's cluster (a secured one), as `run` takes them.
    @OptionGroup var kafka: KafkaPropertyOptions

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
        if let bootstrap {
            _ = try RunCommand.bootstrapServers(bootstrap)
            guard !topic.isEmpty else { throw ValidationError("--topic: expected the name of the topic --bootstrap measures") }
            if eventsFile != nil { throw ValidationError("--events-file: with --bootstrap the kafka stage reads the records --topic holds and publishes nothing; publish the file first (salespulse publish --bootstrap \(bootstrap) --topic \(topic) FILE)") }
            if repartitionPartitions != nil { throw ValidationError("--repartition-partitions: with --bootstrap the runtime finds or creates its repartition topics on that cluster itself, as `run` does") }
            // Checked now, not after the stages before the kafka stage have run for minutes.
            _ = try kafka.properties()
        } else if kafka.file != nil || !kafka.assignments.isEmpty {
            throw ValidationError("--kafka-config and --kafka-property set up the clients for --bootstrap's cluster; without --bootstrap the kafka stage runs on an embedded broker of its own, which needs none")
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

    /// A duration in milliseconds, with their fraction.
    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// A duration in seconds, with their fraction.
    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// `count` events over `duration`, in whole events per second.
    func rate(_ count: Int, _ duration: Duration) -> String {
        String(Int(Double(count) / seconds(duration)))
    }
}
