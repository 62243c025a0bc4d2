import Foundation
import Synchronization
import Testing
@testable import SalesPulseKafka

/// A consumer's librdkafka client lives exactly as long as a call is inside it: a stop whose
/// commit outlasts the close must neither free the client under the commit nor leave it running
/// with its callback context freed (test processes were killed by signal 11 when a broker thread
/// of such a client logged a failed connection through the freed context).
@Suite struct ConsumerClientLifetimeTests {
    /// `body` on a thread of its own (see ``consumerHoldingOffsets(bootstrap:topic:group:records:)``).
    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await DedicatedThread.run(name: "test.blocking", body)
    }

    /// An embedded cluster holding `records` records of `topic`, and a consumer that has read them
    /// and stored their offsets.
    private func clusterAndConsumer(topic: String, records: Int) async throws -> (EmbeddedKafkaCluster, KafkaConsumer) {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic(topic, partitions: 1)
        _ = try publish(records, to: topic, bootstrap: cluster.bootstrapServers)
        let consumer = try await consumerHoldingOffsets(bootstrap: cluster.bootstrapServers, topic: topic, group: "\(topic)-group", records: records)
        return (cluster, consumer)
    }

    /// Makes the group coordinator answer the consumer's next offset commit 10 s late, so that
    /// the commit stays inside librdkafka, then commits and closes with limits of 300 ms.
    /// (Taking the broker down instead left it to librdkafka how long the commit waited: under
    /// the full suite's load it sometimes returned an error before the close.)
    private func commitAndCloseWithTheCommitHeldUp(_ consumer: KafkaConsumer, _ cluster: EmbeddedKafkaCluster) async throws {
        try cluster.delayNextRequest(ofType: 8, by: .seconds(10))
        let committed = try await blocking { consumer.commit(within: .milliseconds(300)) }
        #expect(!committed, "the commit's answer is held up")
        try await blocking { consumer.close(within: .milliseconds(300)) }
    }

    @Test func aCommitThatOutlastsTheCloseKeepsTheClientUntilLibrdkafkaReturns() async throws {
        let (cluster, consumer) = try await clusterAndConsumer(topic: "outlast", records: 20)
        defer { cluster.shutdown() }
        try await commitAndCloseWithTheCommitHeldUp(consumer, cluster)
        // How long librdkafka keeps the commit is its own affair (in a fresh-clone CI run the
        // held-up commit had returned before the close ended): what must hold is that a commit
        // still inside keeps the client.
        let (inside, destroyed) = consumer.client.callsInFlightAndDestroyed
        #expect(inside == 0 || !destroyed, "a commit still inside librdkafka keeps the client")

        // Once the coordinator answers, the commit returns, and the thread of the last call to
        // return destroys the client.
        #expect(await eventually { consumer.client.isDestroyed })
    }

    @Test func aCloseWithNothingInsideLibrdkafkaDestroysTheClientBeforeItReturns() async throws {
        let (cluster, consumer) = try await clusterAndConsumer(topic: "closing", records: 10)
        defer { cluster.shutdown() }
        let committed = try await blocking { consumer.commit(within: .seconds(30)) }
        #expect(committed)
        #expect(!consumer.client.isDestroyed)
        try await blocking { consumer.close() }
        #expect(consumer.client.isDestroyed)
    }

    @Test func aClientOutlivingItsConsumerIsDestroyedByTheCallThatHeldIt() async throws {
        weak var client: ConsumerClient?
        var cluster: EmbeddedKafkaCluster
        do {
            let consumer: KafkaConsumer
            (cluster, consumer) = try await clusterAndConsumer(topic: "orphan", records: 10)
            try await commitAndCloseWithTheCommitHeldUp(consumer, cluster)
            client = consumer.client
        }
        defer { cluster.shutdown() }
        // The consumer is let go of; while the commit is inside librdkafka, its thread holds the
        // client, and the client is not destroyed.
        if let held = client {
            let (inside, destroyed) = held.callsInFlightAndDestroyed
            #expect(inside == 0 || !destroyed, "a commit still inside librdkafka keeps the client")
        }
        // When the commit returns, its thread destroys the client and lets go of the last hold.
        #expect(await eventually { client == nil })
    }
}
