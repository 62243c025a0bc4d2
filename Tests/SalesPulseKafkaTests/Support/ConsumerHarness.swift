import Foundation
import Synchronization
import SalesPulseKafka
import Testing

/// Runs a consumer's consume loop on its own thread, recording every record it processes and
/// storing offsets after each batch, as the runtime does.
final class ConsumerHarness: Sendable {
    struct Seen: Sendable, Hashable {
        let partition: KafkaTopicPartition
        let offset: Int64
        let key: String?
        let value: String?
        let headers: [KafkaHeader]
    }

    let name: String
    let consumer: KafkaConsumer
    private let records = Mutex<[Seen]>([])
    private let stopFlag = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let box: EventBox
    let limit: Int

    init(name: String, bootstrap: String, group: String, topics: [String], limit: Int = .max) throws {
        self.name = name
        self.limit = limit
        var configuration = KafkaConsumerConfiguration(bootstrapServers: bootstrap, groupID: group)
        configuration.sessionTimeoutMilliseconds = 6_000
        configuration.clientID = name
        let box = EventBox()
        consumer = try KafkaConsumer(configuration: configuration, maxBatchSize: 512) { event in
            box.append(event)
            return [:]
        }
        self.box = box
        try consumer.subscribe(to: topics)
    }

    /// Starts the loop. It stops after `limit` records (processing only up to the limit) or on ``stop()``.
    func start() {
        DedicatedThread.start(name: "test.consumer.\(name)") { [self] in
            while !stopFlag.load(ordering: .acquiring) {
                do {
                    try consumer.consumeBatch(timeout: .milliseconds(50)) { batch in
                        var stored: [KafkaTopicPartition: Int64] = [:]
                        records.withLock { seen in
                            for record in batch where seen.count < limit {
                                seen.append(Seen(partition: record.topicPartition, offset: record.offset,
                                                 key: record.key.map { String(decoding: $0, as: UTF8.self) },
                                                 value: record.value.map { String(decoding: $0, as: UTF8.self) },
                                                 headers: record.headers))
                                stored[record.topicPartition] = record.offset + 1
                            }
                        }
                        try consumer.store(stored.map { KafkaPartitionOffset($0.key, offset: $0.value) })
                        // Make progress durable per batch: brokers reject commits once a rebalance
                        // has begun, so a commit-on-revoke alone can leave processed records uncommitted.
                        if !stored.isEmpty { try consumer.commit(synchronously: true) }
                    }
                } catch {
                    print("consumer \(name): \(error)")
                }
                if records.withLock({ $0.count >= limit }) { break }
            }
            consumer.close()
            finished.signal()
        }
    }

    var seen: [Seen] { records.withLock { $0 } }
    var rebalanceEvents: [KafkaRebalanceEvent] { box.list.withLock { $0 } }
    var count: Int { records.withLock { $0.count } }

    func stop() {
        stopFlag.store(true, ordering: .releasing)
        finished.wait()
    }

    /// Waits for the loop to end by itself (limit reached).
    func waitUntilFinished() { finished.wait() }
}

/// Rebalance events seen by a harness.
final class EventBox: Sendable {
    let list = Mutex<[KafkaRebalanceEvent]>([])
    func append(_ event: KafkaRebalanceEvent) { list.withLock { $0.append(event) } }
}

/// Polls a condition until it holds or the deadline passes (a guard against hangs, not a timing assertion).
func eventually(_ deadline: Duration = .seconds(60), _ condition: () -> Bool) async -> Bool {
    let end = ContinuousClock.now + deadline
    while ContinuousClock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return condition()
}

/// Publishes `count` records keyed `key-(i % keys)` with a `seq` header, and waits for delivery.
func publish(_ count: Int, from start: Int = 0, to topic: String, bootstrap: String, keys: Int = 97) throws -> KafkaDeliveryTally {
    let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: bootstrap))
    for index in start..<(start + count) {
        try producer.enqueue(KafkaOutgoingMessage(
            topic: topic, key: "key-\(index % keys)", value: "value-\(index)",
            headers: [KafkaHeader(name: "seq", string: String(index))]
        ))
    }
    try producer.flush(timeout: .seconds(30))
    let tally = producer.tally
    producer.close()
    return tally
}

/// Joins a group, reads `records` records of `topic` and stores their offsets; returns the
/// consumer with offsets stored and nothing committed (auto-commit off). On a thread of its own, as every
/// blocking call here: the cooperative pool (two threads on two cores) is shared with the
/// tests that start HTTP servers.
func consumerHoldingOffsets(bootstrap: String, topic: String, group: String, records: Int) async throws -> KafkaConsumer {
    var configuration = KafkaConsumerConfiguration(bootstrapServers: bootstrap, groupID: group)
    configuration.sessionTimeoutMilliseconds = 6_000
    // The offsets stay for the tests' own commit: auto-commit (every 2 s) had committed them
    // before it when the suite ran slowly, leaving nothing to wait for.
    configuration.enableAutoCommit = false
    let consumer = try KafkaConsumer(configuration: configuration, maxBatchSize: 64) { _ in [:] }
    let read = try await DedicatedThread.run(name: "test.consumer") {
        try consumer.subscribe(to: [topic])
        var read = 0
        let deadline = ContinuousClock.now + .seconds(60)
        while read < records, ContinuousClock.now < deadline {
            try consumer.consumeBatch(timeout: .milliseconds(50)) { batch in
                var next: [KafkaTopicPartition: Int64] = [:]
                for record in batch {
                    next[record.topicPartition] = record.offset + 1
                    read += 1
                }
                try consumer.store(next.map { KafkaPartitionOffset($0.key, offset: $0.value) })
            }
        }
        return read
    }
    #expect(read >= records, "read \(read) of \(records) records before the deadline")
    return consumer
}
