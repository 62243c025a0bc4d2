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

    /// Loads a process configuration, or reports why it is rejected (file, line, path, what)
    /// and exits with status 2 before anything starts.
    static func loadConfiguration(_ path: String) throws -> ProcessConfiguration {
        do { return try ConfigurationLoader.load(path: path) } catch {
            status("configuration rejected: \(error)")
            throw ExitCode(2)
        }
    }

    /// Prints a line to stderr (progress, warnings).
    static func status(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
