import Foundation
import Synchronization
import Testing
@testable import SalesPulseKafka

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
