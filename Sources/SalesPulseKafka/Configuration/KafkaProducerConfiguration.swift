/// Typed configuration of a ``KafkaProducer``.
///
/// Idempotent with LZ4 compression by default. Each field documents the librdkafka property it
/// sets; ``properties`` passes anything else through (and wins over the typed fields).
public struct KafkaProducerConfiguration: Sendable {
    /// Compression codecs librdkafka supports.
    public enum Compression: String, Sendable {
        case none, gzip, snappy, lz4, zstd
    }

    /// `bootstrap.servers`: comma-separated `host:port` list.
    public var bootstrapServers: String
    /// `client.id`.
    public var clientID: String = "salespulse"
    /// `enable.idempotence`: exactly-once per partition, in order, with retries (implies `acks=all`).
    public var enableIdempotence: Bool = true
    /// `compression.codec`.
    public var compression: Compression = .lz4
    /// `linger.ms`: how long to wait to fill a batch.
    public var lingerMilliseconds: Int = 5
    /// `batch.num.messages`.
    public var batchNumMessages: Int = 10_000
    /// `queue.buffering.max.messages`: local queue bound; beyond it sends wait (back-pressure).
    public var queueBufferingMaxMessages: Int = 500_000
    /// `queue.buffering.max.kbytes`.
    public var queueBufferingMaxKilobytes: Int = 1_048_576
    /// `message.timeout.ms`: a record not delivered by then fails with a delivery error.
    public var messageTimeoutMilliseconds: Int = 30_000
    /// `reconnect.backoff.max.ms`: the longest wait between attempts to reach a broker that is
    /// down. librdkafka's 10 s default left a group idle up to 10 s after its broker was back
    /// (12 s from the broker's return to folding again on the embedded broker, 4 s with 1 s,
    /// the Java clients' default).
    public var reconnectBackoffMaxMilliseconds: Int = 1_000
    /// `log_level` (syslog levels, 0–7).
    public var logLevel: Int = 4
    /// Any other librdkafka property, passed through verbatim.
    public var properties: [String: String] = [:]

    /// Creates a configuration with defaults for everything but the brokers.
    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
    }

    /// The librdkafka properties this configuration stands for.
    public var librdkafkaProperties: [String: String] {
        var result: [String: String] = [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientID,
            "enable.idempotence": String(enableIdempotence),
            "compression.codec": compression.rawValue,
            "linger.ms": String(lingerMilliseconds),
            "batch.num.messages": String(batchNumMessages),
            "queue.buffering.max.messages": String(queueBufferingMaxMessages),
            "queue.buffering.max.kbytes": String(queueBufferingMaxKilobytes),
            "message.timeout.ms": String(messageTimeoutMilliseconds),
            "log_level": String(logLevel),
            "reconnect.backoff.max.ms": String(reconnectBackoffMaxMilliseconds),
        ]
        result.merge(properties) { _, passThrough in passThrough }
        return result
    }
}
