import Foundation
import SalesPulseKafka
import Synchronization

/// Watches the embedded broker's topics for records it drops (it keeps only about 5 MiB per
/// partition, silently) and says so on standard error, once per topic: a consumer that had
/// not read them misses them, and nothing else would tell whoever runs the broker.
final class RetentionWatch: Sendable {
    /// The client reading the offsets; released at ``stop()``, before the broker goes (left to
    /// the end of the process, it logged failed reconnections to the broker shut down).
    private let admin: Mutex<KafkaAdmin?>
    /// Milliseconds between checks.
    private let intervalMilliseconds: Int
    private let stopped = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// Topics already warned about.
    private let warned = Mutex<Set<String>>([])

    /// A watch of the cluster at `bootstrap`, reading every topic's offsets every
    /// `intervalMilliseconds` once started.
    init(bootstrap: String, intervalMilliseconds: Int = 5_000) throws {
        admin = Mutex(try KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: bootstrap)))
        self.intervalMilliseconds = intervalMilliseconds
    }

    /// Checks on a thread of its own until ``stop()``, writing each warning to standard error.
    func start() {
        DedicatedThread.start(name: "salespulse.retention-watch") { [self] in
            while !stopped.load(ordering: .acquiring) {
                for warning in check() { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
                _ = wake.wait(timeout: .now() + .milliseconds(intervalMilliseconds))
            }
            finished.signal()
        }
    }

    /// The warnings for topics that dropped records since the last check, each topic once.
    func check() -> [String] {
        guard let admin = admin.withLock({ $0 }), let topics = try? admin.metadata(timeout: .seconds(2)).topics else { return [] }
        var warnings: [String] = []
        for topic in topics where !topic.partitions.isEmpty && !warned.withLock({ $0.contains(topic.name) }) {
            guard let marks = try? admin.watermarks(of: topic.name, partitions: topic.partitions, timeout: .seconds(2)) else { continue }
            let retention = TopicRetention(topic: topic.name, watermarks: marks)
            guard retention.dropped > 0 else { continue }
            warned.withLock { _ = $0.insert(topic.name) }
            warnings.append("warning: the broker dropped the oldest records of \(topic.name): \(retention.dropped) of \(retention.written) so far, in \(retention.cutPartitions) of its "
                + "\(retention.partitions) partitions (it keeps about 5 MiB per partition). Consumers that had not read them miss them (`salespulse run` reports them as missing). "
                + "For this volume start the broker with `--topic \(topic.name):\(retention.partitionsToKeepAll)` or more.")
        }
        return warnings
    }

    /// Stops watching (after the check in flight) and closes the client; only after ``start()``.
    func stop() {
        stopped.store(true, ordering: .releasing)
        wake.signal()
        finished.wait()
        admin.withLock { $0 = nil }
    }
}
