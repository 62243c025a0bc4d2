import Foundation
import Testing
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// A running instance writes deltas once its partitions have full checkpoints and few customers
/// change between rounds; after a crash, a restart restores the full checkpoints with their
/// deltas and folds what came after: the projections equal an uninterrupted run's.
@Suite(.serialized) struct IncrementalCheckpointRuntimeTests {
    typealias H = RuntimeHarness

    /// Messages to `customers` of the script's, `round` telling their ids apart.
    static func messages(to customers: [Int], round: Int) -> [(key: String, value: String)] {
        customers.map { index in
            let time = H.base + (130 + Int64(round)) * 3_600_000 + Int64(index)
            return ("cust-\(index)", #"{"specversion":"1.0","id":"m-\#(round)-\#(index)","source":"test","type":"sales.message.sent","time":"\#(H.stamp(time))","subject":"cust-\#(index)","repid":"rep-0","region":"east","data":{"channel":"sms"}}"#)
        }
    }

    @Test func aCrashAfterDeltasRestoresThemAndEqualsAnUninterruptedRun() async throws {
        let (cluster, script) = try H.clusterWithScript(partitions: 2, customers: 200)
        let directory = H.temporaryDirectory()
        let first = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: directory)
        var running = Task { try await first.run() }
        #expect(await H.eventually { H.seen([first]) == script.count && first.status().checkpointsWritten >= 2 })
        _ = await RuntimeIntegrationTests.settledCheckpointCount(first)
        #expect(first.status().checkpointDeltasWritten == 0, "the first checkpoints are full")

        // Three rounds of a few customers each: every partition that moves writes a delta.
        var log = script
        for round in 0..<3 {
            let extra = Self.messages(to: [round, 10 + round, 21 + round, 33 + round], round: round)
            try H.publish(extra, to: cluster.bootstrapServers)
            log += extra
            #expect(await H.eventually { H.seen([first]) == log.count })
            _ = await RuntimeIntegrationTests.settledCheckpointCount(first)
        }
        #expect(first.status().checkpointDeltasWritten >= 3)
        let deltas = try FileManager.default.contentsOfDirectory(atPath: first.configuration.checkpointDirectory).filter { $0.hasSuffix(".delta.ckpt") }
        #expect(!deltas.isEmpty, "deltas in place")
        // More records, then a crash (they may or may not be checkpointed by then).
        let afterward = Self.messages(to: [150, 151], round: 9)
        try H.publish(afterward, to: cluster.bootstrapServers)
        log += afterward
        #expect(await H.eventually { H.seen([first]) == log.count })
        first.simulateCrash()
        try await running.value

        let second = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: directory)
        running = Task { try await second.run() }
        #expect(await H.eventually { second.status().partitions.count == 2 && second.status().statistics.applied >= log.count })
        try await Task.sleep(for: .milliseconds(500))
        #expect(second.status().statistics.applied == log.count)
        // The deltas' twelve records are not read again (at most the two after them are).
        #expect(second.status().recordsConsumed <= afterward.count, "restored with the deltas: only what came after them is read again")
        let expected = RuntimeIntegrationTests.settle(try RuntimeIntegrationTests.reference(log), at: RuntimeIntegrationTests.end)
        #expect(RuntimeIntegrationTests.settle(second.allCustomers(), at: RuntimeIntegrationTests.end) == expected)
        second.stop()
        try await running.value
        cluster.shutdown()
    }
}
