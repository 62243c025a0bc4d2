import CRdKafka

/// librdkafka properties a deployment gives every client it runs — TLS, SASL, `client.rack`,
/// socket and buffer settings — as Kafka's tools take a `--command-config` file and kcat `-X`:
/// what it takes to reach a secured cluster.
///
/// The properties SalesPulse sets itself because its guarantees rest on them (partitions resumed
/// from checkpoints, records written once and in order, eager rebalances) cannot be given here:
/// ``reserved`` says why for each, and what to use instead where there is an option.
public struct KafkaClientProperties: Sendable, Hashable {
    /// The properties, by name.
    public private(set) var values: [String: String] = [:]

    /// No properties.
    public init() {}

    /// Properties SalesPulse sets itself, with why they cannot be given (and the option to use).
    public static let reserved: [String: String] = [
        "bootstrap.servers": "give the brokers with --bootstrap",
        "metadata.broker.list": "give the brokers with --bootstrap",
        "group.id": "give the consumer group with --group",
        "session.timeout.ms": "give it with --session-timeout",
        "enable.auto.commit": "each partition resumes from its checkpoint; the offsets it has folded are committed for monitoring tools to read the group's lag",
        "enable.auto.offset.store": "each partition resumes from its checkpoint; the offsets it has folded are committed for monitoring tools to read the group's lag",
        "auto.commit.interval.ms": "each partition resumes from its checkpoint; the offsets it has folded are committed for monitoring tools to read the group's lag",
        "auto.offset.reset": "each partition starts where its checkpoint ends, or at its first record",
        "enable.idempotence": "the records SalesPulse produces are written once and in order (idempotence, acks=all)",
        "acks": "the records SalesPulse produces are written once and in order (idempotence, acks=all)",
        "request.required.acks": "the records SalesPulse produces are written once and in order (idempotence, acks=all)",
        "message.timeout.ms": "the records SalesPulse produces wait for the cluster as long as it takes (a record given up on ends the run)",
        "delivery.timeout.ms": "the records SalesPulse produces wait for the cluster as long as it takes (a record given up on ends the run)",
        "partition.assignment.strategy": "partitions move in eager rebalances, each revoked partition checkpointed (cooperative rebalancing needs librdkafka 2.2.1 or later)",
        "group.instance.id": "static membership is not supported: a stopping instance's partitions are revoked and checkpointed as it leaves",
        "enable.partition.eof": "SalesPulse's consumers set it themselves",
    ]

    /// Sets `name` to `value`.
    /// - Throws: ``KafkaError`` (`.configuration`) for a property in ``reserved``, or an empty name.
    public mutating func set(_ name: String, to value: String) throws(KafkaError) {
        guard !name.isEmpty else {
            throw KafkaError(code: .configuration, message: "a Kafka client property without a name (=\(value))", hint: "Write it as NAME=VALUE, e.g. security.protocol=SASL_SSL.")
        }
        if let why = Self.reserved[name] {
            throw KafkaError(code: .configuration, message: "the Kafka client property \(name) cannot be set: \(why)", hint: "Remove \(name); set only connection properties (security.protocol, sasl.*, ssl.*, client.rack, socket.*...).")
        }
        values[name] = value
    }

    /// Sets `NAME=VALUE` (the first `=` divides; spaces around either side are dropped).
    /// - Parameter source: where the text came from, for the error (`--kafka-property`, a file's line).
    public mutating func set(assignment text: String, from source: String) throws(KafkaError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw KafkaError(code: .configuration, message: "\(source): '\(text)' is not NAME=VALUE", hint: "Write it as NAME=VALUE, e.g. security.protocol=SASL_SSL.")
        }
        let name = text[..<equals].trimmingSpaces
        let value = text[text.index(after: equals)...].trimmingSpaces
        do {
            try set(name, to: value)
        } catch {
            throw KafkaError(code: error.code, message: "\(source): \(error.message)", hint: error.hint)
        }
    }

    /// Sets every `NAME=VALUE` line of a properties file's text (`#` or `!` starts a comment
    /// line; blank lines are skipped), as Kafka's tools read `--command-config` files.
    /// - Parameter file: the file's name, for errors (`FILE:LINE`).
    public mutating func set(fileContents text: String, file: String) throws(KafkaError) {
        var number = 0
        // Any line break: "\r\n" is one Character, which a split on "\n" would not divide.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let content = line.trimmingSpaces
            if content.isEmpty || content.hasPrefix("#") || content.hasPrefix("!") { continue }
            try set(assignment: content, from: "\(file):\(number)")
        }
    }

    /// Adds these properties to a client configuration's pass-through `properties`, keeping
    /// any the client sets there itself.
    public func add(to properties: inout [String: String]) {
        properties.merge(values) { own, _ in own }
    }

    /// Checks every property with librdkafka, as a client would take it (names, values, files
    /// such as `ssl.ca.location`), without connecting: a mistake is reported before anything
    /// starts rather than when the first client is created.
    public func validate() throws(KafkaError) {
        guard !values.isEmpty else { return }
        // Quiet unless asked: the probe has no brokers, which librdkafka would warn about.
        let conf = try RDKafkaConfiguration.make(values.merging(["log_level": "0"]) { given, _ in given })
        let handle = try RDKafkaConfiguration.makeClient(type: RD_KAFKA_PRODUCER, conf: conf, role: "client with the given Kafka properties")
        rd_kafka_destroy(handle)
    }
}

extension StringProtocol {
    /// Without the spaces and tabs (and a carriage return) at either end.
    fileprivate var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
