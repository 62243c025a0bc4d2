import ArgumentParser
import Foundation
import Logging
import SalesPulseKafka
import SalesPulseModel
import SalesPulseRuntime

/// `salespulse broker`: runs the embedded Kafka broker until SIGINT/SIGTERM.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the embedded Kafka broker (librdkafka mock cluster) on 127.0.0.1.",
        discussion: """
        Prints one line `bootstrap: HOST:PORT[,HOST:PORT...]` on stdout, then serves until SIGINT or \
        SIGTERM. Any Kafka client (kcat, confluent-kafka, salespulse) can produce, consume and use \
        consumer groups against it. Data lives in memory only, about 5 MiB per partition: older \
        records are dropped, and the broker says so on stderr, once per topic, with a partition \
        count that would have kept them. The input topic sales.events is created with 64 \
        partitions (about 5 million events of the soak's size kept, where the broker's automatic \
        creation gives a topic 4); name it with --topic for another count. The topics `run` \
        writes to, salespulse.alerts and each input's dead-letter topic <input>.dlq, are created \
        with 16 (about 80 MiB each) unless --topic names them, and so are the repartition \
        topics of the default group salespulse (for the counters of --config, or of the \
        configuration built into salespulse) unless --repartition-for names the group. \
        With --port, a forwarder on 127.0.0.1:PORT leads clients to the cluster (clients bootstrap \
        there, then talk to the brokers' own ports, as advertised in metadata).
        """
    )

    @Option(help: "Number of brokers in the cluster (1-32).")
    var brokers: Int = 1

    @Option(help: "A fixed bootstrap port on 127.0.0.1 (the brokers themselves use ephemeral ports).")
    var port: Int?

    @Option(name: .customLong("topic"), help: "Create a topic at start, as NAME or NAME:PARTITIONS (repeatable).")
    var topics: [String] = []

    @Option(name: .customLong("repartition-for"),
            help: ArgumentHelp("Create the repartition topics `salespulse run --group GROUP` uses for the counters of --config, with PARTITIONS each, as GROUP:PARTITIONS (repeatable).",
                               discussion: "This broker cannot create topics on request: `run` would get them created automatically with 4 partitions, which cap how many instances share the counter groups and hold only about 20 MiB a topic."))
    var repartitionGroups: [String] = []

    @Option(help: "Process configuration whose counters --repartition-for (and the default group) create topics for; without a deploy/config/salespulse.yaml in this folder, the copy built into salespulse.")
    var config: String = BuiltInConfiguration.path

    func validate() throws {
        for spec in topics { _ = try Self.topic(spec) }
        for spec in repartitionGroups { _ = try Self.repartitionGroup(spec) }
    }

    /// A `--topic` value, NAME or NAME:PARTITIONS (4 partitions when not given).
    static func topic(_ spec: String) throws -> (name: String, partitions: Int) {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        let partitions = parts.count == 2 ? Int(parts[1]) : parts.count == 1 ? 4 : nil
        guard let partitions, partitions > 0, let name = parts.first, !name.isEmpty else {
            throw ValidationError("--topic \(spec): expected NAME or NAME:PARTITIONS with PARTITIONS > 0")
        }
        return (String(name), partitions)
    }

    /// A `--repartition-for` value, GROUP:PARTITIONS.
    static func repartitionGroup(_ spec: String) throws -> (group: String, partitions: Int) {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let partitions = Int(parts[1]), partitions > 0 else {
            throw ValidationError("--repartition-for \(spec): expected GROUP:PARTITIONS with PARTITIONS > 0, e.g. salespulse:64")
        }
        return (String(parts[0]), partitions)
    }

    func run() async throws {
        Console.bootstrapLogging()
        let cluster = try EmbeddedKafkaCluster(brokers: brokers)
        try createTopics(in: cluster)
        var bootstrap = cluster.bootstrapServers
        var forwarder: BootstrapForwarder?
        if let port {
            guard (1...65535).contains(port) else { throw ValidationError("--port \(port): expected 1-65535") }
            let first = cluster.bootstrapServers.split(separator: ",")[0]
            let target = first.split(separator: ":")
            forwarder = try BootstrapForwarder(listenPort: UInt16(port), targetPort: UInt16(target[1])!)
            bootstrap = "127.0.0.1:\(port)"
        }
        Console.line("bootstrap: \(bootstrap)")
        let watch = try RetentionWatch(bootstrap: cluster.bootstrapServers)
        watch.start()
        await SignalWaiter.waitForTermination()
        watch.stop()
        forwarder?.stop()
        cluster.shutdown()
        Console.status("broker stopped")
    }

    /// The topic `publish`, `run` and the simulator use unless told otherwise.
    static let defaultInputTopic = "sales.events"
    /// Partitions of ``defaultInputTopic`` when no `--topic` names it: the broker keeps about
    /// 5 MiB a partition (about 94,000 of the soak's events), and its automatic creation gives
    /// 4, which a few hundred thousand events published before `run` starts outgrow. 64 keep
    /// about 5 million (4.8 – 6 million of the soak's events in the tries of BENCHMARKS.md
    /// sessions 46 and 48: how well LZ4 compresses the publisher's batches decides), so a backlog
    /// of a few million published before any instance starts is whole (32 kept about 3 million;
    /// `run` folds 32 or 64 at about the same rate).
    static let defaultInputPartitions = 64

    /// Partitions of the topics `run` writes to (``outputTopics(of:)``) when no `--topic` names
    /// them. The broker's automatic creation gives 4, about 20 MiB: the alerts of the soak's
    /// 3,000,000 events outgrew that, and the broker dropped the oldest 28 % of them before any
    /// reader of the alerts topic came (session 60). 16 keep about 80 MiB, the alerts of some ten
    /// million such events.
    static let outputPartitions = 16

    /// The topics `run` writes to that the broker creates when `--topic` does not name them:
    /// `salespulse.alerts`, and the dead-letter topic `<input>.dlq` of every input topic among
    /// `created` (any but the runtime's own `salespulse.…` topics and dead-letter topics).
    static func outputTopics(of created: Set<String>) -> [String] {
        let inputs = created.filter { !$0.hasPrefix("salespulse.") && !$0.hasSuffix(".dlq") }
        return ([AlertEvent.topic] + inputs.map(DeadLetter.topic(for:))).filter { !created.contains($0) }.sorted()
    }

    /// Creates the topics of `--topic` (``defaultInputTopic`` with ``defaultInputPartitions``
    /// unless one names it) and the repartition topics of `--repartition-for`.
    func createTopics(in cluster: EmbeddedKafkaCluster) throws {
        var created: Set<String> = []
        for spec in topics {
            let (name, partitions) = try Self.topic(spec)
            try cluster.createTopic(name, partitions: partitions)
            created.insert(name)
        }
        if !created.contains(Self.defaultInputTopic) {
            try cluster.createTopic(Self.defaultInputTopic, partitions: Self.defaultInputPartitions)
            created.insert(Self.defaultInputTopic)
        }
        for name in Self.outputTopics(of: created) {
            try cluster.createTopic(name, partitions: Self.outputPartitions)
        }
        var groups = try repartitionGroups.map(Self.repartitionGroup)
        if !groups.contains(where: { $0.group == Self.defaultGroup }) {
            groups.append((Self.defaultGroup, Self.defaultGroupRepartitionPartitions))
        }
        // The default group's topics for the configuration at hand (the built-in one when the
        // default file is not in this folder); a --repartition-for group needs a valid one.
        let process: ProcessConfiguration?
        if repartitionGroups.isEmpty {
            process = try? Console.configuration(at: config)
            if process == nil { Console.status("note: no configuration at \(config): the repartition topics of group \(Self.defaultGroup) are left to automatic creation (4 partitions)") }
        } else {
            process = try Console.loadConfiguration(config)
        }
        guard let process else { return }
        for (group, partitions) in groups {
            for attribute in Repartition.attributes(of: process) {
                try cluster.createTopic(Repartition.topic(group: group, attribute: attribute), partitions: partitions)
            }
        }
    }

    /// The consumer group `run` joins unless `--group` says otherwise.
    static let defaultGroup = RuntimeConfiguration.defaultGroup
    /// Partitions of ``defaultGroup``'s repartition topics, created unless `--repartition-for`
    /// names the group. Automatic creation gives 4, about 20 MiB a topic: with 6,000,000 of the
    /// soak's events the broker dropped the oldest records of two of them (objection, region), and
    /// an instance restarting from a checkpoint taken before would have missed what its counters
    /// needed. 16 keep four times as much, and cost nothing measurable end to end (2.86 against
    /// 2.92 µs per event over 3 alternating pairs of 2,000,000 events, BENCHMARKS.md session 60).
    static let defaultGroupRepartitionPartitions = 16
}
