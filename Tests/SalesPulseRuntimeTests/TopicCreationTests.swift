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
