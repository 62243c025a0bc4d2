import Yams

/// A YAML node with its path, for reading configuration with precise errors.
struct ConfigNode {
    let node: Node
    let path: String
    let file: String

    func error(_ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node.mark?.line, path: path, message: message)
    }

    /// The mapping's entries, rejecting keys not in `allowed`.
    func mapping(allowed: Set<String>) throws(ConfigurationError) -> [String: ConfigNode] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping") }
        var result: [String: ConfigNode] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { throw error("keys must be strings") }
            let childPath = path.isEmpty ? name : "\(path).\(name)"
            guard allowed.contains(name) else {
                let hint = allowed.sorted().joined(separator: ", ")
                throw ConfigurationError(file: file, line: key.mark?.line, path: childPath, message: "unknown key '\(name)'; allowed here: \(hint)")
            }
            result[name] = ConfigNode(node: value, path: childPath, file: file)
        }
        return result
    }

    func sequence() throws(ConfigurationError) -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw error("expected a list") }
        return sequence.enumerated().map { ConfigNode(node: $1, path: "\(path)[\($0)]", file: file) }
    }

    func string() throws(ConfigurationError) -> String {
        guard let text = node.scalar?.string, !text.isEmpty else { throw error("expected a non-empty string") }
        return text
    }

    func identifier() throws(ConfigurationError) -> String {
        let text = try string()
        guard text.utf8.count <= 64, text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw error("'\(text)' is not an id: use letters, digits, _ or -, at most 64 characters")
        }
        return text
    }

    func bool() throws(ConfigurationError) -> Bool {
        switch node.scalar?.string {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false")
        }
    }

    func int(in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let text = node.scalar?.string, let value = Int(text) else { throw error("expected a whole number") }
        guard range.contains(value) else { throw error("\(value) is outside \(range.lowerBound)...\(range.upperBound)") }
        return value
    }

    func double(in range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        guard let text = node.scalar?.string, let value = Double(text) else { throw error("expected a number") }
        guard range.contains(value) else { throw error("\(value) is outside \(range.lowerBound)...\(range.upperBound)") }
        return value
    }

    func duration() throws(ConfigurationError) -> Int64 {
        let text = try string()
        guard let milliseconds = DurationText.milliseconds(text), milliseconds > 0 else {
            throw error("'\(text)' is not a duration: use a number with ms, s, m, h, d or w, e.g. 72h")
        }
        return milliseconds
    }

    func strings() throws(ConfigurationError) -> [String] {
        var result: [String] = []
        for item in try sequence() { result.append(try item.string()) }
        return result
    }
}
