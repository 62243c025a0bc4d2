import Foundation

/// Checks that the JSON Schemas and the decoder agree on a corpus of examples.
public enum SchemaAgreement {
    /// Rejections the schemas cannot express (they depend on the record, the clock or history).
    public static let decoderOnlyReasons: Set<EventRejection.Reason> = [
        .timestampInFuture, .subjectKeyMismatch, .duplicateID, .eventTooLarge, .invalidUTF8, .tombstone,
    ]

    /// An invalid example with the reason the decoder must give.
    public struct InvalidExample: Sendable {
        public var event: String
        public var reason: String
        public var pointer: String
        public init(event: String, reason: String, pointer: String) {
            self.event = event; self.reason = reason; self.pointer = pointer
        }
    }

    /// Returns one line per disagreement; empty when the schemas and the decoder agree.
    public static func problems(valid: [String], invalid: [InvalidExample], validator: JSONSchemaValidator, referenceTime: EventTime) -> [String] {
        let decoder = EventDecoder()
        var problems: [String] = []
        for (index, line) in valid.enumerated() {
            do { _ = try decoder.decode(line, referenceTime: referenceTime) } catch {
                problems.append("valid #\(index + 1): decoder rejects it: \(error)")
            }
            guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) else {
                problems.append("valid #\(index + 1): not JSON"); continue
            }
            if let violation = validator.firstViolation(of: json) {
                problems.append("valid #\(index + 1): schema rejects it: \(violation)")
            }
        }
        for (index, example) in invalid.enumerated() {
            do {
                _ = try decoder.decode(example.event, referenceTime: referenceTime)
                problems.append("invalid #\(index + 1): decoder accepts it, expected \(example.reason)")
            } catch {
                if error.reason.rawValue != example.reason || error.pointer != example.pointer {
                    problems.append("invalid #\(index + 1): decoder says \(error), expected \(example.reason) at \(example.pointer)")
                }
            }
            guard let reason = EventRejection.Reason(rawValue: example.reason), !decoderOnlyReasons.contains(reason) else { continue }
            if let json = try? JSONSerialization.jsonObject(with: Data(example.event.utf8)), validator.firstViolation(of: json) == nil {
                problems.append("invalid #\(index + 1): schema accepts it, decoder rejects it as \(example.reason)")
            }
        }
        return problems
    }
}
