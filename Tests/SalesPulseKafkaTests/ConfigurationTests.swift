import Testing
@testable import SalesPulseKafka

@Suite struct ConfigurationTests {
    @Test func consumerDefaultsAreSafeForAStreamProcessor() {
        let properties = KafkaConsumerConfiguration(bootstrapServers: "127.0.0.1:9092", groupID: "g").librdkafkaProperties
        #expect(properties["bootstrap.servers"] == "127.0.0.1:9092")
        #expect(properties["group.id"] == "g")
        #expect(properties["enable.auto.offset.store"] == "false")
        #expect(properties["auto.offset.reset"] == "earliest")
        #expect(properties["queued.min.messages"] == "1000000")
    }

    @Test func aBoundedPrefetchSetsQueuedMinMessages() {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: "b:1", groupID: "g")
        configuration.queuedMinMessages = 7
        #expect(configuration.librdkafkaProperties["queued.min.messages"] == "7")
        configuration.boundedPrefetch = 200_000
        #expect(configuration.librdkafkaProperties["queued.min.messages"] == "200000")
    }

    @Test func passThroughPropertiesWinOverTypedFields() {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: "b:1", groupID: "g")
        configuration.autoOffsetReset = .latest
        configuration.properties = ["auto.offset.reset": "earliest", "fetch.min.bytes": "1"]
        let properties = configuration.librdkafkaProperties
        #expect(properties["auto.offset.reset"] == "earliest")
        #expect(properties["fetch.min.bytes"] == "1")
    }

    @Test func producerIsIdempotentWithLZ4ByDefault() {
        let properties = KafkaProducerConfiguration(bootstrapServers: "b:1").librdkafkaProperties
        #expect(properties["enable.idempotence"] == "true")
        #expect(properties["compression.codec"] == "lz4")
    }

    /// librdkafka's default backs off up to 10 s between attempts to reach a broker that is
    /// down, so a group stayed idle that long after its broker came back.
    @Test func everyClientRetriesABrokerThatIsDownAtLeastEverySecond() {
        #expect(KafkaConsumerConfiguration(bootstrapServers: "b:1", groupID: "g").librdkafkaProperties["reconnect.backoff.max.ms"] == "1000")
        #expect(KafkaProducerConfiguration(bootstrapServers: "b:1").librdkafkaProperties["reconnect.backoff.max.ms"] == "1000")
        #expect(KafkaAdminConfiguration(bootstrapServers: "b:1").librdkafkaProperties["reconnect.backoff.max.ms"] == "1000")
    }

    @Test func unknownPropertyIsRejectedByName() {
        var configuration = KafkaProducerConfiguration(bootstrapServers: "b:1")
        configuration.properties = ["no.such.property": "1"]
        do {
            _ = try KafkaProducer(configuration: configuration)
            Issue.record("expected a configuration error")
        } catch {
            #expect(error.code == .configuration)
            #expect(error.message.contains("no.such.property"))
            #expect(error.hint.contains("no.such.property"))
        }
    }

    @Test func invalidValueIsRejectedWithReason() {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: "b:1", groupID: "g")
        configuration.sessionTimeoutMilliseconds = -5
        #expect(throws: KafkaError.self) { _ = try KafkaConsumer(configuration: configuration) }
    }
}
