import SalesPulseKafka
import SalesPulseModel

/// Builds dead-letter records: the original key, value and headers, plus `salespulse-error`
/// (the rejection: reason at pointer: detail) and `salespulse-source` (topic/partition/offset).
public enum DeadLetter {
    /// The DLQ topic of an input topic.
    public static func topic(for input: String) -> String { "\(input).dlq" }

    /// The most bytes a dead letter's key, value and headers take together: librdkafka's
    /// default `message.max.bytes`, beyond which it refuses a record before sending it (a Kafka
    /// broker's default limit, 1,048,588, is above it). An input record that fits its topic
    /// may not fit once the headers are added, and a dead letter that cannot be produced ends
    /// the run (``ProjectorRuntime/run()``) — at every restart, as the same record comes again.
    public static let maximumRecordBytes = 1_000_000

    /// The dead-letter record for a rejected record of topic `input`, for topic `deadLetters`
    /// (nil: ``topic(for:)`` of `input`). A value that would take the record past
    /// ``maximumRecordBytes`` is cut to what fits, from its start, and `salespulse-truncated`
    /// says how many bytes it had (with the default ``ValidationPolicy/maxEventBytes``, 64 KiB,
    /// such a record was rejected as too large); a key of more than half the limit keeps its
    /// first half, and `salespulse-key-truncated` says how many bytes it had.
    public static func record(for record: KafkaRecord, rejection: EventRejection, input: String, to deadLetters: String? = nil) -> KafkaOutgoingMessage {
        var headers = record.headers
        headers.append(KafkaHeader(name: "salespulse-error", string: rejection.description))
        headers.append(KafkaHeader(name: "salespulse-reason", string: rejection.reason.rawValue))
        headers.append(KafkaHeader(name: "salespulse-source", string: "\(input)/\(record.partition)/\(record.offset)"))
        // A key of half the limit or more keeps its first half (the rest goes to the value).
        var key = record.key.map { Array($0) }
        if let original = key, original.count > maximumRecordBytes / 2 {
            key = Array(original.prefix(maximumRecordBytes / 2))
            headers.append(KafkaHeader(name: "salespulse-key-truncated", string: "\(original.count)"))
        }
        var value = record.value.map { Array($0) }
        if let original = value {
            let truncated = KafkaHeader(name: "salespulse-truncated", string: "\(original.count)")
            let room = maximumRecordBytes - (key?.count ?? 0) - serializedSize(headers + [truncated])
            if original.count > room {
                value = Array(original.prefix(max(0, room)))
                headers.append(truncated)
            }
        }
        return KafkaOutgoingMessage(topic: deadLetters ?? topic(for: input), key: key, value: value, headers: headers)
    }

    /// At least the bytes librdkafka counts for `headers` against `message.max.bytes` (each
    /// header's name and value with their lengths as varints, and the count).
    static func serializedSize(_ headers: [KafkaHeader]) -> Int {
        headers.reduce(5) { $0 + 10 + $1.name.utf8.count + ($1.value?.count ?? 0) }
    }
}
