import ArgumentParser
import Foundation
import SalesPulseKafka
import SalesPulseModel
import SalesPulseRuntime
import SalesPulseServer

/// `salespulse run`: the projector service.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Consume sales events, fold them into projections, emit alerts, checkpoint state.",
        discussion: """
        Joins consumer group --group on --topic. Invalid events go to <topic>.dlq with a \
        salespulse-error header; alerts go to salespulse.alerts as CloudEvents. Partition state is \
        checkpointed (LZ4, atomic) in --state-dir/<group> every --checkpoint-interval and on \
        SIGINT/SIGTERM; a restart resumes from the checkpoints, unless they were taken on another \
        Kafka cluster or with another configuration (then the partitions are rebuilt from the log). \
        Run more instances with the same --group to scale out (with a shared --state-dir, a \
        partition that moves is restored rather than replayed). Prints a status line every --status-interval seconds on stderr: the counts, the \
        watermark, and how the consume loop's time divided over the interval between folding, \
        taking records from Kafka, queueing outputs, ticks, checkpoint rounds and waiting for \
        records (mostly folding: short of CPU; mostly waiting: headroom).

        With --http, each instance publishes the partitions it owns to salespulse.<group>.members \
        and follows the others': GET /v1/customers/{id} for a customer owned by another instance \
        answers 307 with that instance's URL (--advertise, default http://<--http>). Set \
        --partitioner to how upstream producers partition keys (consistent = librdkafka default, \
        murmur2 = Java client default).
        """
    )

    @Option(help: "Kafka bootstrap servers, HOST:PORT[,...].")
    var bootstrap: String

    @Option(help: "Process configuration (YAML); without a deploy/config/salespulse.yaml in this folder, the copy built into salespulse.")
    var config: String = BuiltInConfiguration.path

    @Option(help: "Input topic.")
    var topic: String = "sales.events"

    @Option(help: "Consumer group.")
    var group: String = RuntimeConfiguration.defaultGroup

    @Option(help: "Checkpoint folder; each group keeps its checkpoints in a folder of its own in it.")
    var stateDir: String = "state"

    @Option(help: "Checkpoint interval, e.g. 5s.")
    var checkpointInterval: String = "5s"

    @Option(help: "Serve the HTTP API and dashboard on HOST:PORT (loopback recommended), e.g. 127.0.0.1:8080.")
    var http: String?

    @Option(help: "URL other instances redirect to for customers this instance owns (default: http://<--http>).")
    var advertise: String?

    @Option(help: "How upstream producers map keys to partitions: consistent (librdkafka default) or murmur2 (Java default).")
    var partitioner: String = "consistent"

    @Flag(help: "Replay mode: timers advance on event time only (no wall clock).")
    var replay = false

    @Flag(inversion: .prefixedNo, help: "Fold counters through repartition topics salespulse.<group>.repartition.<attribute> (exact with several instances). --no-repartition folds them in the input partitions: exact only when one instance owns every partition.")
    var repartition = true

    @Option(help: "Partitions of the repartition topics when this instance creates them (default: the input topic's). Fewer cost the clients and brokers less; at most that many instances share the counter groups. Existing topics keep theirs.")
    var repartitionPartitions: Int?

    @OptionGroup var kafka: KafkaPropertyOptions

    @Option(help: "Replication factor of the topics this instance creates: the repartition topics, and the dead-letter, alerts and membership topics when they are missing. Default: the cluster's default.replication.factor (Kafka 2.4 and later; before it, 3, or the broker count when smaller). Existing topics keep theirs.")
    var replicationFactor: Int?

    @Option(help: "How long the group waits for a silent instance (killed, or cut off) before its partitions move, e.g. 10s. Default: 10s on a Kafka cluster; 4s on the embedded broker, which holds every rebalance for this long less a second.")
    var sessionTimeout: String?

    @Option(help: "Threads that decode and fold batches (default: processor count, at most 4).")
    var foldThreads: Int?

    @Option(help: "Seconds between status lines (0 to disable).")
    var statusInterval: Int = 5

    @Option(help: PrefetchOption.help)
    var prefetch: String = PrefetchOption.defaultValue

    /// `--bootstrap`, checked: a comma-separated list of brokers (`HOST:PORT`, or a host alone
    /// for port 9092), none of them empty or with spaces.
    static func bootstrapServers(_ text: String) throws -> String {
        let brokers = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !text.isEmpty, brokers.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else {
            throw ValidationError("--bootstrap '\(text)': expected brokers as HOST:PORT[,HOST:PORT...], e.g. 127.0.0.1:9092 (`salespulse broker` prints one)")
        }
        return text
    }

    /// `--session-timeout`'s milliseconds: a duration from 2s (more than the heartbeat interval,
    /// a second) to 1h (librdkafka's largest).
    static func sessionTimeoutMilliseconds(_ text: String) throws -> Int {
        guard let milliseconds = DurationText.milliseconds(text), (2_000...3_600_000).contains(milliseconds) else {
            throw ValidationError("--session-timeout \(text): expected a duration from 2s to 1h, such as 10s (heartbeats go every second)")
        }
        return Int(milliseconds)
    }

    /// `--replication-factor`, checked: 1 to 32767 (Kafka's largest).
    static func replicationFactor(_ value: Int) throws -> Int {
        guard (1...RuntimeConfiguration.maximumReplicationFactor).contains(value) else {
            throw ValidationError("--replication-factor \(value): expected 1 to \(RuntimeConfiguration.maximumReplicationFactor) copies of each partition (leave it out for the cluster's default.replication.factor)")
        }
        return value
    }

    func run() async throws {
        Console.bootstrapLogging()
        let process = try Console.loadConfiguration(config)
        guard let interval = DurationText.milliseconds(checkpointInterval), interval > 0 else {
            throw ValidationError("--checkpoint-interval \(checkpointInterval): expected a duration such as 5s")
        }
        guard !group.isEmpty else { throw ValidationError("--group: expected a consumer group id, e.g. salespulse (instances with one group share the partitions)") }
        guard !topic.isEmpty else { throw ValidationError("--topic: expected the input topic's name, e.g. sales.events") }
        var configuration = RuntimeConfiguration(bootstrapServers: try Self.bootstrapServers(bootstrap), process: process)
        configuration.kafkaProperties = try kafka.properties()
        configuration.topic = topic
        configuration.group = group
        configuration.stateDirectory = stateDir
        configuration.checkpointIntervalMilliseconds = interval
        configuration.live = !replay
        configuration.repartitionCounters = repartition
        if let repartitionPartitions {
            guard repartitionPartitions >= 1 else { throw ValidationError("--repartition-partitions \(repartitionPartitions): expected 1 or more") }
            configuration.repartitionPartitions = repartitionPartitions
        }
        if let replicationFactor { configuration.topicReplicationFactor = try Self.replicationFactor(replicationFactor) }
        configuration.prefetchRecords = try PrefetchOption.parse(prefetch)
        if let sessionTimeout { configuration.sessionTimeoutMilliseconds = try Self.sessionTimeoutMilliseconds(sessionTimeout) }
        if let foldThreads {
            guard foldThreads >= 1 else { throw ValidationError("--fold-threads \(foldThreads): expected 1 or more") }
            configuration.foldThreads = foldThreads
        }
        guard let keyPartitioner = KafkaPartitioner(rawValue: partitioner) else {
            throw ValidationError("--partitioner \(partitioner): expected consistent or murmur2")
        }
        configuration.keyPartitioner = keyPartitioner
        if let http {
            guard let (host, port) = HTTPService.parse(address: http) else { throw ValidationError("--http \(http): expected HOST:PORT") }
            configuration.advertisedURL = advertise ?? "http://\(host):\(port)"
        }
        let runtime: ProjectorRuntime
        do {
            runtime = try ProjectorRuntime(configuration: configuration)
        } catch let error as RuntimeConfigurationError {
            throw ValidationError(error.description)
        }
        var web: HTTPService?
        var serving: Task<Void, any Error>?
        if let http {
            guard let (host, port) = HTTPService.parse(address: http) else { throw ValidationError("--http \(http): expected HOST:PORT") }
            let hub = LiveEventHub()
            runtime.onOutputs { hub.publish($0) }
            let service = HTTPService(server: SalesPulseHTTPServer(queries: runtime, hub: hub), host: host, port: port)
            web = service
            serving = Task { try await service.run() }
            do {
                Console.status("serving http://\(host):\(try await service.waitUntilListening())/")
            } catch {
                throw ValidationError("--http \(http): \(error)")
            }
        }
        Console.status("consuming \(topic) in group \(group) (allocator: \(Allocator.description))")
        let statusInterval = self.statusInterval
        let reporter = Task {
            guard statusInterval > 0 else { return }
            // Each line's loop shares cover the interval since the previous line.
            var previous = ConsumeLoopTime()
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(statusInterval))
                let status = runtime.status()
                Console.status(StatusLine.render(status, loop: status.loopTime.since(previous)))
                previous = status.loopTime
            }
        }
        Task {
            await SignalWaiter.waitForTermination()
            Console.status("stopping…")
            runtime.stop()
        }
        try await runtime.run()
        reporter.cancel()
        await web?.shutdown()
        _ = try? await serving?.value
        Console.status("stopped: \(StatusLine.render(runtime.statusAtShutdown() ?? runtime.status()))")
    }
}
