import Testing
import SalesPulseKafka
@testable import SalesPulseRuntime

/// The topics the runtime creates ask for the cluster's own replication factor unless one is
/// configured, and a cluster that cannot take that default is asked for three copies or one per
/// broker.
@Suite struct TopicCreationTests {
    @Test func withoutAConfiguredFactorEveryTopicAsksForTheClustersDefault() {
        let topics = ProjectorRuntime.newTopics([("sales.events.dlq", 64), ("salespulse.g.members", 1)], replicationFactor: nil)
        #expect(topics.map(\.name) == ["sales.events.dlq", "salespulse.g.members"])
        #expect(topics.map(\.partitions) == [64, 1])
        #expect(topics.map(\.replicationFactor) == [-1, -1])
    }

    @Test func aConfiguredFactorIsAskedForAsItIs() {
        let topics = ProjectorRuntime.newTopics([("salespulse.g.repartition.region", 8)], replicationFactor: 2)
        #expect(topics.map(\.replicationFactor) == [2])
        #expect(topics.map(\.partitions) == [8])
    }

    @Test(arguments: [(0, 1), (1, 1), (2, 2), (3, 3), (5, 3), (40, 3)])
    func anOlderClusterIsAskedForThreeCopiesOrOnePerBroker(brokers: Int, factor: Int) {
        #expect(ProjectorRuntime.fallbackReplicationFactor(brokers: brokers) == factor)
    }

    @Test func theDefaultConfigurationLeavesTheFactorToTheCluster() {
        let configuration = RuntimeConfiguration(bootstrapServers: "127.0.0.1:9092", process: SeedRuleCatalogueTests.configuration)
        #expect(configuration.topicReplicationFactor == nil)
    }
}

/// The connection properties a deployment gives reach every client the runtime creates, beside
/// the settings the runtime makes itself.
@Suite struct KafkaPropertiesReachEveryClientTests {
    typealias H = RuntimeHarness

    @Test func theAdminConsumerAndProducerAllCarryTheGivenProperties() throws {
        var configuration = RuntimeConfiguration(bootstrapServers: "127.0.0.1:9092", process: SeedRuleCatalogueTests.configuration)
        try configuration.kafkaProperties.set("security.protocol", to: "SASL_SSL")
        try configuration.kafkaProperties.set("client.rack", to: "eu-west-1a")
        let clients = [configuration.adminConfiguration.librdkafkaProperties,
                       configuration.consumerConfiguration(onEmbeddedBroker: false).librdkafkaProperties,
                       configuration.producerConfiguration.librdkafkaProperties]
        for properties in clients {
            #expect(properties["security.protocol"] == "SASL_SSL")
            #expect(properties["client.rack"] == "eu-west-1a")
            #expect(properties["bootstrap.servers"] == "127.0.0.1:9092")
        }
        #expect(clients[1]["enable.auto.offset.store"] == "false")
        #expect(clients[2]["enable.idempotence"] == "true")
        #expect(clients[2]["message.timeout.ms"] == "0")
    }

    /// TLS asked of the embedded broker, which speaks plaintext: the start cannot reach it, as
    /// it would a secured cluster without them — the properties reach the clients.
    @Test func aRunWhosePropertiesTheClusterDoesNotSpeakCannotReachIt() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        let runtime = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: H.temporaryDirectory(), group: "tls") {
            $0.clusterWaitMilliseconds = 1_500
            try? $0.kafkaProperties.set("security.protocol", to: "SSL")
            try? $0.kafkaProperties.set("enable.ssl.certificate.verification", to: "false")
        }
        #expect(runtime.configuration.kafkaProperties.values["security.protocol"] == "SSL")
        do {
            try await runtime.run()
            Issue.record("the run reached a plaintext broker over TLS")
        } catch let error as KafkaError {
            #expect(error.code == .connection, "\(error)")
            #expect(error.message.contains("cannot reach the Kafka cluster at \(cluster.bootstrapServers)"), "\(error)")
        }
    }
}
