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
}
