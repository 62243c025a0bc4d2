import Foundation
import Testing
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// Each consumer group keeps its checkpoints in a folder of its own under `--state-dir`: a
/// second group given the same folder folds the log for itself, counters included, instead of
/// taking over the first group's partitions as they stood.
@Suite(.serialized) struct GroupStateFolderTests {
    typealias H = RuntimeHarness
    typealias R = RepartitionTests

    @Test func groupIDsBecomeSafeFolderNames() {
        #expect(RuntimeConfiguration.folderName(forGroup: "salespulse") == "salespulse")
        #expect(RuntimeConfiguration.folderName(forGroup: "team-a_v2.1") == "team-a_v2.1")
        #expect(RuntimeConfiguration.folderName(forGroup: "a/b") == "a%2Fb")
        #expect(RuntimeConfiguration.folderName(forGroup: "..") == "%2E%2E")
        #expect(RuntimeConfiguration.folderName(forGroup: ".") == "%2E")
        #expect(RuntimeConfiguration.folderName(forGroup: "a b") == "a%20b")
        #expect(RuntimeConfiguration.folderName(forGroup: "é") == "%C3%A9")
        #expect(RuntimeConfiguration.folderName(forGroup: "") == "%")
    }

    @Test func theCheckpointFolderIsTheGroupsOwn() {
        var configuration = RuntimeConfiguration(bootstrapServers: "127.0.0.1:1", process: H.configuration)
        configuration.stateDirectory = "/var/lib/salespulse"
        configuration.group = "war/room"
        #expect(configuration.checkpointDirectory == "/var/lib/salespulse/war%2Froom")
    }

    @Test func aSecondGroupOnTheSameStateFolderCountsEverything() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 2)
        let events = R.events()
        try H.publish(events, to: cluster.bootstrapServers)
        let directory = H.temporaryDirectory()
        let reference = R.reference(events)
        let now = EventTime(epochMilliseconds: R.t0 + 300 * 7_000)
        for group in ["first", "second"] {
            let runtime = try R.runtime(bootstrap: cluster.bootstrapServers, directory: directory, group: group)
            let running = Task { try await runtime.run() }
            #expect(await H.eventually {
                let status = runtime.status()
                let forwarded = runtime.repartitionProgress.forwarded
                return status.statistics.applied == events.count && forwarded > 0 && status.statistics.repartitioned >= forwarded
            }, "\(group): every event applied and its counter inputs forwarded and folded")
            for counter in R.configuration.counters where reference[counter.id] != nil {
                #expect(runtime.counterState(counter.id).values(at: now, counter: counter) == reference[counter.id]!.values(at: now, counter: counter), "\(group): \(counter.id)")
            }
            runtime.stop()
            try await running.value
        }
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: directory)) == ["first", "second"])
    }
}
