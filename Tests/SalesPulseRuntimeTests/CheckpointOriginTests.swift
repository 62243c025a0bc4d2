import Foundation
import Testing
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// A checkpoint records the cluster and the configuration it was taken with, and is restored
/// only under the same ones: otherwise the partition is rebuilt from the log.
@Suite(.serialized) struct CheckpointOriginTests {
    typealias H = RuntimeHarness
    typealias I = RuntimeIntegrationTests

    // MARK: Which origins conflict

    @Test func theSameOriginRestores() {
        let origin = CheckpointOrigin(clusterID: "c1", fold: 7)
        #expect(origin.conflict(with: CheckpointOrigin(clusterID: "c1", fold: 7)) == nil)
    }

    @Test func anotherClusterConflicts() {
        let origin = CheckpointOrigin(clusterID: "c2", fold: 7)
        #expect(origin.conflict(with: CheckpointOrigin(clusterID: "c1", fold: 7)) == .cluster(recorded: "c1", current: "c2"))
    }

    @Test func anotherFoldConflicts() {
        let origin = CheckpointOrigin(clusterID: "c1", fold: 8)
        #expect(origin.conflict(with: CheckpointOrigin(clusterID: "c1", fold: 7)) == .fold)
    }

    @Test func anUnknownClusterOnEitherSideIsNotAConflict() {
        #expect(CheckpointOrigin(clusterID: nil, fold: 7).conflict(with: CheckpointOrigin(clusterID: "c1", fold: 7)) == nil)
        #expect(CheckpointOrigin(clusterID: "c1", fold: 7).conflict(with: CheckpointOrigin(clusterID: nil, fold: 7)) == nil)
    }

    @Test func aCheckpointWithoutAnOriginIsAccepted() {
        #expect(CheckpointOrigin(clusterID: "c1", fold: 7).conflict(with: nil) == nil)
    }

    @Test func theFoldDigestFollowsTheConfigurationTheLimitsAndRepartitioning() throws {
        let configuration = RuntimeConfiguration(bootstrapServers: "127.0.0.1:1", process: H.configuration)
        var same = RuntimeConfiguration(bootstrapServers: "127.0.0.1:2", process: try ConfigurationLoader.parse(yaml: H.yaml))
        same.stateDirectory = "elsewhere"
        same.checkpointIntervalMilliseconds = 1
        #expect(CheckpointOrigin.fold(same) == CheckpointOrigin.fold(configuration), "settings that do not change the fold leave the digest alone")
        var stricter = configuration
        stricter.validation.maxAttributeLength = 64
        var unrepartitioned = configuration
        unrepartitioned.repartitionCounters = false
        let otherProcess = RuntimeConfiguration(bootstrapServers: "127.0.0.1:1", process: try ConfigurationLoader.parse(yaml: Self.stricterNotesYAML))
        let digests = Set([configuration, stricter, unrepartitioned, otherProcess].map(CheckpointOrigin.fold))
        #expect(digests.count == 4)
    }

    @Test func aCheckpointKeepsItsOrigin() throws {
        let store = try CheckpointStore(directory: H.temporaryDirectory())
        var checkpoint = PartitionProjector(topic: "sales.events", partition: 3, configuration: H.configuration).checkpoint()
        checkpoint.origin = CheckpointOrigin(clusterID: "mockCluster1", fold: 0xDEAD_BEEF_0123_4567)
        try store.write(checkpoint)
        #expect(try store.read(topic: "sales.events", partition: 3)?.origin == checkpoint.origin)
    }

    // MARK: End to end, on embedded brokers

    /// The configuration of ``RuntimeHarness`` with notes of 50 characters at least: the
    /// script's notes ("pain N") no longer count as evidence.
    static let stricterNotesYAML = H.yaml.replacingOccurrences(of: "text: {min: 3, max: 200}", with: "text: {min: 50, max: 200}")

    /// Folds everything on `bootstrap` with a runtime on `directory` — once it has consumed
    /// `expected` records (0: it resumed at the end) and has no lag —, then stops it.
    static func foldAll(bootstrap: String, directory: String, process: ProcessConfiguration = H.configuration, consuming expected: Int) async throws -> (customers: [CustomerState], status: ProjectorRuntime.Status) {
        let runtime = try H.makeRuntime(bootstrap: bootstrap, stateDirectory: directory, process: process)
        let running = Task { try await runtime.run() }
        #expect(await H.eventually {
            runtime.status().partitions.count == 2 && runtime.recordsConsumed == expected
                && runtime.consumerLag.count == 2 && runtime.consumerLag.values.allSatisfy { $0 == 0 }
        }, "\(expected) records consumed, none left")
        let result = (runtime.allCustomers(), runtime.status())
        runtime.stop()
        try await running.value
        return result
    }

    @Test func aRestartOnTheSameClusterAndConfigurationRestoresItsCheckpoints() async throws {
        let (cluster, script) = try H.clusterWithScript(partitions: 2, customers: 40)
        defer { cluster.shutdown() }
        let directory = H.temporaryDirectory()
        _ = try await Self.foldAll(bootstrap: cluster.bootstrapServers, directory: directory, consuming: script.count)
        let again = try await Self.foldAll(bootstrap: cluster.bootstrapServers, directory: directory, consuming: 0)
        #expect(again.status.recordsConsumed == 0, "resumed after the checkpoints: nothing left to read")
        #expect(again.status.statistics.applied == script.count)
        #expect(I.settle(again.customers, at: I.end) == I.settle(try I.reference(script), at: I.end))
    }

    /// Two brokers, each with a log of its own in `sales.events` (2 partitions): the script of 50
    /// customers, and that of 30 an hour later (fewer records in each partition). Both are up
    /// together, so that the second gets another id than the first.
    static func twoBrokers() throws -> (first: EmbeddedKafkaCluster, firstScript: [(key: String, value: String)], second: EmbeddedKafkaCluster, secondScript: [(key: String, value: String)]) {
        let (first, firstScript) = try H.clusterWithScript(partitions: 2, customers: 50)
        let second = try EmbeddedKafkaCluster()
        try second.createTopic("sales.events", partitions: 2)
        let secondScript = H.script(customers: 30, offsetHours: 1)
        try H.publish(secondScript, to: second.bootstrapServers)
        return (first, firstScript, second, secondScript)
    }

    @Test func checkpointsOfAnotherClusterAreNotRestored() async throws {
        // The state folder of the first broker's run is reused with the second.
        let (first, firstScript, second, secondScript) = try Self.twoBrokers()
        defer { first.shutdown(); second.shutdown() }
        let directory = H.temporaryDirectory()

        let before = try await Self.foldAll(bootstrap: first.bootstrapServers, directory: directory, consuming: firstScript.count)
        #expect(before.status.statistics.applied == firstScript.count)
        let after = try await Self.foldAll(bootstrap: second.bootstrapServers, directory: directory, consuming: secondScript.count)
        #expect(after.status.recordsConsumed == secondScript.count, "the second broker's log folded from its start")
        #expect(after.status.statistics.applied == secondScript.count)
        #expect(I.settle(after.customers, at: I.end) == I.settle(try I.reference(secondScript), at: I.end))
        // Its own checkpoints replaced the other broker's.
        let store = try CheckpointStore(directory: directory + "/g")
        let id = try #require(KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: second.bootstrapServers)).clusterID())
        #expect(try store.read(topic: "sales.events", partition: 0)?.origin?.clusterID == id)
    }

    @Test func checkpointsFoldedWithAnotherConfigurationAreNotRestored() async throws {
        let (cluster, script) = try H.clusterWithScript(partitions: 2, customers: 40)
        defer { cluster.shutdown() }
        let directory = H.temporaryDirectory()
        let stricter = try ConfigurationLoader.parse(yaml: Self.stricterNotesYAML)
        let lenient = try await Self.foldAll(bootstrap: cluster.bootstrapServers, directory: directory, consuming: script.count)
        let restarted = try await Self.foldAll(bootstrap: cluster.bootstrapServers, directory: directory, process: stricter, consuming: script.count)
        let fresh = try await Self.foldAll(bootstrap: cluster.bootstrapServers, directory: H.temporaryDirectory(), process: stricter, consuming: script.count)
        #expect(restarted.status.recordsConsumed == script.count, "the log folded again")
        #expect(restarted.customers == fresh.customers)
        #expect(restarted.customers != lenient.customers, "the configurations fold the script differently")
    }

    @Test func checkpointsPastTheEndOfTheLogAreNotRestored() async throws {
        // Checkpoints without an origin (accepted on any cluster) of a longer log than the one
        // they meet: as after a topic was deleted and created again with fewer records.
        let (first, firstScript, second, shorter) = try Self.twoBrokers()
        defer { first.shutdown(); second.shutdown() }
        let directory = H.temporaryDirectory()
        _ = try await Self.foldAll(bootstrap: first.bootstrapServers, directory: directory, consuming: firstScript.count)
        let store = try CheckpointStore(directory: directory + "/g")
        for partition: Int32 in 0..<2 {
            var checkpoint = try #require(try store.read(topic: "sales.events", partition: partition))
            checkpoint.origin = nil
            try store.write(checkpoint)
        }
        let ends = try KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: second.bootstrapServers))
            .endOffsets(of: [KafkaTopicPartition(topic: "sales.events", partition: 0), KafkaTopicPartition(topic: "sales.events", partition: 1)])
        #expect(ends.values.reduce(0, +) == Int64(shorter.count), "endOffsets: where each log ends")

        let after = try await Self.foldAll(bootstrap: second.bootstrapServers, directory: directory, consuming: shorter.count)
        #expect(after.status.recordsConsumed == shorter.count)
        #expect(after.status.statistics.applied == shorter.count)
        #expect(I.settle(after.customers, at: I.end) == I.settle(try I.reference(shorter), at: I.end))
    }
}
