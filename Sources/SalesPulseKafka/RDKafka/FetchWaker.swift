import CRdKafka
import Foundation
import Synchronization

/// Wakes librdkafka's fetcher when a bounded prefetch has drained.
///
/// A group consumer's partition queues are forwarded to one consumer queue, so librdkafka's
/// `queued.min.messages` bounds the records prefetched for *all* assigned partitions together.
/// Once a fetch response fills that queue, librdkafka 2.0.2 stops fetching and its broker
/// thread sleeps until a hard-coded one-second wake-up: the application draining the queue
/// does not wake it (2.1 added `fetch.queue.backoff.ms` for this). Any request the client sends
/// to a broker does wake that broker's thread, which then decides again what to fetch. The
/// waker sends the cheapest such request, a watermark query, for one assigned partition per
/// leader broker (from metadata, refreshed every ``targetsLifetime``), on its own thread: the
/// consume thread never waits for it.
final class FetchWaker: @unchecked Sendable {
    // @unchecked Sendable: `handle` is thread-safe (librdkafka); `targets` and
    // `targetsRefreshed` are touched only by the waker thread; the rest is in a Mutex or atomic.
    private let handle: OpaquePointer
    private let state = Mutex<(pending: Bool, stopped: Bool)>((false, false))
    private let requested = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let sent = Atomic<Int>(0)
    /// One assigned partition per leader broker: querying each wakes every broker thread that
    /// fetches for this consumer.
    private var targets: [KafkaTopicPartition] = []
    private var targetsRefreshed: ContinuousClock.Instant?
    /// How long a choice of partitions per leader is used before metadata is asked again (a
    /// leader that moved meanwhile is woken by its next refresh; a stale choice costs speed only).
    static let targetsLifetime = Duration.seconds(10)

    /// Starts the waker's thread for the consumer `handle`, which must outlive ``stop()``.
    init(handle: OpaquePointer) {
        self.handle = handle
        DedicatedThread.start(name: "salespulse.fetch-waker") { [self] in serve() }
    }

    /// Wake-ups sent so far.
    var wakeups: Int { sent.load(ordering: .relaxed) }

    /// Asks for a wake-up; returns at once. A request while one is under way is merged with it.
    func wake() {
        let signal = state.withLock { state -> Bool in
            guard !state.pending, !state.stopped else { return false }
            state.pending = true
            return true
        }
        if signal { requested.signal() }
    }

    /// Stops the thread and waits for it. A wake-up under way ends within its timeouts: up to
    /// 5 s for the metadata (only when the choice of partitions is refreshed), then 1 s per
    /// leader queried; with reachable brokers it takes a few milliseconds.
    func stop() {
        let running = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard running else { return }
        requested.signal()
        finished.wait()
    }

    private func serve() {
        while true {
            requested.wait()
            if state.withLock({ $0.stopped }) { break }
            sendWakeup()
            state.withLock { $0.pending = false }
        }
        finished.signal()
    }

    private func sendWakeup() {
        if targets.isEmpty || targetsRefreshed.map({ ContinuousClock.now - $0 > Self.targetsLifetime }) ?? true {
            targets = Self.onePartitionPerLeader(handle)
            targetsRefreshed = .now
        }
        for target in targets {
            var low: Int64 = 0
            var high: Int64 = 0
            // The answer is not needed: sending the request is what wakes the broker's thread.
            _ = rd_kafka_query_watermark_offsets(handle, target.topic, target.partition, &low, &high, 1_000)
        }
        sent.add(1, ordering: .relaxed)
    }

    /// The lowest assigned partition led by each broker, from the assignment and the metadata of
    /// the consumer's topics; every assigned partition when the metadata cannot be had.
    static func onePartitionPerLeader(_ handle: OpaquePointer) -> [KafkaTopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let assigned = (0..<Int(list.pointee.cnt)).map { index in
            KafkaTopicPartition(topic: String(cString: list.pointee.elems[index].topic), partition: list.pointee.elems[index].partition)
        }.sorted()
        guard !assigned.isEmpty else { return [] }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        // On the waker's own thread: a slow answer delays only the wake-up.
        guard rd_kafka_metadata(handle, 0, nil, &metadata, 5_000) == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { return assigned }
        defer { rd_kafka_metadata_destroy(metadata) }
        var leaders: [KafkaTopicPartition: Int32] = [:]
        for topicIndex in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[topicIndex]
            let name = String(cString: topic.topic)
            for partitionIndex in 0..<Int(topic.partition_cnt) {
                let partition = topic.partitions[partitionIndex]
                leaders[KafkaTopicPartition(topic: name, partition: partition.id)] = partition.leader
            }
        }
        var seen = Set<Int32>()
        var chosen: [KafkaTopicPartition] = []
        for partition in assigned {
            // A partition without a known leader is queried itself (the query looks it up).
            guard let leader = leaders[partition] else { chosen.append(partition); continue }
            if seen.insert(leader).inserted { chosen.append(partition) }
        }
        return chosen
    }
}
