/// Why an event was rejected: the one error type of event decoding and validation.
///
/// Carries what (the reason code), where (the JSON pointer, and the Kafka coordinates the
/// runtime adds) and why (a detail sentence). Its ``description`` is the text of the
/// `salespulse-error` header on the dead-letter topic.
public struct EventRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable reason codes, used as metric labels and DLQ header prefixes.
    public enum Reason: String, Sendable, Hashable, CaseIterable, Codable {
        case malformedJSON = "malformed-json"
        case invalidUTF8 = "invalid-utf8"
        case notAnObject = "not-an-object"
        case missingAttribute = "missing-attribute"
        case invalidAttribute = "invalid-attribute"
        case unsupportedSpecVersion = "unsupported-specversion"
        case unknownType = "unknown-type"
        case missingField = "missing-field"
        case unexpectedField = "unexpected-field"
        case wrongFieldType = "wrong-field-type"
        case valueOutOfRange = "value-out-of-range"
        case stringTooLong = "string-too-long"
        case timestampWithoutOffset = "timestamp-without-offset"
        case malformedTimestamp = "malformed-timestamp"
        case timestampInFuture = "timestamp-in-future"
        case timestampTooOld = "timestamp-too-old"
        case subjectKeyMismatch = "subject-key-mismatch"
        case eventTooLarge = "event-too-large"
        case tombstone = "tombstone"
        case duplicateID = "duplicate-id"
    }

    /// What is wrong.
    public var reason: Reason
    /// Where in the event, as a JSON pointer (`/time`, `/data/evidence/location/accuracyM`); empty for the whole event.
    public var pointer: String
    /// Why, in a sentence.
    public var detail: String

    /// Creates a rejection.
    public init(_ reason: Reason, at pointer: String, _ detail: String) {
        self.reason = reason
        self.pointer = pointer
        self.detail = detail
    }

    /// `reason at pointer: detail`, e.g. `timestamp-without-offset at /time: "2026-03-02T09:15:04" has no UTC offset…`.
    public var description: String {
        pointer.isEmpty ? "\(reason.rawValue): \(detail)" : "\(reason.rawValue) at \(pointer): \(detail)"
    }
}
