import Foundation
import Testing
@testable import SalesPulseKafka

/// A flush that may give up on an outage ends once every broker has been reported down for that
/// long with nothing acknowledged and none answers, not at its timeout, and the flushes after it
/// during the same outage without asking again; one whose cluster answers is unchanged.
@Suite struct ProducerOutageTests {
    @Test func aFlushGivesUpOnceEveryBrokerHasBeenDownForTheOutageLimit() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("outage", partitions: 1)
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.messageTimeoutMilliseconds = 300_000
        let producer = try KafkaProducer(configuration: configuration)
        _ = try await producer.send(KafkaOutgoingMessage(topic: "outage", key: "k", value: "before"))

        try cluster.setBroker(1, up: false)
        try producer.enqueue(KafkaOutgoingMessage(topic: "outage", key: "k", value: "during"))
        // The timeout is far beyond the outage limit: the error says which of the two ended it.
        // On a thread of its own, as every blocking call here: the cooperative pool (two threads
        // on two cores) is shared with the tests that start HTTP servers.
        let error = await #expect(throws: KafkaError.self) {
            try await DedicatedThread.run(name: "test.flush") { try producer.flush(timeout: .seconds(120), givingUpAfterOutageOf: .seconds(1)) }
        }
        #expect(error?.code == .timedOut)
        #expect(error?.message.contains("every broker has been down") == true, "\(String(describing: error))")
        #expect(producer.inFlight == 1)
        #expect(producer.clusterProbes == 1)

        // The outage known, the next wait gives up without asking the cluster again (a stop's
        // waits asked 2 s each).
        let again = await #expect(throws: KafkaError.self) {
            try await DedicatedThread.run(name: "test.flush") { try producer.flush(timeout: .seconds(120), givingUpAfterOutageOf: .seconds(1)) }
        }
        #expect(again?.message.contains("every broker has been down") == true, "\(String(describing: again))")
        #expect(producer.clusterProbes == 1)
        // As the runtime asks on behalf of its consumer's stop commit and close.
        #expect(try await DedicatedThread.run(name: "test.gone") { producer.clusterGone(after: .seconds(1)) } != nil)
        #expect(producer.clusterProbes == 1)

        // Back up: the client reconnects and the record is delivered, which ends the outage: a
        // flush then has nothing to give up on.
        try cluster.setBroker(1, up: true)
        #expect(await eventually { producer.tally.delivered == 2 })
        #expect(try await DedicatedThread.run(name: "test.gone") { producer.clusterGone(after: .zero) } == nil, "an acknowledgement ends the outage")
        #expect(producer.clusterProbes == 1)
        try await DedicatedThread.run(name: "test.flush") { try producer.flush(timeout: .seconds(120), givingUpAfterOutageOf: .seconds(1)) }
        #expect(producer.inFlight == 0)
        try producer.enqueue(KafkaOutgoingMessage(topic: "outage", key: "k", value: "after"))
        try await DedicatedThread.run(name: "test.flush") { try producer.flush(timeout: .seconds(120), givingUpAfterOutageOf: .seconds(1)) }
        #expect(producer.tally.delivered == 3)
        producer.close()
    }

    @Test func anOutageThatOutlivedTheClusterEndsWhenABrokerAnswers() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("idle", partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        defer { producer.close() }
        _ = try await producer.send(KafkaOutgoingMessage(topic: "idle", key: "k", value: "before"))

        try cluster.setBroker(1, up: false)
        #expect(await eventually { producer.context.outages.duration != nil }, "every broker reported down")
        #expect(try await DedicatedThread.run(name: "test.gone") { producer.clusterGone(after: .zero) } != nil, "no broker answers")
        // Back, with nothing in flight to be acknowledged: the outage stays until a broker is
        // asked, and a stale one would skip a healthy cluster's commit. The first questions may
        // find the client still reconnecting (and a silence holds 10 s before it is asked again).
        try cluster.setBroker(1, up: true)
        var answered = false
        let deadline = ContinuousClock.now + .seconds(60)
        while !answered, ContinuousClock.now < deadline {
            answered = try await DedicatedThread.run(name: "test.gone") { producer.clusterGone(after: .zero) } == nil
            if !answered { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(answered, "a broker answered")
        #expect(producer.context.outages.duration == nil, "an answer ends the outage")
    }

    @Test func withoutAnOutageAFlushWaitsForEveryAcknowledgement() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("steady", partitions: 2)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        for index in 0..<1_000 {
            try producer.enqueue(KafkaOutgoingMessage(topic: "steady", key: "k\(index % 7)", value: "v\(index)"))
        }
        try await DedicatedThread.run(name: "test.flush") { try producer.flush(timeout: .seconds(120), givingUpAfterOutageOf: .milliseconds(1)) }
        #expect(producer.inFlight == 0)
        #expect(producer.tally.delivered == 1_000)
        producer.close()
    }
}
