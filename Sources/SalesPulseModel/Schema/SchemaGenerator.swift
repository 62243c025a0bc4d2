import Foundation

/// Writes the JSON Schemas (draft 2020-12) of the envelope and of each type's `data`, derived
/// from ``EventCatalogue`` so that the decoder and the schemas cannot drift apart.
public enum SchemaGenerator {
    /// The RFC 3339 pattern with a mandatory offset and a year from 2000.
    public static let timestampPattern = #"^2[0-9]{3}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"#
    static let base = "https://salespulse.dev/schemas"

    /// File name → JSON text of every schema.
    public static func files() -> [String: String] {
        var files: [String: String] = ["envelope.schema.json": render(envelope())]
        for type in SalesEventType.allCases {
            files["\(type.name).v\(EventCatalogue.schemaVersion).schema.json"] = render(dataSchema(for: type))
        }
        return files
    }

    /// The envelope schema: CloudEvents 1.0 attributes plus `data` dispatched on `type`.
    public static func envelope() -> [String: Any] {
        let limited: [String: Any] = ["type": "string", "minLength": 1, "maxLength": 128]
        return [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "\(base)/envelope.schema.json",
            "title": "SalesPulse event (CloudEvents 1.0, structured JSON mode)",
            "type": "object",
            "required": ["specversion", "id", "source", "type", "time", "subject", "data"],
            "properties": [
                "specversion": ["const": "1.0"],
                "id": limited.merging(["description": "Unique event id; duplicates are skipped"]) { $1 },
                "source": limited,
                "type": ["enum": SalesEventType.allCases.map(\.name)],
                "time": ["type": "string", "pattern": timestampPattern, "description": "RFC 3339 with an explicit offset, not before 2000"],
                "subject": limited.merging(["description": "Customer id; also the Kafka key"]) { $1 },
                "repid": limited,
                "region": limited,
                "flow": ["type": "string", "maxLength": 64],
                "datacontenttype": ["const": "application/json"],
                "dataschema": ["type": "string"],
                "data": ["type": "object"],
            ] as [String: Any],
            "allOf": SalesEventType.allCases.map { type -> [String: Any] in
                [
                    "if": ["properties": ["type": ["const": type.name]]],
                    "then": ["properties": ["data": ["$ref": "\(type.name).v\(EventCatalogue.schemaVersion).schema.json"]]],
                ]
            },
        ]
    }

    /// The schema of one type's `data`.
    public static func dataSchema(for type: SalesEventType) -> [String: Any] {
        var schema = objectSchema(prefix: "", fields: EventCatalogue.fields(of: type))
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = "\(base)/\(type.name).v\(EventCatalogue.schemaVersion).schema.json"
        schema["title"] = "data of \(type.name), version \(EventCatalogue.schemaVersion)"
        return schema
    }

    static func objectSchema(prefix: String, fields: [EventCatalogue.Field]) -> [String: Any] {
        var properties: [String: Any] = [:]
        var required: [String] = []
        for field in fields {
            guard field.path.hasPrefix(prefix) else { continue }
            let rest = field.path.dropFirst(prefix.count)
            guard !rest.isEmpty, !rest.contains("."), !rest.hasSuffix("[]") else { continue }
            let name = String(rest)
            properties[name] = schema(of: field, fields: fields)
            if field.required { required.append(name) }
        }
        var schema: [String: Any] = ["type": "object", "properties": properties, "additionalProperties": false]
        if !required.isEmpty { schema["required"] = required }
        return schema
    }

    static func schema(of field: EventCatalogue.Field, fields: [EventCatalogue.Field]) -> [String: Any] {
        var schema: [String: Any] = ["description": field.summary]
        var types: [String] = []
        if field.kinds.contains(.string) { types.append("string") }
        if field.kinds.contains(.number) { types.append("number") }
        if field.kinds.contains(.bool) { types.append("boolean") }
        if field.kinds.contains(.null) { types.append("null") }
        if field.kinds.contains(.object) {
            return objectSchema(prefix: field.path + ".", fields: fields).merging(schema) { $1 }
        }
        if field.kinds.contains(.array) {
            let element = objectSchema(prefix: field.path + "[].", fields: fields)
            return ["type": "array", "items": element, "description": field.summary]
        }
        schema["type"] = types.count == 1 ? types[0] : types
        if field.kinds.contains(.string) { schema["maxLength"] = field.maxLength }
        if let range = field.range { schema["minimum"] = range.lowerBound; schema["maximum"] = range.upperBound }
        if let allowed = field.allowed { schema["enum"] = allowed }
        if field.isTimestamp { schema["pattern"] = timestampPattern }
        return schema
    }

    /// Pretty, key-sorted JSON with a trailing newline (stable for diffs).
    public static func render(_ object: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
