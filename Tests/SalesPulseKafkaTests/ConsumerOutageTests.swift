import Foundation
import Synchronization
import Testing
@testable import SalesPulseKafka

/// A stop's commit and close give up once they are told the cluster is gone (the runtime asks its
/// producer, ``KafkaProducer/clusterGone(after:)``), and wait as before while nothing says so.
@Suite struct ConsumerOutageTests {
    /// A consumer of a topic of its own that has read 10 records and stored their offsets,
    /// auto-commit off (the offsets stay for the test's commit); its group coordinator will
    /// answer the next offset commit 3 s late (within the session timeout of 6 s: a commit held
    /// longer found the member gone).
    private func consumerWithItsCommitHeldUp(_ cluster: EmbeddedKafkaCluster, topic: String) async throws -> KafkaConsumer {
        try cluster.createTopic(topic, partitions: 1)
        _ = try publish(10, to: topic, bootstrap: cluster.bootstrapServers)
        let consumer = try await consumerHoldingOffsets(bootstrap: cluster.bootstrapServers, topic: topic, group: "\(topic)-group", records: 10)
        try cluster.delayNextRequest(ofType: 8, by: .seconds(3))
        return consumer
    }

    @Test func aCommitToldTheClusterIsGoneGivesUp() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        let consumer = try await consumerWithItsCommitHeldUp(cluster, topic: "told-gone")
        let asked = Counter()
        // The limit is far beyond the held-up answer: only being told ends the wait first.
        let committed = try await DedicatedThread.run(name: "test.commit") {
            consumer.commit(within: .seconds(120), givingUpWhen: { asked.increment(); return "the test says so" })
        }
        #expect(!committed)
        #expect(asked.value >= 1)
        try await DedicatedThread.run(name: "test.close") { consumer.close(within: .seconds(120), givingUpWhen: { "the test says so" }) }
        // The client outlives neither call for good: destroyed once librdkafka returns.
        #expect(await eventually { consumer.client.isDestroyed })
    }

    @Test func aCommitNotToldWaitsForTheCoordinator() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        let consumer = try await consumerWithItsCommitHeldUp(cluster, topic: "not-told")
        let asked = Counter()
        let committed = try await DedicatedThread.run(name: "test.commit") {
            consumer.commit(within: .seconds(120), givingUpWhen: { asked.increment(); return nil })
        }
        #expect(committed, "committed once the coordinator answered")
        #expect(asked.value >= 1, "asked while it waited")
        try await DedicatedThread.run(name: "test.close") { consumer.close(within: .seconds(120), givingUpWhen: { nil }) }
        #expect(consumer.client.isDestroyed)
    }
}
