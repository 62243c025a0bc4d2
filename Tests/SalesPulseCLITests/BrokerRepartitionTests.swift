import ArgumentParser
import Testing
import SalesPulseKafka
import SalesPulseRuntime
@testable import SalesPulseCLI

/// `salespulse broker --repartition-for GROUP:N` creates the repartition topics `run --group
/// GROUP` uses, with N partitions each (the embedded broker would otherwise create them with 4).
@Suite(.serialized) struct BrokerRepartitionTests {
    @Test func theGroupsRepartitionTopicsAreCreatedWithThePartitionsAskedFor() throws {
        let command = try BrokerCommand.parse(["--topic", "sales.events:16", "--repartition-for", "counts:12", "--config", "deploy/config/salespulse.yaml"])
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try command.createTopics(in: cluster)
        let process = try Console.loadConfiguration("deploy/config/salespulse.yaml")
        let expected = Repartition.attributes(of: process).map { Repartition.topic(group: "counts", attribute: $0) }
        #expect(!expected.isEmpty)
        let admin = try KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: cluster.bootstrapServers))
        let topics = try admin.metadata().topics
        for name in expected { #expect(topics.first { $0.name == name }?.partitions.count == 12, "\(name)") }
        #expect(topics.first { $0.name == "sales.events" }?.partitions.count == 16)
    }

    @Test(arguments: ["counts", "counts:0", ":8", "counts:eight", "a:b:8"])
    func aMalformedGroupIsRefusedBeforeTheBrokerStarts(_ spec: String) {
        #expect(throws: (any Error).self) { try BrokerCommand.parse(["--repartition-for", spec]) }
    }

    @Test(arguments: ["t:0", ":8", "t:eight", "a:b:8", "t:"])
    func aMalformedTopicIsRefusedBeforeTheBrokerStarts(_ spec: String) {
        #expect(throws: (any Error).self) { try BrokerCommand.parse(["--topic", spec]) }
    }

    /// The alerts and dead-letter topics `run` writes to get 16 partitions (about 80 MiB), where
    /// automatic creation gave 4 and the broker dropped the oldest alerts of a few million events.
    @Test func theTopicsRunWritesToHaveSixteenPartitionsUnlessATopicOptionNamesThem() throws {
        for (arguments, expected) in [
            ([String](), ["salespulse.alerts": 16, "sales.events.dlq": 16]),
            (["--topic", "t100:8"], ["salespulse.alerts": 16, "sales.events.dlq": 16, "t100.dlq": 16]),
            (["--topic", "sales.events.dlq:2", "--topic", "salespulse.alerts:3"], ["salespulse.alerts": 3, "sales.events.dlq": 2]),
        ] {
            let cluster = try EmbeddedKafkaCluster()
            defer { cluster.shutdown() }
            try BrokerCommand.parse(arguments).createTopics(in: cluster)
            let topics = try KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: cluster.bootstrapServers)).metadata().topics
            for (name, partitions) in expected {
                #expect(topics.first { $0.name == name }?.partitions.count == partitions, "\(arguments): \(name)")
            }
            #expect(!topics.contains { $0.name == "salespulse.alerts.dlq" || $0.name == "sales.events.dlq.dlq" }, "\(arguments)")
        }
    }

    /// The default group's repartition topics get 16 partitions (about 80 MiB each), where
    /// automatic creation gave 4 and 6,000,000 events outgrew two of them.
    @Test func theDefaultGroupsRepartitionTopicsHaveSixteenPartitionsUnlessTheGroupIsNamed() throws {
        let process = try Console.loadConfiguration("deploy/config/salespulse.yaml")
        let names = Repartition.attributes(of: process).map { Repartition.topic(group: "salespulse", attribute: $0) }
        #expect(!names.isEmpty)
        for (arguments, expected) in [([String](), 16), (["--repartition-for", "salespulse:8"], 8), (["--repartition-for", "other:2"], 16),
                                      (["--config", "/nonexistent/salespulse.yaml"], 0)] {
            let cluster = try EmbeddedKafkaCluster()
            defer { cluster.shutdown() }
            try BrokerCommand.parse(arguments).createTopics(in: cluster)
            let topics = try KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: cluster.bootstrapServers)).metadata().topics
            for name in names {
                #expect((topics.first { $0.name == name }?.partitions.count ?? 0) == expected, "\(arguments): \(name)")
            }
        }
    }

    @Test func theInputTopicHasSixtyFourPartitionsUnlessATopicOptionNamesIt() throws {
        for (arguments, expected) in [([String](), 64), (["--topic", "sales.events:8"], 8), (["--topic", "other:2"], 64)] {
            let cluster = try EmbeddedKafkaCluster()
            defer { cluster.shutdown() }
            try BrokerCommand.parse(arguments).createTopics(in: cluster)
            let topics = try KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: cluster.bootstrapServers)).metadata().topics
            #expect(topics.first { $0.name == "sales.events" }?.partitions.count == expected, "\(arguments)")
        }
    }

    @Test func aTopicWithoutPartitionsGetsFour() throws {
        #expect(try BrokerCommand.topic("sales.events") == ("sales.events", 4))
        #expect(try BrokerCommand.topic("sales.events:64") == ("sales.events", 64))
    }
}
