/// The one error type of the Kafka layer.
///
/// Every librdkafka failure is mapped to a ``KafkaError`` with a stable ``Code``, whether retrying
/// can help, the underlying librdkafka error name when there is one, and a message that says what
/// to do next.
public struct KafkaError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A stable, extensible classification of Kafka failures.
    public struct Code: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A configuration property was rejected by librdkafka.
        public static let configuration = Code(rawValue: "configuration")
        /// The client could not be created.
        public static let clientCreation = Code(rawValue: "client-creation")
        /// Brokers are unreachable or the connection broke.
        public static let connection = Code(rawValue: "connection")
        /// An operation did not complete in time.
        public static let timedOut = Code(rawValue: "timed-out")
        /// The local producer queue is full.
        public static let queueFull = Code(rawValue: "queue-full")
        /// The topic or partition does not exist.
        public static let unknownTopicOrPartition = Code(rawValue: "unknown-topic-or-partition")
        /// A message could not be delivered.
        public static let delivery = Code(rawValue: "delivery")
        /// A consumer-group or offset operation failed.
        public static let consumerGroup = Code(rawValue: "consumer-group")
        /// An admin operation (create topics, metadata) failed.
        public static let admin = Code(rawValue: "admin")
        /// The client was already closed.
        public static let closed = Code(rawValue: "closed")
        /// The embedded broker (mock cluster) failed.
        public static let embeddedBroker = Code(rawValue: "embedded-broker")
        /// A fatal error: the client must be recreated.
        public static let fatal = Code(rawValue: "fatal")
        /// Anything else librdkafka reports.
        public static let other = Code(rawValue: "other")
    }

    /// What kind of failure this is.
    public var code: Code
    /// Whether retrying the same operation later may succeed.
    public var isRetriable: Bool
    /// The librdkafka error name (e.g. `_TRANSPORT`, `UNKNOWN_TOPIC_OR_PART`), when known.
    public var librdkafkaName: String?
    /// What failed, and why.
    public var message: String
    /// What the caller or operator should do next.
    public var hint: String

    /// Creates an error.
    public init(code: Code, isRetriable: Bool = false, librdkafkaName: String? = nil, message: String, hint: String) {
        self.code = code
        self.isRetriable = isRetriable
        self.librdkafkaName = librdkafkaName
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = "Kafka \(code)"
        if let librdkafkaName { text += " (\(librdkafkaName))" }
        text += ": \(message)."
        if !hint.isEmpty { text += " \(hint)" }
        if isRetriable { text += " [retriable]" }
        return text
    }
}
