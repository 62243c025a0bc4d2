import Foundation
import Testing
import SalesPulseKafka

/// The key → partition functions agree with librdkafka's own partitioners, checked by producing
/// keyed records to the embedded broker and reading back where they landed.
@Suite(.serialized) struct PartitionerTests {
    @Test(arguments: [(KafkaPartitioner.consistent, "consistent_random", 7), (.murmur2, "murmur2_random", 12)])
    func computedPartitionMatchesWhereLibrdkafkaPutTheRecord(_ partitioner: KafkaPartitioner, _ property: String, _ partitions: Int) async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        let topic = "partitioner-\(property)"
        try cluster.createTopic(topic, partitions: partitions)
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.properties["partitioner"] = property
        let producer = try KafkaProducer(configuration: configuration)
        let keys = (0..<300).map { "cust-\($0 * 7919)" } + ["a", "ab", "abc", "abcd", "客户-42", "rep-0001"]
        for key in keys { try producer.enqueue(KafkaOutgoingMessage(topic: topic, key: key, value: "v")) }
        try producer.flush(timeout: .seconds(30))
        producer.close()

        let harness = try ConsumerHarness(name: property, bootstrap: cluster.bootstrapServers, group: property, topics: [topic], limit: keys.count)
        harness.start()
        harness.waitUntilFinished()
        let landed = Dictionary(harness.seen.map { ($0.key!, $0.partition.partition) }, uniquingKeysWith: { first, _ in first })
        #expect(landed.count == keys.count)
        let wrong = keys.filter { landed[$0] != partitioner.partition(of: $0, partitions: partitions) }
        #expect(wrong.isEmpty, "keys placed elsewhere than computed: \(wrong.prefix(5))")
        #expect(Set(landed.values).count == partitions, "keys spread over every partition")
    }

    @Test func knownValuesOfTheJavaClient() {
        // Utils.murmur2 of the Java client: "21" → -973932308, "foobar" → -790332482.
        #expect(Int32(bitPattern: KafkaPartitioner.murmur2Hash(Array("21".utf8))) == -973_932_308)
        #expect(Int32(bitPattern: KafkaPartitioner.murmur2Hash(Array("foobar".utf8))) == -790_332_482)
    }
}
