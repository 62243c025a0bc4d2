import Foundation
import Testing
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// Crash recovery with real crashes: `salespulse run` as a child process, killed with SIGKILL
/// at random moments mid-stream (no shutdown code runs: whatever its periodic checkpoints hold
/// is all that survives), restarted, killed again; then a final instance on the same state
/// finishes the log. Its projections must equal the reference fold of the events.
@Suite(.serialized) struct KillNineTests {
    typealias H = RuntimeHarness

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `salespulse` executable built with the tests (`swift build` / `swift test` build it).
    static func executable() throws -> URL {
        for configuration in ["debug", "release"] {
            let url = repository.appendingPathComponent(".build/\(configuration)/salespulse")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "no .build/debug/salespulse: run `swift build` first"])
    }

    /// When the newest checkpoint (`*.ckpt`, renamed into place once complete) in `folder` was
    /// written; nil when there is none.
    static func newestCheckpoint(in folder: String) -> Date? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".ckpt") } ?? []
        return names.compactMap { try? FileManager.default.attributesOfItem(atPath: folder + "/" + $0)[.modificationDate] as? Date }.max()
    }

    @Test func killNineAtRandomPointsThenRestartGivesTheUninterruptedProjections() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 4)
        let script = H.script(customers: 2_000)
        // Published in three parts, one before each child: each has records of its own to fold
        // and checkpoint (a partition whose state did not move since its checkpoint is not
        // written again), whatever the one before it got through.
        let log = script + Array(script.prefix(200))
        let total = log.count
        let directory = H.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configPath = directory + "/config.yaml"
        try H.yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        let group = "kill-\(UUID().uuidString.prefix(8))"
        let binary = try Self.executable()

        var generator = SystemRandomNumberGenerator()
        var killedWithCheckpoints = 0
        for attempt in 0..<3 {
            try H.publish(Array(log[(attempt * total / 3)..<((attempt + 1) * total / 3)]), to: cluster.bootstrapServers)
            let child = Process()
            child.executableURL = binary
            child.arguments = ["run", "--bootstrap", cluster.bootstrapServers, "--config", configPath, "--group", group,
                               "--state-dir", directory + "/state", "--checkpoint-interval", "100ms", "--replay", "--status-interval", "0"]
            let log = FileHandle(forWritingAtPath: directory + "/child-\(attempt).log") ?? {
                #expect(FileManager.default.createFile(atPath: directory + "/child-\(attempt).log", contents: nil), "the child's log file")
                return FileHandle(forWritingAtPath: directory + "/child-\(attempt).log")!
            }()
            // Info logs carry "partition restored", which tells the test the child is consuming.
            child.environment = ProcessInfo.processInfo.environment.merging(["SALESPULSE_LOG_LEVEL": "info"]) { $1 }
            child.standardOutput = log
            child.standardError = log
            let started = Date()
            try child.run()
            // Kill once the child is consuming (its log says partitions were restored), at a
            // random moment after that. The first child may die before its first checkpoint; the
            // others are killed only after writing one of their own, so that every run restores
            // from periodic checkpoints, however slowly a loaded machine runs the debug child.
            let consuming = await H.eventually(.seconds(60)) {
                (try? String(contentsOfFile: directory + "/child-\(attempt).log", encoding: .utf8))?.contains("partition restored") == true
            }
            #expect(consuming, "child \(attempt) never got its partitions: \((try? String(contentsOfFile: directory + "/child-\(attempt).log", encoding: .utf8)) ?? "")")
            if attempt > 0 {
                let checkpointed = await H.eventually(.seconds(60)) { Self.newestCheckpoint(in: directory + "/state/" + group).map { $0 > started } ?? false }
                #expect(checkpointed, "child \(attempt) wrote no checkpoint within 60 s (--checkpoint-interval 100ms)")
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: attempt == 0 ? 100...900 : 0...400, using: &generator)))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL, "attempt \(attempt) was killed, not stopped")
            if let newest = Self.newestCheckpoint(in: directory + "/state/" + group), newest > started { killedWithCheckpoints += 1 }
        }
        #expect(killedWithCheckpoints >= 2, "the children wrote periodic checkpoints before being killed")

        // The final instance restores what the killed ones checkpointed and finishes the log.
        var configuration = RuntimeConfiguration(bootstrapServers: cluster.bootstrapServers, process: H.configuration)
        configuration.stateDirectory = directory + "/state"
        configuration.group = group
        configuration.live = false
        let final = try ProjectorRuntime(configuration: configuration)
        let running = Task { try await final.run() }
        let finished = await H.eventually(.seconds(120)) {
            let status = final.status()
            return status.partitions.count == 4 && status.statistics.applied + status.statistics.duplicates == total
        }
        #expect(finished, "final instance saw \(final.status().statistics)")
        let end = EventTime(epochMilliseconds: H.base + 200 * 3_600_000)
        #expect(RuntimeIntegrationTests.settle(final.allCustomers(), at: end) == RuntimeIntegrationTests.settle(try RuntimeIntegrationTests.reference(script), at: end))
        #expect(final.status().statistics.duplicates == 200, "the re-published prefix counted once as duplicates, never applied twice")
        final.stop()
        try await running.value
    }
}
