import Foundation

/// A small JSON Schema (2020-12) evaluator for the keywords our schemas use: `type`, `const`,
/// `enum`, `properties`, `required`, `additionalProperties: false`, `items`, `minLength`,
/// `maxLength`, `minimum`, `maximum`, `pattern`, `allOf`, `if`/`then` and `$ref` to sibling files.
/// It lets `salespulse validate --schemas` check that the schemas and the decoder agree.
public struct JSONSchemaValidator {
    let schemas: [String: Any]

    /// Loads every `*.schema.json` in a folder, keyed by file name.
    public init(directory: URL) throws {
        var schemas: [String: Any] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".schema.json") {
            schemas[file] = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(file)))
        }
        self.schemas = schemas
    }

    /// Creates a validator over in-memory schemas keyed by file name.
    public init(schemas: [String: Any]) { self.schemas = schemas }

    /// The first violation of `instance` against the schema file `root`, as `pointer: message`, or nil.
    public func firstViolation(of instance: Any, against root: String = "envelope.schema.json") -> String? {
        guard let schema = schemas[root] else { return "no schema \(root)" }
        return check(instance, schema, "")
    }

    private func check(_ value: Any, _ schemaAny: Any, _ pointer: String) -> String? {
        guard let schema = schemaAny as? [String: Any] else { return nil }
        if let reference = schema["$ref"] as? String {
            guard let target = schemas[reference] else { return "\(pointer): unresolved $ref \(reference)" }
            if let problem = check(value, target, pointer) { return problem }
        }
        if let expected = schema["const"], !equal(value, expected) { return "\(pointer): expected \(expected)" }
        if let options = schema["enum"] as? [Any], !options.contains(where: { equal(value, $0) }) { return "\(pointer): not in enum" }
        if let type = schema["type"] {
            let allowed = (type as? [String]) ?? [type as! String]
            if !allowed.contains(where: { matches(value, $0) }) { return "\(pointer): expected \(allowed.joined(separator: " or "))" }
        }
        if let text = value as? String {
            let length = text.utf8.count
            if let max = schema["maxLength"] as? Int, length > max { return "\(pointer): longer than \(max)" }
            if let min = schema["minLength"] as? Int, length < min { return "\(pointer): shorter than \(min)" }
            if let pattern = schema["pattern"] as? String, text.range(of: pattern, options: .regularExpression) == nil { return "\(pointer): does not match \(pattern)" }
        }
        if let number = value as? NSNumber, !isBool(number) {
            if let min = schema["minimum"] as? Double, number.doubleValue < min { return "\(pointer): below \(min)" }
            if let max = schema["maximum"] as? Double, number.doubleValue > max { return "\(pointer): above \(max)" }
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for name in (schema["required"] as? [String] ?? []) where object[name] == nil { return "\(pointer)/\(name): required" }
            for (name, item) in object.sorted(by: { $0.key < $1.key }) {
                if let property = properties[name] {
                    if let problem = check(item, property, "\(pointer)/\(name)") { return problem }
                } else if (schema["additionalProperties"] as? Bool) == false {
                    return "\(pointer)/\(name): additional property"
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] {
            for (index, item) in array.enumerated() {
                if let problem = check(item, items, "\(pointer)/\(index)") { return problem }
            }
        }
        for part in schema["allOf"] as? [Any] ?? [] {
            guard let part = part as? [String: Any] else { continue }
            if let condition = part["if"] {
                if check(value, condition, pointer) == nil, let then = part["then"], let problem = check(value, then, pointer) { return problem }
            } else if let problem = check(value, part, pointer) {
                return problem
            }
        }
        return nil
    }

    private func isBool(_ number: NSNumber) -> Bool { String(describing: type(of: number)).contains("Boolean") }

    private func matches(_ value: Any, _ type: String) -> Bool {
        switch type {
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        case "null": return value is NSNull
        case "boolean": return (value as? NSNumber).map(isBool) ?? false
        case "number": return (value as? NSNumber).map { !isBool($0) } ?? false
        case "integer": return (value as? NSNumber).map { !isBool($0) && $0.doubleValue.rounded() == $0.doubleValue } ?? false
        default: return false
        }
    }

    private func equal(_ a: Any, _ b: Any) -> Bool {
        if let a = a as? String, let b = b as? String { return a == b }
        if let a = a as? NSNumber, let b = b as? NSNumber { return a == b }
        return false
    }
}
