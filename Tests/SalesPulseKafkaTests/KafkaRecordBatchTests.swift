import Foundation
import Testing
@testable import SalesPulseKafka

/// Records written back to back into one buffer: each reads back as written, and a producer
/// queues them all as separate records, in order, on the embedded broker.
@Suite struct KafkaRecordBatchTests {
    @Test func eachRecordReadsBackAsItsKeyAndValue() {
        var batch = KafkaRecordBatch(topic: "t")
        #expect(batch.isEmpty)
        batch.append(key: "cust-1") { $0.append(contentsOf: Array("first".utf8)) }
        batch.append(key: "客户-2") { _ in }
        batch.append(key: "") { $0.append(contentsOf: Array("third value".utf8)) }
        #expect(batch.count == 3)
        #expect(Array(batch[0].key) == Array("cust-1".utf8) && Array(batch[0].value) == Array("first".utf8))
        #expect(Array(batch[1].key) == Array("客户-2".utf8) && batch[1].value.isEmpty)
        #expect(batch[2].key.isEmpty && Array(batch[2].value) == Array("third value".utf8))
        let read = batch.withRecords { records in records.map { (String(decoding: $0.key, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)) } }
        #expect(read.map(\.0) == ["cust-1", "客户-2", ""])
        #expect(read.map(\.1) == ["first", "", "third value"])
    }

    @Test func reservingRoomChangesNothingWritten() {
        var reserved = KafkaRecordBatch(topic: "t")
        reserved.reserveCapacity(records: 100, bytesEach: 64)
        var plain = KafkaRecordBatch(topic: "t")
        for index in 0..<250 {
            reserved.append(key: "k\(index)") { $0.append(contentsOf: Array("v\(index)".utf8)) }
            plain.append(key: "k\(index)") { $0.append(contentsOf: Array("v\(index)".utf8)) }
        }
        #expect(reserved.bytes == plain.bytes)
        #expect((0..<250).allSatisfy { Array(reserved[$0].value) == Array("v\($0)".utf8) && Array(reserved[$0].key) == Array("k\($0)".utf8) })
    }

    /// Queues a batch of `total` records (`value-N`, keyed `key-(N % keys)`) to `topic` with a
    /// producer made by `configure`, waits for every delivery and reads the topic back: each
    /// record once, keyed as written, and each key's records in one partition in batch order.
    /// `splitting`: queued as the fold threads queue theirs, until librdkafka's queue is full
    /// without waiting, then the rest from where that stopped.
    private func queueAndReadBack(topic: String, partitions: Int, total: Int, keys: Int, preparing: Bool, splitting: Bool = false,
                                  configure: (inout KafkaProducerConfiguration) -> Void = { _ in }) async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic(topic, partitions: partitions)
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configure(&configuration)
        let producer = try KafkaProducer(configuration: configuration)
        if preparing { producer.prepare(topics: [topic]) }
        var batch = KafkaRecordBatch(topic: topic)
        for index in 0..<total {
            batch.append(key: "key-\(index % keys)") { $0.append(contentsOf: Array("value-\(index)".utf8)) }
        }
        if splitting {
            let queued = try producer.enqueueUntilFull(batch)
            #expect(queued < total)
            try producer.enqueue(batch, from: queued)
        } else {
            try producer.enqueue(batch)
        }
        try producer.flush(timeout: .seconds(20))
        #expect(producer.tally == KafkaDeliveryTally(delivered: total, failed: 0, firstError: nil))
        await producer.shutdown()

        let harness = try ConsumerHarness(name: topic, bootstrap: cluster.bootstrapServers, group: topic, topics: [topic], limit: total)
        harness.start()
        harness.waitUntilFinished()
        let seen = harness.seen
        #expect(seen.count == total)
        for (key, records) in Dictionary(grouping: seen, by: { $0.key ?? "" }) {
            let indices = records.sorted { $0.offset < $1.offset }.compactMap { $0.value.flatMap { Int($0.dropFirst("value-".count)) } }
            #expect(indices == Array(stride(from: Int(key.dropFirst("key-".count))!, to: total, by: keys)))
            #expect(Set(records.map(\.partition)).count == 1)
        }
    }

    @Test func aProducerQueuesEveryRecordOfABatchInOrder() async throws {
        try await queueAndReadBack(topic: "batched", partitions: 3, total: 3_000, keys: 41, preparing: true)
    }

    @Test func aBatchLargerThanTheProducersQueueWaitsForRoomAndKeepsItsOrder() async throws {
        // Far fewer than the batch: librdkafka's batch call fails part-way with a full queue. No
        // `prepare`: the topic's handle is made at the first batch.
        try await queueAndReadBack(topic: "queued", partitions: 2, total: 2_000, keys: 7, preparing: false) { configuration in
            configuration.queueBufferingMaxMessages = 100
            configuration.lingerMilliseconds = 0
        }
    }

    @Test func aBatchQueuedUntilTheQueueIsFullThenFromWhereThatStoppedKeepsEveryRecordOnceInOrder() async throws {
        try await queueAndReadBack(topic: "split", partitions: 2, total: 2_000, keys: 7, preparing: true, splitting: true) { configuration in
            configuration.queueBufferingMaxMessages = 100
            configuration.lingerMilliseconds = 0
        }
    }

    /// A producer whose queue holds 10 records and whose brokers do not exist: nothing is ever
    /// delivered, so once full the queue stays full.
    private static func producerWithNowhereToSend() throws -> KafkaProducer {
        var configuration = KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:1")
        configuration.queueBufferingMaxMessages = 10
        configuration.messageTimeoutMilliseconds = 1_000
        return try KafkaProducer(configuration: configuration)
    }

    /// `records` records `v0`, `v1`… keyed `k`.
    private static func batch(records: Int, topic: String) -> KafkaRecordBatch {
        var batch = KafkaRecordBatch(topic: topic)
        for index in 0..<records { batch.append(key: "k") { $0.append(contentsOf: Array("v\(index)".utf8)) } }
        return batch
    }

    @Test func queuingUntilFullReturnsHowManyFitWithoutWaiting() throws {
        let producer = try Self.producerWithNowhereToSend()
        let batch = Self.batch(records: 50, topic: "nowhere")
        #expect(try producer.enqueueUntilFull(batch) == 10)
        // The queue is still full: nothing more fits, and the call says so rather than wait.
        #expect(try producer.enqueueUntilFull(batch) == 0)
        producer.close(timeout: .seconds(2))
    }

    @Test func messagesQueuedUntilFullStopAtTheFirstThatDoesNotFit() throws {
        let producer = try Self.producerWithNowhereToSend()
        let messages = (0..<25).map { KafkaOutgoingMessage(topic: "nowhere", key: Array("k".utf8), value: Array("v\($0)".utf8)) }
        #expect(try producer.enqueueUntilFull(messages) == 10)
        #expect(try producer.enqueueUntilFull(Array(messages[10...])) == 0)
        #expect(try producer.enqueueUntilFull([]) == 0)
        producer.close(timeout: .seconds(2))
    }

    @Test func aBatchThatFindsTheQueueFullUntilItsTimeoutFailsSayingSo() async throws {
        let producer = try Self.producerWithNowhereToSend()
        let batch = Self.batch(records: 50, topic: "nowhere")
        let error = #expect(throws: KafkaError.self) { try producer.enqueue(batch, queueFullTimeout: .milliseconds(50)) }
        #expect(error?.code == .queueFull)
        #expect(error?.message.contains("producing to nowhere") == true)
        producer.close(timeout: .seconds(2))
    }

    @Test func aBatchForATopicNameLibrdkafkaRefusesFailsSayingSo() throws {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: "127.0.0.1:1"))
        defer { producer.close(timeout: .seconds(2)) }
        var batch = KafkaRecordBatch(topic: String(repeating: "t", count: 600))
        batch.append(key: "k") { $0.append(contentsOf: Array("v".utf8)) }
        let error = #expect(throws: KafkaError.self) { try producer.enqueue(batch) }
        #expect(error?.message.contains("librdkafka refused the topic name (600 bytes)") == true)
        #expect(error?.message.contains("producing to ttt") == true)
    }
}
