import Testing
@testable import SalesPulseRuntime

/// The topics a run uses are named after its input topic and group; one Kafka would refuse is
/// reported before anything starts, naming the option it comes from.
@Suite struct TopicNameTests {
    static func configuration(topic: String = "sales.events", group: String = "salespulse", repartition: Bool = true, http: Bool = false) -> RuntimeConfiguration {
        var configuration = RuntimeConfiguration(bootstrapServers: "127.0.0.1:9092", process: SeedRuleCatalogueTests.configuration)
        configuration.topic = topic
        configuration.group = group
        configuration.repartitionCounters = repartition
        if http { configuration.advertisedURL = "http://127.0.0.1:8080" }
        return configuration
    }

    @Test(arguments: ["sales.events", "a", "Sales_Events-2", String(repeating: "x", count: 249)])
    func kafkasTopicNamesPass(_ name: String) {
        #expect(RuntimeConfiguration.topicNameProblem(name) == nil)
    }

    @Test(arguments: [("", "it is empty"), (".", "does not take"), ("..", "does not take"), ("war room", "a space"), ("a/b", "'/'"),
                      ("ventes:été", "':'"), ("été", "'é'"), (String(repeating: "x", count: 250), "250 characters long")])
    func anythingElseIsRefusedSayingWhy(_ name: String, _ why: String) {
        let problem = RuntimeConfiguration.topicNameProblem(name)
        #expect(problem?.contains(why) == true, "\(name): \(problem ?? "accepted")")
    }

    @Test func aGroupThatCannotNameTheRepartitionTopicsIsRefusedNamingTheGroupOption() {
        #expect {
            try Self.configuration(group: "war/room").checkTopicNames()
        } throws: { error in
            let error = error as? RuntimeConfigurationError
            return error?.message.hasPrefix("a repartition topic salespulse.war/room.repartition.") == true && error?.hint.contains("--group") == true
        }
        // Without repartition topics or a membership topic no topic is named after the group.
        #expect(throws: Never.self) { try Self.configuration(group: "war/room", repartition: false).checkTopicNames() }
        #expect(throws: RuntimeConfigurationError.self) { try Self.configuration(group: "war/room", repartition: false, http: true).checkTopicNames() }
    }

    @Test func anInputTopicKafkaWouldRefuseIsRefusedNamingTheTopicOption() {
        #expect {
            try Self.configuration(topic: "sales events").checkTopicNames()
        } throws: { error in
            let error = error as? RuntimeConfigurationError
            return error?.message == "the input topic sales events is not a valid Kafka topic name: it holds a space, and Kafka takes only letters, digits, '.', '_' and '-'"
                && error?.hint.contains("--topic") == true
        }
    }

    @Test func theRuntimeRefusesSuchAConfigurationBeforeAnythingStarts() {
        #expect(throws: RuntimeConfigurationError.self) {
            _ = try ProjectorRuntime(configuration: Self.configuration(group: "war room"))
        }
    }
}
