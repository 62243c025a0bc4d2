import Foundation
import CSimdJSON

/// Decodes and validates CloudEvents JSON into ``SalesEvent`` values on the hot path.
///
/// Parsing is done by simdjson's On-Demand API behind the `CSimdJSON` shim, which knows the
/// ``EventCatalogue`` and reports data values by field index, so no key strings are compared in
/// Swift. A decoder owns reusable buffers: use one per thread (it is not `Sendable`).
public final class EventDecoder {
    /// The limits applied.
    public let policy: ValidationPolicy
    private let parser: OpaquePointer
    private let event: UnsafeMutablePointer<sp_event>
    private let firstValue: UnsafeMutablePointer<Int16>
    private let values: UnsafePointer<sp_value>
    private let attributes: UnsafePointer<sp_string>
    private let fieldTables: [[EventCatalogue.Field]]
    /// Every type's field limits in one block (type `t` starts at `limitStarts[t]`), so the
    /// hot path reads them without touching an array's reference count.
    private let limits: UnsafeMutablePointer<FieldLimit>
    private let limitStarts: UnsafeMutablePointer<Int>
    private let requiredPlans: [[RequiredField]]
    /// Per type: how many data fields it declares, and the bits of the fields it requires
    /// (nested ones included), so an event with all of them present is checked by one AND.
    private let fieldCounts: UnsafeMutablePointer<Int>
    private let requiredMasks: UnsafeMutablePointer<UInt64>
    /// Short strings already made, reused (most attribute and payload values repeat).
    private let strings = ShortStringTable()

    /// Creates a decoder with its own parser and buffers.
    /// - Parameters:
    ///   - policy: the limits applied.
    ///   - fastPath: parse events of the common shape (no escapes, no exponents, `type` before
    ///     `data`) in one scalar pass before trying simdjson's walk. Results are identical either
    ///     way; turning it off is for comparing the two (tests, `salespulse bench`).
    public init(policy: ValidationPolicy = ValidationPolicy(), fastPath: Bool = true) {
        self.policy = policy
        guard let parser = sp_parser_new(policy.maxEventBytes) else {
            fatalError("simdjson could not allocate a parser for \(policy.maxEventBytes)-byte events")
        }
        sp_parser_set_fast_path(parser, fastPath ? 1 : 0)
        self.parser = parser
        self.event = .allocate(capacity: 1)
        self.fieldTables = SalesEventType.allCases.map(EventCatalogue.fields(of:))
        self.requiredPlans = fieldTables.map(RequiredField.plan(for:))
        let allLimits = fieldTables.flatMap { $0.map(FieldLimit.init) }
        self.limits = .allocate(capacity: allLimits.count)
        self.limits.initialize(from: allLimits, count: allLimits.count)
        self.limitStarts = .allocate(capacity: fieldTables.count)
        var start = 0
        for (type, fields) in fieldTables.enumerated() {
            limitStarts[type] = start
            start += fields.count
        }
        let width = fieldTables.map(\.count).max()! + 1
        self.fieldCounts = .allocate(capacity: fieldTables.count)
        self.requiredMasks = .allocate(capacity: fieldTables.count)
        for (type, plan) in requiredPlans.enumerated() {
            fieldCounts[type] = fieldTables[type].count
            // A field index past 63 has no bit: the mask then never matches and the rules decide.
            requiredMasks[type] = plan.reduce(0) { $1.field < 64 ? $0 | 1 << UInt64($1.field) : ~0 }
        }
        self.firstValue = .allocate(capacity: width)
        self.firstValue.initialize(repeating: -1, count: width)
        let raw = UnsafeRawPointer(event)
        self.values = (raw + MemoryLayout<sp_event>.offset(of: \sp_event.values)!).assumingMemoryBound(to: sp_value.self)
        self.attributes = (raw + MemoryLayout<sp_event>.offset(of: \sp_event.attributes)!).assumingMemoryBound(to: sp_string.self)
        for type in SalesEventType.allCases {
            sp_parser_register_type(parser, type.name, UInt32(type.rawValue))
            for (index, field) in EventCatalogue.fields(of: type).enumerated() {
                sp_parser_register_field(parser, UInt32(type.rawValue), field.path, UInt32(index), field.kinds.rawValue)
            }
        }
    }

    /// How many events were parsed by the scalar fast path (the rest went through simdjson's walk).
    public var fastPathCount: Int { Int(sp_parser_fast_path_count(parser)) }

    deinit {
        sp_parser_free(parser)
        event.deallocate()
        firstValue.deallocate()
        fieldCounts.deallocate()
        limits.deallocate()
        limitStarts.deallocate()
        requiredMasks.deallocate()
    }

    /// Decodes and validates one event.
    /// - Parameters:
    ///   - bytes: the JSON value of the record.
    ///   - key: the Kafka key, if any: it must equal `subject`.
    ///   - referenceTime: the time future-skew is measured from (the record's timestamp).
    /// - Throws: ``EventRejection`` saying what, where and why.
    public func decode(_ bytes: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer? = nil, referenceTime: EventTime) throws(EventRejection) -> SalesEvent {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw EventRejection(.malformedJSON, at: "", "empty record")
        }
        let code = sp_parse(parser, base.assumingMemoryBound(to: UInt8.self), bytes.count, event)
        if code != Int32(SP_OK) { throw rejection(for: code) }
        let type = SalesEventType(rawValue: UInt8(event.pointee.type_index))!

        // Envelope
        guard let specVersion = attribute(Int(SP_ATTR_SPECVERSION)) else { throw missing("/specversion") }
        guard specVersion.count == 3, specVersion[0] == UInt8(ascii: "1"), specVersion[1] == UInt8(ascii: "."), specVersion[2] == UInt8(ascii: "0") else {
            throw EventRejection(.unsupportedSpecVersion, at: "/specversion", "expected \"1.0\" (CloudEvents 1.0), got \"\(text(specVersion))\"")
        }
        // Every check runs on the parser's bytes first; Swift strings are made only for an event
        // that passed them, so a rejected event allocates nothing but its rejection.
        let id = try requiredAttribute(Int(SP_ATTR_ID), "/id")
        let source = try requiredAttribute(Int(SP_ATTR_SOURCE), "/source")
        let subject = try requiredAttribute(Int(SP_ATTR_SUBJECT), "/subject")
        let rep = try optionalAttribute(Int(SP_ATTR_REPID), "/repid")
        let region = try optionalAttribute(Int(SP_ATTR_REGION), "/region")
        if let contentType = attribute(Int(SP_ATTR_DATACONTENTTYPE)), !Self.bytes(contentType, equal: "application/json") {
            throw EventRejection(.invalidAttribute, at: "/datacontenttype", "expected \"application/json\" (structured JSON mode), got \"\(text(contentType))\"")
        }
        guard let timeBytes = attribute(Int(SP_ATTR_TIME)) else { throw missing("/time") }
        let time = try timestamp(timeBytes, at: "/time", checkRange: true, referenceTime: referenceTime)
        if let key, !Self.bytes(key, equal: subject) {
            throw EventRejection(.subjectKeyMismatch, at: "/subject", "subject \"\(text(subject))\" differs from the Kafka key \"\(String(decoding: key, as: UTF8.self))\"; publish keyed by subject so a customer's events stay in one partition")
        }

        // Payload
        let typeIndex = Int(type.rawValue)
        for index in 0..<fieldCounts[typeIndex] { firstValue[index] = -1 }
        let present = try checkValues(type)
        if present & requiredMasks[typeIndex] != requiredMasks[typeIndex] { try checkRequired(type) }
        let payload = try buildPayload(type)
        if let flow = attribute(Int(SP_ATTR_FLOW)) {
            switch type {
            case .stepEntered, .stepBlocked, .actionCompleted:
                // Field 0 of these types is the data flow (required, so present after checkRequired).
                let dataFlow = stringBytes(0)!
                if !Self.bytes(flow, equal: dataFlow) {
                    throw EventRejection(.invalidAttribute, at: "/flow", "envelope flow \"\(text(flow))\" differs from data flow \"\(text(dataFlow))\"")
                }
            default: break
            }
        }
        // The accepted event: its envelope strings are made now, once every check has passed.
        // Built here, where it is returned: a helper built it in a temporary, and its 192 bytes
        // were copied out for every event.
        return SalesEvent(eventID: EventID(utf8: id), type: type, source: strings.string(source), time: time, subject: utf8String(subject),
                          rep: rep.map { strings.string($0) }, region: region.map { strings.string($0) }, payload: payload)
    }

    /// A string of validated UTF-8 bytes through the typed-buffer path of `String(decoding:as:)`.
    @inline(__always)
    private func utf8String(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes.assumingMemoryBound(to: UInt8.self), as: UTF8.self)
    }

    /// Runs only the C/C++ parse of `bytes` (JSON syntax, known type, declared fields and their
    /// kinds) without building Swift values or applying the Swift-side rules. For benchmarks,
    /// to split decode time between parsing and building; not a validation.
    public func parseOnly(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return false }
        return sp_parse(parser, base.assumingMemoryBound(to: UInt8.self), bytes.count, event) == Int32(SP_OK)
    }

    /// Decodes an event held in an array (convenience for tests and tools).
    public func decode(_ bytes: [UInt8], key: String? = nil, referenceTime: EventTime) throws(EventRejection) -> SalesEvent {
        do {
            return try bytes.withUnsafeBytes { buffer in
                if let key {
                    return try Array(key.utf8).withUnsafeBytes { try decode(buffer, key: $0, referenceTime: referenceTime) }
                }
                return try decode(buffer, key: nil, referenceTime: referenceTime)
            }
        } catch let error as EventRejection {
            throw error
        } catch {
            fatalError("unreachable: \(error)")
        }
    }

    /// Decodes a UTF-8 string (convenience for tests and tools).
    public func decode(_ json: String, key: String? = nil, referenceTime: EventTime) throws(EventRejection) -> SalesEvent {
        try decode(Array(json.utf8), key: key, referenceTime: referenceTime)
    }

    // MARK: - Envelope helpers

    @inline(__always)
    private func attribute(_ index: Int) -> UnsafeRawBufferPointer? {
        guard event.pointee.present & (1 << UInt32(index)) != 0 else { return nil }
        return UnsafeRawBufferPointer(start: attributes[index].ptr, count: attributes[index].len)
    }

    private func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Byte equality by `memcmp` (a generic `elementsEqual` walks byte by byte).
    @inline(__always)
    private static func bytes(_ a: UnsafeRawBufferPointer, equal b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    @inline(__always)
    private static func bytes(_ a: UnsafeRawBufferPointer, equal literal: StaticString) -> Bool {
        bytes(a, equal: UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    private func missing(_ pointer: String) -> EventRejection {
        EventRejection(.missingAttribute, at: pointer, "required CloudEvents attribute is missing")
    }

    /// A required attribute's bytes, checked to be non-empty and within the length bound.
    @inline(__always)
    private func requiredAttribute(_ index: Int, _ pointer: String) throws(EventRejection) -> UnsafeRawBufferPointer {
        guard let bytes = attribute(index) else { throw missing(pointer) }
        guard bytes.count > 0 else { throw EventRejection(.invalidAttribute, at: pointer, "must not be empty") }
        guard bytes.count <= policy.maxAttributeLength else {
            throw EventRejection(.stringTooLong, at: pointer, "\(bytes.count) bytes, at most \(policy.maxAttributeLength) allowed")
        }
        return bytes
    }

    @inline(__always)
    private func optionalAttribute(_ index: Int, _ pointer: String) throws(EventRejection) -> UnsafeRawBufferPointer? {
        guard attribute(index) != nil else { return nil }
        return try requiredAttribute(index, pointer)
    }

    private func timestamp(_ bytes: UnsafeRawBufferPointer, at pointer: @autoclosure () -> String, checkRange: Bool, referenceTime: EventTime) throws(EventRejection) -> EventTime {
        var millis: Int64 = 0
        var offset: Int32 = 0
        let result = sp_parser_parse_time(parser, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count, &millis, &offset)
        switch result {
        case 0: break
        case 2:
            throw EventRejection(.timestampWithoutOffset, at: pointer(), "\"\(text(bytes))\" has no UTC offset; send RFC 3339 with Z or ±HH:MM (a naive device time is ambiguous and was the cause of the 1970 fault)")
        default:
            throw EventRejection(.malformedTimestamp, at: pointer(), "\"\(text(bytes).prefix(64))\" is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.fff]±HH:MM)")
        }
        let time = EventTime(epochMilliseconds: millis, offsetMinutes: Int16(offset))
        guard checkRange else { return time }
        if time < policy.earliest {
            throw EventRejection(.timestampTooOld, at: pointer(), "\(text(bytes)) is before \(policy.earliest.rfc3339UTC); the device clock is probably reset")
        }
        if time.epochMilliseconds > referenceTime.epochMilliseconds + policy.maxFutureSkewMilliseconds {
            throw EventRejection(.timestampInFuture, at: pointer(), "\(text(bytes)) is more than \(policy.maxFutureSkewMilliseconds / 1000) s after the record time \(referenceTime.rfc3339UTC); check the device clock")
        }
        return time
    }

    // MARK: - Payload helpers

    @inline(__always)
    private func value(_ index: Int) -> sp_value { values[index] }

    /// The JSON pointer of a value of field `index` of `type`, with its array element (for
    /// error messages only).
    private func pointer(of type: SalesEventType, _ index: Int, element: UInt32) -> String {
        fieldTables[Int(type.rawValue)][index].pointer.replacingOccurrences(of: "/-", with: "/\(element)")
    }

    /// Checks every value against its field's bounds, records each field's first value in
    /// `firstValue`, and returns the bits of the fields present (those below 64).
    private func checkValues(_ type: SalesEventType) throws(EventRejection) -> UInt64 {
        var present: UInt64 = 0
        let limits = self.limits + limitStarts[Int(type.rawValue)]
        for index in 0..<Int(event.pointee.value_count) {
            let value = values[index]
            let fieldIndex = Int(value.field)
            if fieldIndex < 64 { present |= 1 &<< UInt64(fieldIndex) }  // later fields: the rule loop decides
            if firstValue[fieldIndex] < 0 { firstValue[fieldIndex] = Int16(index) }
            let limit = limits[fieldIndex]
            switch value.kind {
            case UInt32(SP_KIND_STRING):
                if value.string.len > limit.maxLength {
                    throw EventRejection(.stringTooLong, at: pointer(of: type, fieldIndex, element: value.element), "\(value.string.len) bytes, at most \(limit.maxLength) allowed")
                }
                if limit.hasAllowedValues, let allowed = fieldTables[Int(type.rawValue)][fieldIndex].allowed {
                    let bytes = UnsafeRawBufferPointer(start: value.string.ptr, count: value.string.len)
                    if !allowed.contains(where: { allowed in var allowed = allowed; return allowed.withUTF8 { Self.bytes(bytes, equal: UnsafeRawBufferPointer($0)) } }) {
                        throw EventRejection(.valueOutOfRange, at: pointer(of: type, fieldIndex, element: value.element), "\"\(text(bytes))\" is not one of \(allowed.joined(separator: ", "))")
                    }
                }
            case UInt32(SP_KIND_NUMBER):
                if value.number < limit.lower || value.number > limit.upper || value.number.isNaN {
                    throw EventRejection(.valueOutOfRange, at: pointer(of: type, fieldIndex, element: value.element), "\(value.number) is outside \(limit.lower)...\(limit.upper)")
                }
            default:
                break
            }
        }
        return present
    }

    /// Throws for the first required field missing (a nested one only when its parent is present).
    private func checkRequired(_ type: SalesEventType) throws(EventRejection) {
        let fields = fieldTables[Int(type.rawValue)]
        for rule in requiredPlans[Int(type.rawValue)] where firstValue[rule.field] < 0 {
            // A nested field is required only when a sibling shows its parent is present.
            if !rule.siblings.isEmpty && !rule.siblings.contains(where: { firstValue[$0] >= 0 }) { continue }
            throw EventRejection(.missingField, at: fields[rule.field].pointer, "required by \(type.name)")
        }
    }

    /// The bytes of a string field's first value, or nil when absent or not a string.
    @inline(__always)
    private func stringBytes(_ field: Int) -> UnsafeRawBufferPointer? {
        let index = Int(firstValue[field])
        guard index >= 0 else { return nil }
        let value = value(index)
        guard value.kind == UInt32(SP_KIND_STRING) else { return nil }
        return UnsafeRawBufferPointer(start: value.string.ptr, count: value.string.len)
    }

    @inline(__always)
    private func string(_ field: Int) -> String? {
        stringBytes(field).map(strings.string)
    }

    private func number(_ field: Int) -> Double? {
        let index = Int(firstValue[field])
        guard index >= 0 else { return nil }
        return value(index).number
    }

    private func bool(_ field: Int) -> Bool? {
        let index = Int(firstValue[field])
        guard index >= 0 else { return nil }
        return value(index).number != 0
    }

    private func fieldValue(_ field: Int) -> FieldValue {
        let index = Int(firstValue[field])
        guard index >= 0 else { return .null }
        let value = value(index)
        switch value.kind {
        case UInt32(SP_KIND_STRING): return .string(strings.string(UnsafeRawBufferPointer(start: value.string.ptr, count: value.string.len)))
        case UInt32(SP_KIND_NUMBER): return .number(value.number)
        case UInt32(SP_KIND_BOOL): return .bool(value.number != 0)
        default: return .null
        }
    }

    private func innerTimestamp(_ field: Int, fields: [EventCatalogue.Field]) throws(EventRejection) -> EventTime? {
        let index = Int(firstValue[field])
        guard index >= 0 else { return nil }
        let value = value(index)
        return try timestamp(UnsafeRawBufferPointer(start: value.string.ptr, count: value.string.len), at: fields[field].pointer, checkRange: false, referenceTime: EventTime(epochMilliseconds: 0))
    }

    // Field indices below are positions in EventCatalogue's tables.
    private func buildPayload(_ type: SalesEventType) throws(EventRejection) -> EventPayload {
        switch type {
        case .leadCreated: return .leadCreated(channel: string(0)!, contactMode: string(1)!)
        case .fieldUpdated: return .fieldUpdated(field: string(0)!, value: fieldValue(1), previous: fieldValue(2))
        case .stepEntered: return .stepEntered(flow: string(0)!, step: string(1)!)
        case .stepBlocked: return .stepBlocked(flow: string(0)!, step: string(1)!, reason: string(2)!)
        case .actionCompleted: return .actionCompleted(flow: string(0)!, step: string(1)!, action: string(2)!, evidence: try evidence())
        case .objectionChosen: return .objectionChosen(objection: string(0)!)
        case .quoteSent: return .quoteSent(quote: string(0)!, amount: number(1), currency: string(2))
        case .quoteOpened: return .quoteOpened(quote: string(0)!)
        case .visitPlanned:
            let fields = fieldTables[Int(type.rawValue)]
            return .visitPlanned(plannedFor: try innerTimestamp(0, fields: fields)!, target: string(1))
        case .visitCheckedIn:
            var location: Evidence.Location?
            if let latitude = number(1), let longitude = number(2), let accuracy = number(3) {
                location = Evidence.Location(latitude: latitude, longitude: longitude, accuracyMeters: accuracy)
            }
            return .visitCheckedIn(location: location)
        case .competitorMentioned: return .competitorMentioned(competitor: string(0)!)
        case .intentMarked: return .intentMarked(level: IntentLevel(rawValue: string(0)!)!)
        case .knowledgeSearched: return .knowledgeSearched(query: string(0)!, hit: bool(1)!)
        case .traceCodeScanned: return .traceCodeScanned(code: string(0)!, sku: string(1)!)
        case .messageSent: return .messageSent(channel: string(0)!)
        case .dealWon: return .dealWon(amount: number(0)!, currency: string(1)!)
        case .dealLost: return .dealLost(reason: string(0))
        }
    }

    /// Evidence of `sales.action.completed`: fields 3... of its table (after flow, step, action).
    private func evidence() throws(EventRejection) -> Evidence {
        let fields = fieldTables[Int(SalesEventType.actionCompleted.rawValue)]
        var evidence = Evidence()
        if firstValue[5] >= 0, let hash = string(5), let capturedAt = try innerTimestamp(6, fields: fields) {
            evidence.photo = Evidence.Photo(hash: hash, capturedAt: capturedAt)
        }
        if let latitude = number(8), let longitude = number(9), let accuracy = number(10) {
            evidence.location = Evidence.Location(latitude: latitude, longitude: longitude, accuracyMeters: accuracy)
        }
        if let name = string(12), let version = string(13) {
            evidence.attachment = Evidence.Attachment(name: name, version: version)
        }
        evidence.text = string(14)
        if firstValue[15] >= 0 || firstValue[17] >= 0 || firstValue[18] >= 0 {
            // SKU elements: collect per element index; each needs sku and quantity.
            var skus: [UInt32: (String?, Double?)] = [:]
            for index in 0..<Int(event.pointee.value_count) {
                let value = value(index)
                if value.field == 17 {
                    skus[value.element, default: (nil, nil)].0 = strings.string(UnsafeRawBufferPointer(start: value.string.ptr, count: value.string.len))
                } else if value.field == 18 {
                    skus[value.element, default: (nil, nil)].1 = value.number
                }
            }
            for element in skus.keys.sorted() {
                let (sku, quantity) = skus[element]!
                guard let sku else { throw EventRejection(.missingField, at: "/data/evidence/skus/\(element)/sku", "required in every SKU reference") }
                guard let quantity else { throw EventRejection(.missingField, at: "/data/evidence/skus/\(element)/quantity", "required in every SKU reference") }
                evidence.skus.append(Evidence.SKUReference(sku: sku, quantity: quantity))
            }
        }
        return evidence
    }

    private func rejection(for code: Int32) -> EventRejection {
        let pointer = withUnsafePointer(to: &event.pointee.pointer) { $0.withMemoryRebound(to: CChar.self, capacity: Int(SP_MESSAGE_SIZE)) { String(cString: $0) } }
        let detail = withUnsafePointer(to: &event.pointee.detail) { $0.withMemoryRebound(to: CChar.self, capacity: Int(SP_MESSAGE_SIZE)) { String(cString: $0) } }
        let reason: EventRejection.Reason
        switch code {
        case Int32(SP_ERR_UTF8): reason = .invalidUTF8
        case Int32(SP_ERR_NOT_OBJECT), Int32(SP_ERR_DATA_NOT_OBJECT): reason = .notAnObject
        case Int32(SP_ERR_ATTRIBUTE_KIND): reason = .invalidAttribute
        case Int32(SP_ERR_UNKNOWN_TYPE):
            let name = attribute(Int(SP_ATTR_TYPE)).map(text) ?? ""
            return EventRejection(.unknownType, at: "/type", "\"\(name.prefix(64))\" is not in the event catalogue (see schemas/README.md)")
        case Int32(SP_ERR_MISSING_TYPE): reason = .missingAttribute
        case Int32(SP_ERR_UNEXPECTED_FIELD): reason = .unexpectedField
        case Int32(SP_ERR_FIELD_KIND): reason = .wrongFieldType
        case Int32(SP_ERR_TOO_LARGE): reason = .eventTooLarge
        case Int32(SP_ERR_TOO_DEEP), Int32(SP_ERR_TOO_MANY_VALUES): reason = .eventTooLarge
        default: reason = .malformedJSON
        }
        return EventRejection(reason, at: pointer, detail)
    }
}

/// A required leaf field and the leaf fields whose presence shows its parent object is present
/// (empty for top-level fields), precomputed so the hot path compares integers only.
struct RequiredField {
    let field: Int
    let siblings: [Int]

    static func plan(for fields: [EventCatalogue.Field]) -> [RequiredField] {
        fields.enumerated().compactMap { index, field in
            guard field.required, !field.kinds.contains(.object), !field.path.contains("[]") else { return nil }
            guard let dot = field.path.lastIndex(of: ".") else { return RequiredField(field: index, siblings: []) }
            let parent = String(field.path[..<dot]) + "."
            let siblings = fields.indices.filter { $0 != index && fields[$0].path.hasPrefix(parent) && !fields[$0].kinds.contains(.object) }
            return RequiredField(field: index, siblings: siblings)
        }
    }
}

/// The bounds of one field as plain values, so the hot path copies no strings.
struct FieldLimit {
    let maxLength: Int
    let lower: Double
    let upper: Double
    let hasAllowedValues: Bool

    init(_ field: EventCatalogue.Field) {
        maxLength = field.maxLength
        lower = field.range?.lowerBound ?? -.infinity
        upper = field.range?.upperBound ?? .infinity
        hasAllowedValues = field.allowed != nil
    }
}
