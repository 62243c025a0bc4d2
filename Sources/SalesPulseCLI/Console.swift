import ArgumentParser
import Foundation
import Logging
import SalesPulseModel

/// Process-wide console setup for the CLI: logs go to stderr, results to stdout.
enum Console {
    private static let once: Void = {
        let level = ProcessInfo.processInfo.environment["SALESPULSE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }()

    /// Routes logs to stderr (level from `SALESPULSE_LOG_LEVEL`, default notice). Idempotent.
    static func bootstrapLogging() { _ = once }

    /// Prints a line to stdout and flushes it (so pipes see it at once).
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// The process configuration at `path`; at the default path (``BuiltInConfiguration/path``)
    /// with no file there — the binary run outside the repository — the copy built into the
    /// binary, said once on stderr. Any other path must exist.
    /// - Parameter fileExists: whether a file is there (the file system's answer; tests stand in
    ///   for a folder without it).
    static func configuration(at path: String, fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) throws(ConfigurationError) -> ProcessConfiguration {
        guard path == BuiltInConfiguration.path, !fileExists(path) else {
            return try ConfigurationLoader.load(path: path)
        }
        status("note: no \(path) in this folder: using the configuration built into salespulse (the repository's \(path) as built; --config FILE for another)")
        return try ConfigurationLoader.parse(yaml: BuiltInConfiguration.yaml, file: "built-in \(path)")
    }

    /// Loads a process configuration, or reports why it is rejected (file, line, path, what)
    /// and exits with status 2 before anything starts.
    static func loadConfiguration(_ path: String) throws -> ProcessConfiguration {
        do { return try configuration(at: path) } catch {
            status("configuration rejected: \(error)")
            throw ExitCode(2)
        }
    }

    /// Prints a line to stderr (progress, warnings).
    static func status(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
