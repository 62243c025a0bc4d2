import Foundation

/// Runs blocking work (librdkafka polls, flushes, closes) on its own OS thread, off Swift's
/// cooperative pool, and lets async code await the result.
public enum DedicatedThread {
    /// Runs `body` on a new thread named `name` and returns its result.
    public static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Starts `body` on a new thread and returns immediately.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }
}
