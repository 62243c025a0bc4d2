import SalesPulseKafka
import SalesPulseModel

/// Builds dead-letter records: the original key, value and headers, plus `salespulse-error`
/// (the rejection: reason at pointer: detail) and `salespulse-source` (topic/partition/offset).
public enum DeadLetter {
    /// The DLQ topic of an input topic.
    public static func topic(for input: String) -> String { "\(input).dlq" }

    /// The dead-letter record for a rejected record of topic `input`, for topic `deadLetters`
    /// (nil: ``topic(for:)`` of `input`).
    public static func record(for record: KafkaRecord, rejection: EventRejection, input: String, to deadLetters: String? = nil) -> KafkaOutgoingMessage {
        var headers = record.headers
        headers.append(KafkaHeader(name: "salespulse-error", string: rejection.description))
        headers.append(KafkaHeader(name: "salespulse-reason", string: rejection.reason.rawValue))
        headers.append(KafkaHeader(name: "salespulse-source", string: "\(input)/\(record.partition)/\(record.offset)"))
        return KafkaOutgoingMessage(topic: deadLetters ?? topic(for: input), key: record.key.map { Array($0) }, value: record.value.map { Array($0) }, headers: headers)
    }
}
