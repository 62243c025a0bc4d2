import ArgumentParser
import Foundation
import Logging
import SalesPulseKafka

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
        count that would have kept them. \
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

    func run() async throws {
        Console.bootstrapLogging()
        let cluster = try EmbeddedKafkaCluster(brokers: brokers)
        for spec in topics {
            let parts = spec.split(separator: ":")
            let partitions = parts.count > 1 ? Int(parts[1]) : 4
            guard let partitions, partitions > 0, let name = parts.first else {
                throw ValidationError("--topic \(spec): expected NAME or NAME:PARTITIONS with PARTITIONS > 0")
            }
            try cluster.createTopic(String(name), partitions: partitions)
        }
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
}
