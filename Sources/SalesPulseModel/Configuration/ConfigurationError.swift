/// A configuration problem: where (file, line, path) and what is wrong. Configurations are
/// rejected before anything starts.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file, or `<string>` for in-memory YAML.
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// Path in the document, e.g. `flows[0].steps[2].sla`.
    public var path: String
    /// What is wrong and what to do.
    public var message: String

    /// Creates an error.
    public init(file: String, line: Int?, path: String, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }
}
