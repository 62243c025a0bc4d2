import Foundation
import Synchronization
import Testing
@testable import SalesPulseKafka

/// A consumer's librdkafka client lives exactly as long as a call is inside it: a stop whose
/// commit outlasts the close must neither free the client under the commit nor leave it running
/// with its callback context freed (test processes were killed by signal 11 when a broker thread
/// of such a client logged a failed connection through the freed context).
@Suite struct ConsumerClientLifetimeTests {
    /// Joins a group, reads `records` records of `topic` and stores their offsets; returns the
    /// consumer with offsets stored and nothing committed (auto-commit off). On a thread of its own, as every
    /// blocking call here: the cooperative pool (two threads on two cores) is shared with the
    /// tests that start HTTP servers.
    private func consumerHoldingOffsets(bootstrap: String, topic: String, group: String, records: Int) async throws -> KafkaConsumer {
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

    /// `body` on a thread of its own (see ``consumerHoldingOffsets(bootstrap:topic:group:records:)``).
    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await DedicatedThread.run(name: "test.blocking", body)
    }

    @Test func aCommitThatOutlastsTheCloseKeepsTheClientUntilLibrdkafkaReturns() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("outlast", partitions: 1)
        _ = try publish(20, to: "outlast", bootstrap: cluster.bootstrapServers)
        let consumer = try await consumerHoldingOffsets(bootstrap: cluster.bootstrapServers, topic: "outlast", group: "outlast-group", records: 20)

        // The group coordinator is unreachable: the commit waits inside librdkafka.
        try cluster.setBroker(1, up: false)
        let committed = try await blocking { consumer.commit(within: .milliseconds(300)) }
        #expect(!committed, "the commit cannot reach the coordinator")
        try await blocking { consumer.close(within: .milliseconds(300)) }
        #expect(!consumer.isClientDestroyed, "a commit still inside librdkafka keeps the client")

        // Once the coordinator answers, the commit and the close return, and the thread of the
        // last to return destroys the client.
        try cluster.setBroker(1, up: true)
        #expect(await eventually { consumer.isClientDestroyed })
    }

    @Test func aCloseWithNothingInsideLibrdkafkaDestroysTheClientBeforeItReturns() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("closing", partitions: 1)
        _ = try publish(10, to: "closing", bootstrap: cluster.bootstrapServers)
        let consumer = try await consumerHoldingOffsets(bootstrap: cluster.bootstrapServers, topic: "closing", group: "closing-group", records: 10)
        let committed = try await blocking { consumer.commit(within: .seconds(30)) }
        #expect(committed)
        #expect(!consumer.isClientDestroyed)
        try await blocking { consumer.close() }
        #expect(consumer.isClientDestroyed)
    }

    @Test func aClientOutlivingItsConsumerIsDestroyedByTheCallThatHeldIt() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("orphan", partitions: 1)
        _ = try publish(10, to: "orphan", bootstrap: cluster.bootstrapServers)
        weak var client: ConsumerClient?
        do {
            let consumer = try await consumerHoldingOffsets(bootstrap: cluster.bootstrapServers, topic: "orphan", group: "orphan-group", records: 10)
            try cluster.setBroker(1, up: false)
            let committed = try await blocking { consumer.commit(within: .milliseconds(300)) }
            #expect(!committed)
            try await blocking { consumer.close(within: .milliseconds(300)) }
            client = consumer.client
        }
        // The consumer is let go of; the commit's thread holds the client, alive and not destroyed.
        #expect(client != nil && !client!.isDestroyed)
        try cluster.setBroker(1, up: true)
        // When the commit returns, its thread destroys the client and lets go of the last hold.
        #expect(await eventually { client == nil })
    }
}
