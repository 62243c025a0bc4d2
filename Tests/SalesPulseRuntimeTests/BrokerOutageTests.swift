import Foundation
import Testing
import SalesPulseKafka
@testable import SalesPulseRuntime

/// A run rides out an outage of the cluster: once the broker is back it folds what was
/// published meanwhile, its dead letters are delivered, and a restart counts nothing twice.
@Suite(.serialized) struct BrokerOutageTests {
    typealias H = RuntimeHarness

    @Test func aRunGoesOnAfterTheBrokerWasDownAndLosesNothing() async throws {
        let (cluster, before) = try H.clusterWithScript(partitions: 2, customers: 30)
        defer { cluster.shutdown() }
        let state = H.temporaryDirectory()
        let first = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: state, group: "outage")
        let running = Task { try await first.run() }
        #expect(await H.eventually { first.status().statistics.applied == before.count })

        // Longer than the group's session (4 s on the embedded broker) and the outage limit of
        // the waits for acknowledgements (5 s): the member is dropped and checkpoints wait.
        try cluster.setBroker(1, up: false)
        try await Task.sleep(for: .seconds(7))
        try cluster.setBroker(1, up: true)

        let after = H.script(customers: 30, offsetHours: 200)
        let rejected = UndeliveredRecordsTests.rejected
        try H.publish(after + rejected, to: cluster.bootstrapServers)
        #expect(await H.eventually { first.status().statistics.applied == before.count + after.count && first.status().statistics.rejected == rejected.count })
        let folded = first.status().customers
        first.stop()
        try await running.value
        let dead = try H.readAll("sales.events.dlq", bootstrap: cluster.bootstrapServers, expected: rejected.count)
        #expect(Set(dead.compactMap(\.valueString)) == Set(rejected.map(\.value)))

        // What the run left restores every event once.
        let second = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: state, group: "outage")
        let resumed = Task { try await second.run() }
        #expect(await H.eventually { !second.consumerLag.isEmpty && second.consumerLag.values.allSatisfy { $0 == 0 } })
        #expect(second.status().statistics.applied == before.count + after.count)
        #expect(second.status().customers == folded)
        second.stop()
        try await resumed.value
    }

    /// One broker of two down, the leader of the dead-letter topic: the dead letters wait, and
    /// so do the checkpoints that would cover their inputs. `/metrics` shows both — the records
    /// unacknowledged and the checkpoints skipped — and once the broker is back, the dead
    /// letters arrive, checkpoints are written again and a restart counts nothing twice.
    @Test func recordsAPartlyDownClusterHasNotAcknowledgedAndTheCheckpointsTheyHoldUpAreMetered() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 2)
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 2)
        try cluster.createTopic("sales.events.dlq", partitions: 1)
        for partition: Int32 in [0, 1] { try cluster.setLeader(of: "sales.events", partition: partition, to: 1) }
        try cluster.setLeader(of: "sales.events.dlq", partition: 0, to: 2)
        try cluster.setCoordinator(ofGroup: "partly", to: 1)
        let script = H.script(customers: 30)
        try H.publish(script, to: cluster.bootstrapServers)
        let state = H.temporaryDirectory()
        let first = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: state, group: "partly") {
            $0.acknowledgementWaitMilliseconds = 1_000
            $0.repartitionCounters = false  // no repartition topics led by the broker taken down
        }
        let running = Task { try await first.run() }
        #expect(await H.eventually { first.status().statistics.applied == script.count })
        #expect(await H.eventually { Self.value(of: "salespulse_records_unacknowledged", in: first) == 0 })
        #expect(Self.value(of: #"salespulse_checkpoints_skipped_total{occasion="periodic"}"#, in: first) == 0)

        try cluster.setBroker(2, up: false)
        let rejected = UndeliveredRecordsTests.rejected
        try H.publish(rejected, to: cluster.bootstrapServers)
        #expect(await H.eventually { first.status().statistics.rejected == rejected.count })
        #expect(await H.eventually { Self.value(of: #"salespulse_checkpoints_skipped_total{occasion="periodic"}"#, in: first) ?? 0 >= 1 },
                "periodic checkpoints skipped while the dead letters wait")
        #expect(await H.eventually { Self.value(of: "salespulse_records_unacknowledged", in: first) ?? 0 >= Double(rejected.count) })

        try cluster.setBroker(2, up: true)
        let written = first.status().checkpointsWritten
        #expect(await H.eventually { Self.value(of: "salespulse_records_unacknowledged", in: first) == 0 && first.status().checkpointsWritten > written })
        first.stop()
        try await running.value
        let dead = try H.readAll("sales.events.dlq", bootstrap: cluster.bootstrapServers, expected: rejected.count)
        #expect(Set(dead.compactMap(\.valueString)) == Set(rejected.map(\.value)))

        let second = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: state, group: "partly") { $0.repartitionCounters = false }
        let resumed = Task { try await second.run() }
        #expect(await H.eventually { !second.consumerLag.isEmpty && second.consumerLag.values.allSatisfy { $0 == 0 } })
        #expect(second.status().statistics.applied == script.count)
        #expect(second.status().statistics.rejected == rejected.count)
        second.stop()
        try await resumed.value
    }

    /// The value of the sample `series` (a name with its labels, as exposed) on `runtime`'s
    /// `/metrics`, nil when it has none.
    static func value(of series: String, in runtime: ProjectorRuntime) -> Double? {
        for line in runtime.metrics.exposition().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }
}
