import Foundation
import Testing
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// The runtime against the embedded broker over TCP: DLQ, de-duplication, crash recovery,
/// corrupt checkpoints and scale-out. Final projections are compared with a reference fold.
@Suite(.serialized) struct RuntimeIntegrationTests {
    typealias H = RuntimeHarness

    /// The projection computed directly from the script, with timers advanced to its last event.
    static func reference(_ events: [(key: String, value: String)]) throws -> [CustomerState] {
        let decoder = EventDecoder()
        var projection = FlowProjection(configuration: H.configuration)
        var partitionWatermarks: [String: EventTime] = [:]
        for event in events {
            let decoded = try decoder.decode(event.value, key: event.key, referenceTime: EventTime(epochMilliseconds: Int64.max / 2))
            projection.apply(decoded)
            partitionWatermarks[event.key] = decoded.time
        }
        return projection.customers.values.sorted { $0.customer < $1.customer }
    }

    /// Runs timers to a common time so states compare equal regardless of when ticks happened.
    static func settle(_ states: [CustomerState], at now: EventTime) -> [CustomerState] {
        states.map { state in
            var copy = state
            copy.reconcile(now: now, configuration: H.configuration)
            return copy
        }
    }

    static let end = EventTime(epochMilliseconds: H.base + 200 * 3_600_000)

    @Test func invalidEventsGoToTheDLQAndDuplicatesAreSkipped() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("sales.events", partitions: 4)
        try cluster.createTopic("sales.events.dlq", partitions: 1)
        let good = H.script(customers: 20)
        let bad: [(key: String, value: String)] = [
            ("cust-0", #"{"specversion":"1.0","id":"bad-1","source":"t","type":"sales.message.sent","time":"2026-03-02T09:15:04","subject":"cust-0","data":{"channel":"sms"}}"#),
            ("cust-1", #"{"specversion":"1.0","id":"bad-2""#),
            ("cust-2", #"{"specversion":"1.0","id":"bad-3","source":"t","type":"sales.unicorn","time":"2026-03-02T09:15:04Z","subject":"cust-2","data":{}}"#),
            ("cust-9", #"{"specversion":"1.0","id":"bad-4","source":"t","type":"sales.message.sent","time":"2026-03-02T09:15:04Z","subject":"cust-3","data":{"channel":"sms"}}"#),
        ]
        let duplicates = Array(good.prefix(10))
        try H.publish(good + bad + duplicates, to: cluster.bootstrapServers)

        let directory = H.temporaryDirectory()
        let runtime = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: directory)
        let running = Task { try await runtime.run() }
        let total = good.count + bad.count + duplicates.count
        #expect(await H.eventually { H.seen([runtime]) == total })
        let statistics = runtime.status().statistics
        #expect(statistics.applied == good.count)
        #expect(statistics.duplicates == duplicates.count)
        #expect(statistics.rejected == bad.count)
        #expect(statistics.rejectedByReason == ["timestamp-without-offset": 1, "malformed-json": 1, "unknown-type": 1, "subject-key-mismatch": 1])
        #expect(Self.settle(runtime.allCustomers(), at: Self.end) == Self.settle(try Self.reference(good), at: Self.end))
        // What /metrics reads in place: the full report's totals and the open alerts' count.
        // (Timers may fire between two reads while the runtime runs: compared until they agree.)
        let now = runtime.status().watermark ?? Self.end
        #expect(runtime.overallMetrics(now: now).customers == 20)
        #expect(await H.eventually { runtime.overallMetrics(now: now) == runtime.metrics(now: now).overall })
        #expect(await H.eventually { runtime.openAlertCount() == runtime.openAlerts().count })
        // What the flow and metric endpoints read in place: every customer of every partition,
        // grouped as the report over copies of the states.
        var visited: [String] = []
        runtime.forEachCustomerAddress { visited.append($0.pointee.customer) }
        #expect(visited.sorted() == runtime.allCustomers().map(\.customer))
        #expect(await H.eventually { runtime.metrics(now: now) == MetricsReport.compute(runtime.allCustomers(), configuration: runtime.configuration.process, now: now) })
        // A page of open alerts selected in place: the sorted list, filtered and cut. (Read
        // again until two reads agree, as above: timers may fire meanwhile.)
        #expect(runtime.openAlerts().count >= 2, "the script leaves alerts open")
        #expect(await H.eventually {
            let open = runtime.openAlerts()
            let from = open.map(\.since).sorted()[open.count / 2]
            return ([(nil, 1), (nil, Int.max), (from, 1), (from, open.count)] as [(EventTime?, Int)]).allSatisfy { since, limit in
                let matching = open.filter { $0.since >= since ?? $0.since }
                return runtime.openAlerts(since: since, limit: limit) == (Array(matching.prefix(limit)), matching.count)
            }
        })
        runtime.stop()
        try await running.value

        let dead = try H.readAll("sales.events.dlq", bootstrap: cluster.bootstrapServers, expected: bad.count)
        #expect(dead.count == bad.count)
        #expect(Set(dead.compactMap(\.valueString)) == Set(bad.map(\.value)), "original bytes are kept")
        for message in dead {
            #expect(message.headers.string(named: "salespulse-error") != nil)
            #expect(message.headers.string(named: "salespulse-source")?.hasPrefix("sales.events/") == true)
        }
        let naive = dead.first { $0.valueString?.contains("bad-1") == true }!
        #expect(naive.headers.string(named: "salespulse-error")?.hasPrefix("timestamp-without-offset at /time") == true)
        cluster.shutdown()
    }

    /// The crashed runs take their periodic checkpoints in turn encoded in place between batches
    /// (`inPlaceCheckpointMinimumLag` 0, as while catching up) and from snapshots written in
    /// the background (`Int.max`, as live); each restores what the one before it wrote.
    @Test func crashesAtRandomPointsLeaveProjectionsIdenticalToAnUninterruptedRun() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("sales.events", partitions: 4)
        let script = H.script(customers: 300)
        // Duplicates across the crash boundaries too. Published in three parts, one before each
        // crashed run, so that each has records of its own to fold and checkpoint (a partition
        // whose state did not move since its checkpoint is not written again).
        let log = script + Array(script.prefix(50))
        let total = log.count
        let directory = H.temporaryDirectory()

        var generator = SystemRandomNumberGenerator()
        for attempt in 0..<3 {
            try H.publish(Array(log[(attempt * total / 3)..<((attempt + 1) * total / 3)]), to: cluster.bootstrapServers)
            let runtime = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: directory) { $0.inPlaceCheckpointMinimumLag = attempt.isMultiple(of: 2) ? 0 : .max }
            let running = Task { try await runtime.run() }
            _ = await H.eventually(.seconds(30)) { runtime.isReady }
            if attempt < 2 {
                // The next run restores from a periodic checkpoint of this one's mode.
                #expect(await H.eventually(.seconds(30)) { runtime.status().checkpointsWritten > 0 }, "run \(attempt) wrote no periodic checkpoint")
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 200...1_500, using: &generator)))
            runtime.simulateCrash()
            try await running.value
        }
        let final = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: directory)
        let running = Task { try await final.run() }
        // After the restart, every record after the last checkpoint is applied once more; the
        // partition's state then reflects exactly the whole log.
        #expect(await H.eventually { final.status().partitions.count == 4 && final.allCustomers().count == 300 && final.status().statistics.applied + final.status().statistics.duplicates == total })
        #expect(Self.settle(final.allCustomers(), at: Self.end) == Self.settle(try Self.reference(script), at: Self.end))
        final.stop()
        try await running.value
        cluster.shutdown()
    }

    @Test func aPartitionIsCheckpointedAgainOnlyWhenItsStateMoved() async throws {
        let (cluster, script) = try H.clusterWithScript(partitions: 4, customers: 40)
        let directory = H.temporaryDirectory()
        let runtime = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: directory)
        let running = Task { try await runtime.run() }
        #expect(await H.eventually { H.seen([runtime]) == script.count && runtime.status().checkpointsWritten >= 4 })
        // Rounds are due every 300 ms (more when a round takes long): once the last records and
        // the timers they brought due are written, idle rounds write nothing.
        let idle = await Self.settledCheckpointCount(runtime)
        try await Task.sleep(for: .seconds(2))
        #expect(runtime.status().checkpointsWritten == idle, "an idle runtime rewrote unchanged partitions")
        // One more event moves one partition (no timer of it comes due): that one is written,
        // the others are not.
        let time = H.base + 130 * 3_600_000
        try H.publish([("cust-7", #"{"specversion":"1.0","id":"e-extra","source":"test","type":"sales.message.sent","time":"\#(H.stamp(time))","subject":"cust-7","repid":"rep-0","region":"east","data":{"channel":"sms"}}"#)],
                      to: cluster.bootstrapServers)
        #expect(await H.eventually { runtime.status().checkpointsWritten == idle + 1 })
        #expect(await Self.settledCheckpointCount(runtime) == idle + 1, "only the partition that moved is written")
        // Nothing moved since: stopping writes nothing either, and a restart restores it all.
        let customers = runtime.allCustomers()
        runtime.stop()
        try await running.value
        #expect(runtime.status().checkpointsWritten == idle + 1)
        let restarted = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: directory)
        let again = Task { try await restarted.run() }
        #expect(await H.eventually { restarted.status().partitions.count == 4 && restarted.allCustomers().count == 40 })
        try await Task.sleep(for: .milliseconds(500))
        #expect(restarted.allCustomers() == customers)
        #expect(restarted.status().statistics.applied == script.count + 1, "restored, and nothing applied again")
        restarted.stop()
        try await again.value
        cluster.shutdown()
    }

    /// The runtime's count of checkpoints written, once it stayed the same for two seconds
    /// (bounded: 30 s).
    static func settledCheckpointCount(_ runtime: ProjectorRuntime) async -> Int {
        var count = runtime.status().checkpointsWritten
        for _ in 0..<15 {
            try? await Task.sleep(for: .seconds(2))
            let now = runtime.status().checkpointsWritten
            if now == count { break }
            count = now
        }
        return count
    }

    @Test func aCorruptCheckpointIsReportedAndRebuiltFromTheLog() async throws {
        let (cluster, script) = try H.clusterWithScript(partitions: 2, customers: 50)
        let directory = H.temporaryDirectory()

        let first = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: directory)
        var running = Task { try await first.run() }
        #expect(await H.eventually { H.seen([first]) == script.count })
        first.stop()
        try await running.value
        let file = "\(first.configuration.checkpointDirectory)/sales.events-0.ckpt"
        var bytes = [UInt8](FileManager.default.contents(atPath: file)!)
        bytes[bytes.count / 2] ^= 0xFF
        #expect(FileManager.default.createFile(atPath: file, contents: Data(bytes)), "the damaged checkpoint is written")
        #expect(throws: CheckpointError.self) { try CheckpointStore(directory: first.configuration.checkpointDirectory).read(topic: "sales.events", partition: 0) }

        let second = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: directory)
        running = Task { try await second.run() }
        #expect(await H.eventually { second.allCustomers().count == 50 && second.status().partitions.count == 2 })
        #expect(FileManager.default.fileExists(atPath: file + ".corrupt"))
        #expect(Self.settle(second.allCustomers(), at: Self.end) == Self.settle(try Self.reference(script), at: Self.end))
        second.stop()
        try await running.value
        cluster.shutdown()
    }

    @Test func twoInstancesShareThePartitionsAndOneTakesOverWhenTheOtherStops() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("sales.events", partitions: 4)
        let first = H.script(customers: 200)
        try H.publish(first, to: cluster.bootstrapServers)
        let directory = H.temporaryDirectory() // shared state location

        let a = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: directory)
        let b = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: directory)
        let runningA = Task { try await a.run() }
        let runningB = Task { try await b.run() }
        #expect(await H.eventually { a.status().partitions.count == 2 && b.status().partitions.count == 2 && a.allCustomers().count + b.allCustomers().count == 200 && H.seen([a, b]) >= first.count })
        let union = (a.allCustomers() + b.allCustomers()).sorted { $0.customer < $1.customer }
        #expect(Self.settle(union, at: Self.end) == Self.settle(try Self.reference(first), at: Self.end))

        let takenBack = a.partitionsTakenBackAfterRevocation
        b.stop()
        try await runningB.value
        let second = H.script(customers: 200, offsetHours: 120)
        try H.publish(second, to: cluster.bootstrapServers)
        #expect(await H.eventually { a.status().partitions.count == 4 && a.allCustomers().count == 200 && a.allCustomers().allSatisfy { $0.fields["latest_need"]?.updatedAt.epochMilliseconds ?? 0 >= H.base + 200 * 3_600_000 } })
        // The rebalance revoked A's two partitions too and gave them back: taken back without
        // reading their checkpoints; B's two restored from the shared folder.
        #expect(a.partitionsTakenBackAfterRevocation >= takenBack + 2)
        #expect(Self.settle(a.allCustomers(), at: Self.end.adding(milliseconds: 200 * 3_600_000)) == Self.settle(try Self.reference(first + second), at: Self.end.adding(milliseconds: 200 * 3_600_000)))
        a.stop()
        try await runningA.value
        cluster.shutdown()
    }
}
