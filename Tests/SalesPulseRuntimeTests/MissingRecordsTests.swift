import Foundation
import Testing
import SalesPulseKafka
@testable import SalesPulseRuntime

/// Records the broker no longer has when they are due (retention removed the head of the log
/// before it was folded) are skipped over by the consumer without an error: the runtime says
/// so, counts them, and folds the rest.
@Suite(.serialized) struct MissingRecordsTests {
    typealias H = RuntimeHarness

    /// Publishes `events` to `topic` uncompressed, so that their bytes count in full against
    /// the embedded broker's retention (about 5 MiB per partition).
    static func publishUncompressed(_ events: [(key: String, value: String)], to bootstrap: String, topic: String = "sales.events") throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: bootstrap)
        configuration.compression = .none
        let producer = try KafkaProducer(configuration: configuration)
        for event in events { try producer.enqueue(KafkaOutgoingMessage(topic: topic, key: event.key, value: event.value)) }
        try producer.flush(timeout: .seconds(30))
        producer.close()
    }

    @Test func aLogWhoseHeadTheBrokerDroppedIsReportedAndTheRestFolded() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 1)
        // About 9 MB of events in one partition: the broker keeps the newest 5 MiB or so.
        let script = H.script(customers: 4_000)
        try Self.publishUncompressed(script, to: cluster.bootstrapServers)
        let runtime = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: H.temporaryDirectory(), group: "truncated")
        let running = Task { try await runtime.run() }
        #expect(await H.eventually { !runtime.consumerLag.isEmpty && runtime.consumerLag.values.allSatisfy { $0 == 0 } })
        let status = runtime.status()
        runtime.stop()
        try await running.value
        // Every script event is valid and distinct: what was not folded is exactly what was missing.
        #expect(status.recordsMissing > 0)
        #expect(status.recordsMissing < script.count)
        #expect(status.statistics.applied + status.recordsMissing == script.count)
        #expect(runtime.metrics.exposition().contains("salespulse_records_missing_total{topic=\"sales.events\"} \(status.recordsMissing)"))
    }

    @Test func aWholeLogHasNothingMissing() async throws {
        let (cluster, script) = try H.clusterWithScript(partitions: 2, customers: 200)
        defer { cluster.shutdown() }
        let runtime = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: H.temporaryDirectory(), group: "whole")
        let running = Task { try await runtime.run() }
        #expect(await H.eventually { runtime.status().statistics.applied == script.count })
        #expect(runtime.status().recordsMissing == 0)
        runtime.stop()
        try await running.value
    }
}
