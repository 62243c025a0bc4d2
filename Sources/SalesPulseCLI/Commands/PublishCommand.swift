import ArgumentParser
import Foundation
import Logging
import SalesPulseKafka

/// `salespulse publish`: publishes JSON lines to a topic, keyed by each event's `subject`.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish JSON-lines events to Kafka, keyed by each event's `subject`.",
        discussion: """
        Reads FILE (or standard input with -), one JSON event per line; empty lines are skipped. \
        A line with no string `subject` is published unkeyed and reported. Prints progress every \
        second on stderr and a final `delivered: N, failed: M` line on stdout; exits non-zero if \
        any record failed. On the embedded broker, which keeps only about 5 MiB per partition, \
        warns when the topic's oldest records are gone (a consumer that had not read them has \
        missed them) and suggests a partition count that keeps them.
        """
    )

    @Option(help: "Kafka bootstrap servers, HOST:PORT[,HOST:PORT...].")
    var bootstrap: String

    @Option(help: "Destination topic.")
    var topic: String = "sales.events"

    @Option(name: .customLong("linger-ms"), help: "linger.ms of the producer: how long a partition's batch waits to fill before it is sent. A bulk load's default of 100 writes message sets of hundreds of records, which every consumer then reads with fewer fetches (the embedded broker walks a partition's message sets for each fetch); 5 is librdkafka's default, for a publisher that waits for nothing.")
    var lingerMilliseconds: Int = 100

    @OptionGroup var kafka: KafkaPropertyOptions

    @Argument(help: "A JSON-lines file, or - for standard input.")
    var file: String

    func validate() throws {
        guard (0...900_000).contains(lingerMilliseconds) else {
            throw ValidationError("--linger-ms must be between 0 and 900000 (milliseconds); 100 suits a bulk load, 5 a publisher that waits for nothing")
        }
    }

    /// The producer's configuration: idempotent, LZ4, lingering `--linger-ms`.
    func producerConfiguration() throws -> KafkaProducerConfiguration {
        try producerConfiguration(properties: kafka.properties())
    }

    /// The producer's configuration with `properties` (``KafkaPropertyOptions``) for connecting.
    func producerConfiguration(properties: KafkaClientProperties) -> KafkaProducerConfiguration {
        var configuration = KafkaProducerConfiguration(bootstrapServers: bootstrap)
        configuration.lingerMilliseconds = lingerMilliseconds
        properties.add(to: &configuration.properties)
        return configuration
    }

    func run() async throws {
        Console.bootstrapLogging()
        let properties = try kafka.properties()
        let producerConfiguration = producerConfiguration(properties: properties)
        let input: FileHandle
        if file == "-" {
            input = .standardInput
        } else {
            guard let handle = FileHandle(forReadingAtPath: file) else {
                throw ValidationError("cannot open \(file): no such file or not readable")
            }
            input = handle
        }
        let producer = try KafkaProducer(configuration: producerConfiguration)
        let topic = self.topic
        let summary = try await DedicatedThread.run(name: "salespulse.publish") { () throws -> (Int, Int, Int, KafkaError?) in
            var lines = 0
            var unkeyed = 0
            var lastReport = ContinuousClock.now
            for line in LineReader(handle: input) where !line.isEmpty {
                let key = SubjectScanner.subject(in: line)
                if key == nil { unkeyed += 1 }
                try producer.enqueue(KafkaOutgoingMessage(topic: topic, key: key, value: line))
                lines += 1
                if lines % 4096 == 0, ContinuousClock.now - lastReport > .seconds(1) {
                    lastReport = .now
                    let tally = producer.tally
                    FileHandle.standardError.write(Data("published \(lines), delivered \(tally.delivered), failed \(tally.failed)\n".utf8))
                }
            }
            try? producer.flush(timeout: .seconds(60))
            let tally = producer.tally
            producer.close()
            return (lines, tally.delivered, tally.failed + max(0, lines - tally.delivered - tally.failed), tally.firstError)
        }
        let (lines, delivered, failed, firstError) = summary
        print("delivered: \(delivered), failed: \(failed) (of \(lines) lines)")
        if let firstError { FileHandle.standardError.write(Data("first error: \(firstError)\n".utf8)) }
        if delivered > 0, let warning = Self.retentionWarning(bootstrap: bootstrap, topic: topic, properties: properties) {
            FileHandle.standardError.write(Data((warning + "\n").utf8))
        }
        if failed > 0 { throw ExitCode.failure }
    }
}
