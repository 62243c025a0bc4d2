import Dispatch
import Foundation

/// Waits for SIGINT or SIGTERM without blocking a thread.
enum SignalWaiter {
    static func waitForTermination() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queue = DispatchQueue(label: "salespulse.signals")
            let resumed = ResumeOnce(continuation)
            var sources: [any DispatchSourceSignal] = []
            for sig in [SIGINT, SIGTERM] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                source.setEventHandler { resumed.resume() }
                source.resume()
                sources.append(source)
            }
            SignalSources.keep(sources)
        }
    }
}

/// Resumes a continuation at most once.
final class ResumeOnce: @unchecked Sendable {
    // @unchecked Sendable: `continuation` is only touched under `lock`.
    private var continuation: CheckedContinuation<Void, Never>?
    private let lock = NSLock()
    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }
    func resume() {
        lock.lock()
        let pending = continuation
        continuation = nil
        lock.unlock()
        pending?.resume()
    }
}

/// Keeps signal sources alive for the life of the process.
enum SignalSources {
    nonisolated(unsafe) private static var all: [any DispatchSourceSignal] = []
    private static let lock = NSLock()
    static func keep(_ sources: [any DispatchSourceSignal]) {
        lock.lock(); all.append(contentsOf: sources); lock.unlock()
    }
}
