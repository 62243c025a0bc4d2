import Foundation
import Testing
import SalesPulseKafka
@testable import SalesPulseRuntime

/// A stop ends when the cluster has gone away (librdkafka 2.0.2's consumer close waits for the
/// group coordinator without a limit), and what it leaves behind restores: a later instance
/// counts every event once.
@Suite(.serialized) struct StopWithoutClusterTests {
    typealias H = RuntimeHarness

    @Test func aStopWithTheBrokerDownEndsAndItsCheckpointsRestoreEveryEventOnce() async throws {
        let (cluster, script) = try H.clusterWithScript(partitions: 2, customers: 300)
        defer { cluster.shutdown() }
        let state = H.temporaryDirectory()
        let first = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: state, group: "gone")
        let running = Task { try await first.run() }
        #expect(await H.eventually { first.status().statistics.applied == script.count })
        let folded = first.status().customers
        try cluster.setBroker(1, up: false)
        first.stop()
        try await running.value
        #expect(first.statusAtShutdown()?.statistics.applied == script.count)

        try cluster.setBroker(1, up: true)
        let second = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: state, group: "gone")
        let resumed = Task { try await second.run() }
        // Restored from the checkpoints, and whatever they did not hold folded again from the log.
        #expect(await H.eventually { second.status().statistics.applied == script.count && second.status().customers == folded })
        // Nothing counted twice: the whole log is read, and the count stays.
        #expect(await H.eventually { !second.consumerLag.isEmpty && second.consumerLag.values.allSatisfy { $0 == 0 } })
        #expect(second.status().statistics.applied == script.count)
        second.stop()
        try await resumed.value
    }
}

/// A start against a cluster that does not answer (a wrong `--bootstrap`, brokers down) fails,
/// saying so, once ``RuntimeConfiguration/clusterWaitMilliseconds`` has passed — and a stop
/// requested while it waits ends it at once, without an error.
@Suite(.serialized) struct UnreachableClusterTests {
    typealias H = RuntimeHarness

    /// A loopback address nothing listens on (port 1: connections are refused).
    static let nowhere = "127.0.0.1:1"

    @Test func aStartThatCannotReachTheClusterSaysSo() async throws {
        let runtime = try H.makeRuntime(bootstrap: Self.nowhere, stateDirectory: H.temporaryDirectory(), group: "nowhere") { $0.clusterWaitMilliseconds = 1_500 }
        do {
            try await runtime.run()
            Issue.record("the runtime started without a cluster")
        } catch let error as KafkaError {
            #expect(error.code == .connection)
            #expect(error.message.contains("cannot reach the Kafka cluster at \(Self.nowhere)"), "\(error)")
            #expect(error.hint.contains("--bootstrap"))
        }
    }

    @Test func aStopWhileWaitingForTheClusterEndsTheRunWithoutAnError() async throws {
        let runtime = try H.makeRuntime(bootstrap: Self.nowhere, stateDirectory: H.temporaryDirectory(), group: "nowhere") { $0.clusterWaitMilliseconds = 600_000 }
        let running = Task { try await runtime.run() }
        try await Task.sleep(for: .milliseconds(300))
        runtime.stop()
        try await running.value
        #expect(runtime.status().partitions.isEmpty)
    }
}
