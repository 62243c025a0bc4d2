import Foundation

/// The declared `data` fields of every event type: one table drives the fast parser's field
/// lookup, payload building, bounds checks and the JSON Schemas in `schemas/`.
public enum EventCatalogue {
    /// JSON kinds a field accepts.
    public struct Kinds: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let string = Kinds(rawValue: 1)
        public static let number = Kinds(rawValue: 2)
        public static let bool = Kinds(rawValue: 4)
        public static let null = Kinds(rawValue: 8)
        public static let object = Kinds(rawValue: 16)
        public static let array = Kinds(rawValue: 32)
    }

    /// One field of a type's `data`, addressed by a dotted path (`evidence.skus[].sku`).
    public struct Field: Sendable, Hashable {
        /// Dotted path; array elements as `[]`.
        public var path: String
        /// Accepted JSON kinds.
        public var kinds: Kinds
        /// Whether the field must be present (for nested fields: when its parent is present).
        public var required: Bool
        /// Maximum UTF-8 length of a string value.
        public var maxLength: Int
        /// Inclusive numeric bounds.
        public var range: ClosedRange<Double>?
        /// A closed set of allowed string values.
        public var allowed: [String]?
        /// What the field means.
        public var summary: String
        /// Whether the string is an RFC 3339 timestamp with an offset.
        public var isTimestamp: Bool

        init(_ path: String, _ kinds: Kinds, required: Bool = true, maxLength: Int = 256, range: ClosedRange<Double>? = nil, allowed: [String]? = nil, timestamp: Bool = false, _ summary: String) {
            self.path = path
            self.kinds = kinds
            self.required = required
            self.maxLength = maxLength
            self.range = range
            self.allowed = allowed
            self.summary = summary
            self.isTimestamp = timestamp
        }

        /// The JSON pointer of this field below `/data` (array elements as `-`).
        public var pointer: String {
            "/data/" + path.replacingOccurrences(of: "[]", with: "/-").replacingOccurrences(of: ".", with: "/")
        }
    }

    /// Maximum length of free text in evidence (the seed bounds pain points at 200 characters;
    /// steps configure tighter bounds).
    public static let maxEvidenceText = 2_000

    /// The fields of a type's `data`; a field's index is its position.
    public static func fields(of type: SalesEventType) -> [Field] { table[Int(type.rawValue)] }

    /// Current schema version of every type's `data` (see `schemas/README.md` on upcasting).
    public static let schemaVersion = 1

    static let flowFields: [Field] = [
        Field("flow", .string, maxLength: 64, "Flow id from the process configuration"),
        Field("step", .string, maxLength: 64, "Step id within the flow"),
    ]

    static let evidenceFields: [Field] = [
        Field("evidence", .object, required: false, "Evidence of the action"),
        Field("evidence.photo", .object, required: false, "A photo taken with the app's camera"),
        Field("evidence.photo.hash", .string, maxLength: 128, "Content hash, e.g. sha256:…"),
        Field("evidence.photo.capturedAt", .string, maxLength: 40, timestamp: true, "Capture time, RFC 3339 with offset"),
        Field("evidence.location", .object, required: false, "GPS fix at the time of the action"),
        Field("evidence.location.lat", .number, range: -90...90, "Latitude in degrees"),
        Field("evidence.location.lon", .number, range: -180...180, "Longitude in degrees"),
        Field("evidence.location.accuracyM", .number, range: 0...100_000, "Accuracy radius in metres"),
        Field("evidence.attachment", .object, required: false, "An uploaded document"),
        Field("evidence.attachment.name", .string, maxLength: 256, "File name"),
        Field("evidence.attachment.version", .string, maxLength: 64, "Document version"),
        Field("evidence.text", .string, required: false, maxLength: maxEvidenceText, "Free text (bounded)"),
        Field("evidence.skus", .array, required: false, "Product references"),
        Field("evidence.skus[]", .object, "A product reference"),
        Field("evidence.skus[].sku", .string, maxLength: 64, "SKU from the product catalogue"),
        Field("evidence.skus[].quantity", .number, range: 0...1_000_000, "Expected quantity"),
    ]

    static let table: [[Field]] = SalesEventType.allCases.map { type in
        switch type {
        case .leadCreated: [
            Field("channel", .string, maxLength: 64, "Source channel, e.g. wechat, store, referral"),
            Field("contactMode", .string, maxLength: 64, "First contact mode, e.g. visit, call, message"),
        ]
        case .fieldUpdated: [
            Field("field", .string, maxLength: 64, "The customer field that changed"),
            Field("value", [.string, .number, .bool, .null], maxLength: 1_024, "The new value"),
            Field("previous", [.string, .number, .bool, .null], required: false, maxLength: 1_024, "The value before (audit trail)"),
        ]
        case .stepEntered: flowFields
        case .stepBlocked: flowFields + [Field("reason", .string, maxLength: 64, "Blockage reason from the step's list")]
        case .actionCompleted: flowFields + [Field("action", .string, maxLength: 64, "Action id from the step's checklist")] + evidenceFields
        case .objectionChosen: [Field("objection", .string, maxLength: 64, "Objection code, e.g. price_too_high")]
        case .quoteSent: [
            Field("quoteId", .string, maxLength: 64, "Quote id"),
            Field("amount", .number, required: false, range: 0...1e12, "Quoted amount"),
            Field("currency", .string, required: false, maxLength: 3, "ISO 4217 currency"),
        ]
        case .quoteOpened: [Field("quoteId", .string, maxLength: 64, "Quote id")]
        case .visitPlanned: [
            Field("plannedFor", .string, maxLength: 40, timestamp: true, "Planned time, RFC 3339 with offset"),
            Field("target", .string, required: false, maxLength: 256, "Visit goal or person to meet"),
        ]
        case .visitCheckedIn: [
            Field("location", .object, required: false, "GPS fix at check-in"),
            Field("location.lat", .number, range: -90...90, "Latitude in degrees"),
            Field("location.lon", .number, range: -180...180, "Longitude in degrees"),
            Field("location.accuracyM", .number, range: 0...100_000, "Accuracy radius in metres"),
        ]
        case .competitorMentioned: [Field("competitor", .string, maxLength: 64, "Competitor name or code")]
        case .intentMarked: [Field("level", .string, maxLength: 8, allowed: IntentLevel.allCases.map(\.rawValue), "Intent level")]
        case .knowledgeSearched: [
            Field("query", .string, maxLength: 512, "Search terms"),
            Field("hit", .bool, "Whether the knowledge base had an answer"),
        ]
        case .traceCodeScanned: [
            Field("code", .string, maxLength: 128, "Traceability code"),
            Field("sku", .string, maxLength: 64, "SKU of the scanned item"),
        ]
        case .messageSent: [Field("channel", .string, maxLength: 32, "Channel, e.g. wechat, sms, email")]
        case .dealWon: [
            Field("amount", .number, range: 0...1e12, "Deal amount"),
            Field("currency", .string, maxLength: 3, "ISO 4217 currency"),
        ]
        case .dealLost: [Field("reason", .string, required: false, maxLength: 256, "Why the deal was lost")]
        }
    }
}
