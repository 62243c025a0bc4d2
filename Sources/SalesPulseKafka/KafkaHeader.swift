/// A Kafka record header: a name and an optional byte value.
public struct KafkaHeader: Hashable, Sendable {
    /// The header name.
    public var name: String
    /// The header value; `nil` is a header with no value.
    public var value: [UInt8]?

    /// Creates a header from bytes.
    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    /// Creates a header from a UTF-8 string.
    public init(name: String, string: String) {
        self.name = name
        self.value = Array(string.utf8)
    }

    /// The value decoded as UTF-8, if present.
    public var stringValue: String? {
        value.map { String(decoding: $0, as: UTF8.self) }
    }
}

extension Array where Element == KafkaHeader {
    /// The value of the first header with this name, as UTF-8.
    public func string(named name: String) -> String? {
        first { $0.name == name }?.stringValue
    }
}
