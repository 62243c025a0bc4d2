import Foundation

/// Runs blocking work (librdkafka polls, flushes, closes, the fold and checkpoint threads) on
/// its own OS thread, off Swift's cooperative pool, and lets async code await the result.
///
/// Each thread carries its name into the operating system (`top -H`, `perf`, `/proc`): on Linux
/// Foundation's `Thread.name`, set before the thread starts, does not reach it, and every
/// thread showed the name of the pool thread that started it ("oot.default-qos").
public enum DedicatedThread {
    /// Runs `body` on a new thread named `name` and returns its result.
    public static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            start(name: name) {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
        }
    }

    /// Starts `body` on a new thread named `name` and returns immediately.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            nameThisThread(name)
            body()
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The name the operating system shows for a thread named `name`: Linux keeps 15 bytes, so
    /// "salespulse." shortens to "sp." ("salespulse.fold.1" shows as "sp.fold.1") and the rest
    /// is cut to fit.
    public static func systemName(_ name: String) -> String {
        let short = name.hasPrefix("salespulse.") ? "sp." + name.dropFirst("salespulse.".count) : name
        var bytes = 0
        return String(short.prefix { character in
            bytes += character.utf8.count
            return bytes <= 15
        })
    }

    /// Names the calling thread in the operating system (``systemName(_:)``), through
    /// `/proc/thread-self/comm` (what `pthread_setname_np` writes; Swift's Glibc module does not
    /// offer it). Where there is no such file, the thread keeps the name it has.
    static func nameThisThread(_ name: String) {
        #if os(Linux)
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array(systemName(name).utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        #endif
    }
}
