import ArgumentParser
import Foundation
import SalesPulseKafka

/// `--kafka-config FILE` and `--kafka-property NAME=VALUE` of `run` and `publish`: librdkafka
/// properties for every client the command creates, such as a secured cluster needs (TLS,
/// SASL). Read and checked with librdkafka before anything starts.
struct KafkaPropertyOptions: ParsableArguments {
    @Option(name: .customLong("kafka-config"), help: ArgumentHelp("A properties file of librdkafka settings for every Kafka client (NAME=VALUE lines, # comments), as Kafka's tools take --command-config: security.protocol, sasl.mechanisms, sasl.username, ssl.ca.location, client.rack... Those SalesPulse sets itself (offset commits, idempotence, timeouts, group and rebalance settings) are refused, saying why.", valueName: "file"))
    var file: String?

    @Option(name: .customLong("kafka-property"), help: ArgumentHelp("One librdkafka setting, NAME=VALUE, for every Kafka client (repeatable; wins over --kafka-config), e.g. --kafka-property security.protocol=SASL_SSL. Keep passwords in --kafka-config: other users can read a process's arguments.", valueName: "name=value"))
    var assignments: [String] = []

    /// The properties the options give, checked with librdkafka.
    /// - Throws: `ValidationError` naming the file and line or the option, and what is wrong.
    func properties() throws -> KafkaClientProperties {
        var properties = KafkaClientProperties()
        do {
            if let file {
                guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                    throw ValidationError("--kafka-config \(file): cannot read it (no such file, not readable, or not UTF-8)")
                }
                try properties.set(fileContents: text, file: file)
            }
            for assignment in assignments {
                try properties.set(assignment: assignment, from: "--kafka-property \(assignment)")
            }
            try properties.validate()
        } catch let error as KafkaError {
            throw ValidationError("\(error.message). \(error.hint)")
        }
        return properties
    }
}
