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

/// A close that gives up leaves librdkafka closing on a thread of its own, and the revocation it
/// may serve there must not reach the handler once the close has returned: its caller closes what
/// the handler uses next (the runtime's producer, which the handler flushes).
@Suite struct AbandonedCloseTests {
    @Test func noRebalanceReachesTheHandlerAfterACloseThatGaveUp() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("abandoned", partitions: 2)
        _ = try publish(10, to: "abandoned", bootstrap: cluster.bootstrapServers)
        let returned = Atomic<Bool>(false)
        let events = Counter()
        let late = Counter()
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: "abandoned-group"), maxBatchSize: 64) { _ in
            events.increment()
            if returned.load(ordering: .acquiring) { late.increment() }
            return [:]
        }
        let read = try await DedicatedThread.run(name: "test.consumer") {
            try consumer.subscribe(to: ["abandoned"])
            var read = 0
            let deadline = ContinuousClock.now + .seconds(60)
            while read < 10, ContinuousClock.now < deadline {
                read += try consumer.consumeBatch(timeout: .milliseconds(50)) { $0.count }
            }
            return read
        }
        #expect(read >= 10)
        #expect(events.value == 1, "the assignment reached the handler")

        // The cluster gone, the close gives up at once; librdkafka's close goes on without it.
        try cluster.setBroker(1, up: false)
        try await DedicatedThread.run(name: "test.close") {
            consumer.close(within: .seconds(120), givingUpWhen: { "the test says so" })
            returned.store(true, ordering: .releasing)
        }
        try cluster.setBroker(1, up: true)
        // Whenever librdkafka's close ends, the client goes, and no revocation came after the
        // close returned.
        #expect(await eventually { consumer.client.isDestroyed })
        #expect(late.value == 0, "\(late.value) rebalance(s) reached the handler after the close returned")
    }
}

/// A count shared with a closure that runs on another thread.
private final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
