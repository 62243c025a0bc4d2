import Foundation
import Synchronization
import Testing
import SalesPulseKafka
@testable import SalesPulseRuntime

/// A record the producer gives up on (a dead letter, an alert, a forward) was lost unless the
/// input it came from is folded again: the run stops without a checkpoint past it, saying
/// which topic and why, and a restart sends it again.
@Suite(.serialized) struct UndeliveredRecordsTests {
    typealias H = RuntimeHarness

    /// The Kafka protocol's Produce request.
    static let produce: Int16 = 0

    /// Records no event schema accepts, one per customer of the script's first ones.
    static let rejected: [(key: String, value: String)] = (0..<6).map { index in
        ("cust-\(index)", #"{"specversion":"1.0","id":"broken-\#(index)""#)
    }

    @Test func recordsTheClusterRefusesStopTheRunAndARestartSendsThem() async throws {
        let (cluster, script) = try H.clusterWithScript(partitions: 2, customers: 40)
        defer { cluster.shutdown() }
        try H.publish(Self.rejected, to: cluster.bootstrapServers)
        // The run's Produce requests are refused for good: librdkafka fails their records.
        try cluster.failNextRequests(ofType: Self.produce, count: 100_000, with: "TOPIC_AUTHORIZATION_FAILED")
        let state = H.temporaryDirectory()

        let first = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: state, group: "refused")
        let ending = await Self.errorEndingTheRun(of: first, "the run went on with records the cluster refused")
        // Refused after it was queued (the delivery report) or, once librdkafka knows the topic
        // refuses records, when it is queued: either way a delivery error naming the refusal.
        if let error = ending as? KafkaError {
            #expect(error.code == .delivery, "\(error)")
            #expect(error.librdkafkaName == "TOPIC_AUTHORIZATION_FAILED", "\(error)")
            #expect(!error.hint.isEmpty, "\(error)")
        } else {
            Issue.record("the run ended with \(String(describing: ending)), not a delivery error")
        }
        #expect(first.status().partitions.isEmpty)

        // Accepted again: a restart from what the first run left folds the rejected records
        // again and sends every dead letter, each input counted once.
        cluster.clearRequestFailures(ofType: Self.produce)
        let second = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: state, group: "refused")
        let resumed = Task { try await second.run() }
        #expect(await H.eventually { second.status().statistics.applied == script.count && second.status().statistics.rejected == Self.rejected.count })
        second.stop()
        try await resumed.value
        let dead = try H.readAll("sales.events.dlq", bootstrap: cluster.bootstrapServers, expected: Self.rejected.count)
        #expect(Set(dead.compactMap(\.valueString)) == Set(Self.rejected.map(\.value)))
    }

    /// A record that fits its topic but whose dead letter, with the headers added, would not
    /// fit librdkafka's limit (as it came again at every restart, the run could never pass it).
    @Test func anOversizedRecordIsDeadLetteredCutToWhatFitsAndTheRunGoesOn() async throws {
        let (cluster, script) = try H.clusterWithScript(partitions: 2, customers: 20)
        defer { cluster.shutdown() }
        let filler = String(repeating: "x", count: DeadLetter.maximumRecordBytes - 100)
        let oversized = (key: "cust-3", value: #"{"specversion":"1.0","id":"huge","pad":"\#(filler)"}"#)
        #expect(oversized.value.utf8.count + oversized.key.utf8.count <= DeadLetter.maximumRecordBytes)
        try H.publish([oversized] + Self.rejected, to: cluster.bootstrapServers)
        let runtime = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: H.temporaryDirectory(), group: "oversized")
        let running = Task { try await runtime.run() }
        #expect(await H.eventually { runtime.status().statistics.applied == script.count && runtime.status().statistics.rejected == Self.rejected.count + 1 })
        #expect(runtime.status().statistics.rejectedByReason["event-too-large"] == 1)
        runtime.stop()
        try await running.value
        let dead = try H.readAll("sales.events.dlq", bootstrap: cluster.bootstrapServers, expected: Self.rejected.count + 1)
        #expect(dead.count == Self.rejected.count + 1)
        let cut = try #require(dead.first { $0.headers.string(named: "salespulse-truncated") != nil })
        #expect(cut.headers.string(named: "salespulse-truncated") == "\(oversized.value.utf8.count)")
        let kept = try #require(cut.value)
        #expect(kept.count < oversized.value.utf8.count)
        #expect(kept == Array(oversized.value.utf8.prefix(kept.count)), "the value's start is kept")
        #expect(cut.headers.string(named: "salespulse-reason") == "event-too-large")
        // The others are whole.
        #expect(dead.filter { $0.headers.string(named: "salespulse-truncated") == nil }.compactMap(\.valueString).sorted() == Self.rejected.map(\.value).sorted())
    }

    /// A key the input topic took but the dead letter's headers push over the limit: the key
    /// keeps its first half (the record is rejected: its value is not JSON).
    @Test func anOversizedKeyIsDeadLetteredCutToHalfTheLimit() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 1)
        let key = String(repeating: "k", count: DeadLetter.maximumRecordBytes - 100)
        try H.publish([(key: key, value: "not json")], to: cluster.bootstrapServers)
        let runtime = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: H.temporaryDirectory(), group: "long-key")
        let running = Task { try await runtime.run() }
        #expect(await H.eventually { runtime.status().statistics.rejected == 1 })
        runtime.stop()
        try await running.value
        let dead = try H.readAll("sales.events.dlq", bootstrap: cluster.bootstrapServers, expected: 1)
        let letter = try #require(dead.first)
        #expect(letter.key == Array(key.utf8.prefix(DeadLetter.maximumRecordBytes / 2)))
        #expect(letter.headers.string(named: "salespulse-key-truncated") == "\(key.utf8.count)")
        #expect(letter.valueString == "not json", "the value fits whole beside the cut key")
        #expect(letter.headers.string(named: "salespulse-truncated") == nil)
    }

    /// Its first record would wait for it and end the run, perhaps days later: the start says so.
    @Test func aDeadLetterTopicThatCannotBeCreatedIsReportedAtTheStart() async throws {
        let (cluster, _) = try H.clusterWithScript(partitions: 2, customers: 5)
        defer { cluster.shutdown() }
        // The broker answers for the topic with an error: it neither exists nor is created.
        try cluster.setTopicError("sales.events.dlq", errorName: "TOPIC_AUTHORIZATION_FAILED")
        let runtime = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: H.temporaryDirectory(), group: "no-dlq")
        let ending = await Self.errorEndingTheRun(of: runtime, "the run started without its dead-letter topic")
        if let error = ending as? KafkaError {
            #expect(error.code == .admin, "\(error)")
            #expect(error.message.contains("dead-letter topic sales.events.dlq does not exist and could not be created (the cluster says: "), "\(error)")
            #expect(error.hint.contains("Create it"), "\(error)")
        } else {
            Issue.record("the run ended with \(String(describing: ending)), not an admin error")
        }
        #expect(runtime.status().statistics.applied == 0, "nothing is folded")
    }
}

extension UndeliveredRecordsTests {
    /// Runs `runtime` until it ends by itself and returns the error it ended with (nil: none).
    /// Bounded as ``RuntimeHarness/eventually(_:_:)``, so that a run that goes on fails the test
    /// instead of hanging it: it is stopped then, and `stillRunning` recorded as an issue.
    static func errorEndingTheRun(of runtime: ProjectorRuntime, _ stillRunning: Comment) async -> (any Error)? {
        let ending = RunEnding()
        let running = Task {
            do { try await runtime.run(); ending.set(nil) } catch { ending.set(error) }
        }
        if !(await H.eventually { ending.ended }) {
            Issue.record(stillRunning)
            runtime.stop()
        }
        await running.value
        return ending.error
    }
}

/// How a run ended (nil error: without one), once it has.
final class RunEnding: Sendable {
    private let state = Mutex<(ended: Bool, error: (any Error)?)>((false, nil))
    func set(_ error: (any Error)?) { state.withLock { $0 = (true, error) } }
    var ended: Bool { state.withLock { $0.ended } }
    var error: (any Error)? { state.withLock { $0.error } }
}
