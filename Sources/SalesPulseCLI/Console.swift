import Foundation
import Logging

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

    /// Prints a line to stderr (progress, warnings).
    static func status(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
