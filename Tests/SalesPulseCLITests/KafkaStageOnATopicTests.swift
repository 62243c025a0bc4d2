import Foundation
import Testing
import SalesPulseKafka
import SalesPulseModel
@testable import SalesPulseCLI

/// `bench --stages kafka --bootstrap … --topic …` measures a topic that holds its events already,
/// on a cluster that `run` may be using: it publishes nothing, reads every record in groups of its
/// own, and writes its runs' alerts and dead letters to topics named after their groups.
@Suite(.serialized) struct KafkaStageOnATopicTests {
    @Test func aPublishedTopicIsMeasuredTwiceWithoutTouchingTheTopicsRunWrites() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 4)
        // Sample events, and three that are not events at all (dead letters).
        let samples = SampleEvents.make(count: 3_000, customers: 300, reps: 20)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        for sample in samples { try producer.enqueue(KafkaOutgoingMessage(topic: "sales.events", key: SubjectScanner.subject(in: sample), value: sample)) }
        for index in 0..<3 { try producer.enqueue(KafkaOutgoingMessage(topic: "sales.events", key: "cust-\(index)", value: "not an event")) }
        // A lead, and a message 30 hours later: folding it fires the lead's activation alert.
        try producer.enqueue(KafkaOutgoingMessage(topic: "sales.events", key: "lead-1", value: #"{"specversion":"1.0","id":"lead-1","source":"test","type":"sales.lead.created","time":"2026-03-02T00:00:00Z","subject":"lead-1","repid":"rep-1","region":"east","data":{"channel":"wechat","contactMode":"visit"}}"#))
        try producer.enqueue(KafkaOutgoingMessage(topic: "sales.events", key: "lead-1", value: #"{"specversion":"1.0","id":"msg-1","source":"test","type":"sales.message.sent","time":"2026-03-03T06:00:00Z","subject":"lead-1","repid":"rep-1","region":"east","data":{"channel":"sms"}}"#))
        try producer.flush(timeout: .seconds(30))
        producer.close()

        let command = try BenchCommand.parse(["--stages", "kafka", "--bootstrap", cluster.bootstrapServers, "--kafka-runs", "full", "--kafka-rounds", "2"])
        let configuration = try Console.loadConfiguration("deploy/config/salespulse.yaml")
        let rounds = try await command.kafkaStage(configuration, measuring: "sales.events", on: cluster.bootstrapServers)
        // Two rounds, each reading all 3,005 records: the second round's groups are new ones
        // (a group used before would have resumed from its committed offsets and read nothing).
        #expect(rounds.count == 2)
        for round in rounds {
            #expect(round.raw > 0)
            #expect(round.full.map { $0.rate > 0 } == true)
        }
        let admin = try KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: cluster.bootstrapServers))
        let names = try admin.metadata().topics.map(\.name)
        let pid = ProcessInfo.processInfo.processIdentifier
        for round in 1...2 {
            #expect(names.contains("salespulse.bench-runtime-\(pid)-\(round).dlq"), "\(names.sorted())")
            #expect(names.contains("salespulse.bench-runtime-\(pid)-\(round).alerts"), "\(names.sorted())")
        }
        // Nothing in the topics `run` writes for this input: its dead letters and alerts.
        #expect(!names.contains("sales.events.dlq") && !names.contains("salespulse.alerts"), "\(names.sorted())")
        #expect(TopicRetention.read("salespulse.bench-runtime-\(pid)-1.dlq", with: admin)?.written == 3)
    }

    /// `--kafka-property` reaches the stage's clients: TLS asked of the embedded broker, which
    /// speaks plaintext, cannot reach it (without the properties, the stage measures the topic).
    @Test func theKafkaPropertiesReachTheStagesClients() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 1)
        let command = try BenchCommand.parse(["--stages", "kafka", "--bootstrap", cluster.bootstrapServers, "--kafka-property", "security.protocol=SSL",
                                              "--kafka-property", "enable.ssl.certificate.verification=false"])
        let configuration = try Console.loadConfiguration("deploy/config/salespulse.yaml")
        await #expect(throws: KafkaError.self) { try await command.kafkaStage(configuration, measuring: "sales.events", on: cluster.bootstrapServers) }
    }

    @Test func aMeasurementThatStopsMovingIsGivenUpAfterAMinuteWithWhatHappened() throws {
        var watch = StallWatch(what: "the raw consumer", of: 100, topic: "t")
        let start = ContinuousClock.now
        try watch.note(40, now: start)
        try watch.note(40, now: start + .seconds(59))
        try watch.note(41, now: start + .seconds(90))  // moved: the minute starts again
        try watch.note(41, now: start + .seconds(150))
        do {
            try watch.note(41, now: start + .seconds(151))
            Issue.record("a stall of more than a minute was not given up")
        } catch {
            #expect(SalesPulse.message(for: error).contains("the raw consumer made no progress for 60.0 seconds at 41 records read, of the 100 that t held"), "\(SalesPulse.message(for: error))")
        }
    }

    /// Runs the kafka stage on `topic` of a cluster holding `created` (empty topics) and
    /// expects it refused with `message`; returns the topics the cluster has after.
    static func expectRefusal(of topic: String, created: [String], message: String) async throws -> [String] {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        for name in created { try cluster.createTopic(name, partitions: 2) }
        let command = try BenchCommand.parse(["--stages", "kafka", "--bootstrap", cluster.bootstrapServers, "--topic", topic])
        let configuration = try Console.loadConfiguration("deploy/config/salespulse.yaml")
        do {
            try await command.kafkaStage(configuration, measuring: topic, on: cluster.bootstrapServers)
            Issue.record("\(topic) was measured")
        } catch {
            let text = SalesPulse.message(for: error).replacingOccurrences(of: cluster.bootstrapServers, with: "BOOTSTRAP")
            #expect(text.contains(message), "\(text)")
        }
        let admin = try KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: cluster.bootstrapServers))
        return try admin.metadata().topics.map(\.name)
    }

    @Test func aTopicTheClusterDoesNotHaveIsNamedAndNotCreated() async throws {
        let topics = try await Self.expectRefusal(of: "no.such.topic", created: ["sales.events"], message: "--topic no.such.topic: no such topic on BOOTSTRAP (it has sales.events)")
        #expect(!topics.contains("no.such.topic"))
    }

    @Test func anEmptyTopicIsRefusedWithWhatToDo() async throws {
        _ = try await Self.expectRefusal(of: "empty", created: ["empty"], message: "--topic empty on BOOTSTRAP holds no records: publish some first (salespulse publish --bootstrap BOOTSTRAP --topic empty FILE)")
    }
}
