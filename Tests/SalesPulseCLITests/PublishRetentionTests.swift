import Foundation
import Testing
import SalesPulseKafka
@testable import SalesPulseCLI

/// `publish` on the embedded broker warns when the topic's oldest records are gone.
@Suite(.serialized) struct PublishRetentionTests {
    /// `count` events of about 330 bytes for one customer each, published uncompressed (their
    /// bytes count in full against the broker's 5 MiB per partition).
    static func publish(_ count: Int, to bootstrap: String, topic: String) throws {
        var configuration = KafkaProducerConfiguration(bootstrapServers: bootstrap)
        configuration.compression = .none
        let producer = try KafkaProducer(configuration: configuration)
        let padding = String(repeating: "x", count: 200)
        for index in 0..<count {
            let value = #"{"specversion":"1.0","id":"r-\#(index)","source":"test","type":"sales.message.sent","time":"2026-03-02T00:00:00Z","subject":"cust-\#(index)","data":{"channel":"sms","note":"\#(padding)"}}"#
            try producer.enqueue(KafkaOutgoingMessage(topic: topic, key: "cust-\(index)", value: value))
        }
        try producer.flush(timeout: .seconds(30))
        producer.close()
    }

    @Test func aTopicCutShortByTheBrokerIsReportedWithAPartitionCountThatKeepsIt() throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("cut", partitions: 1)
        try Self.publish(30_000, to: cluster.bootstrapServers, topic: "cut")  // about 9 MB
        let warning = try #require(PublishCommand.retentionWarning(bootstrap: cluster.bootstrapServers, topic: "cut"))
        #expect(warning.contains("of the 30000 records of cut"), "\(warning)")
        #expect(warning.contains("1 of its 1 partitions were cut short"), "\(warning)")
        // 30,000 written, about 5 MiB kept: two partitions at least, with the quarter to spare.
        let wanted = try #require(warning.split(separator: "--topic cut:").last?.prefix { $0.isNumber }).description
        #expect((Int(wanted) ?? 0) >= 2, "\(warning)")
    }

    @Test func aWholeTopicGivesNoWarning() throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("whole", partitions: 2)
        try Self.publish(1_000, to: cluster.bootstrapServers, topic: "whole")
        #expect(PublishCommand.retentionWarning(bootstrap: cluster.bootstrapServers, topic: "whole") == nil)
    }
}

/// `broker` watches its topics and says, once per topic, when it drops records.
@Suite(.serialized) struct RetentionWatchTests {
    @Test func aTopicThatLostRecordsIsWarnedAboutOnce() throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("cut", partitions: 1)
        try cluster.createTopic("whole", partitions: 2)
        try PublishRetentionTests.publish(30_000, to: cluster.bootstrapServers, topic: "cut")
        try PublishRetentionTests.publish(1_000, to: cluster.bootstrapServers, topic: "whole")
        let watch = try RetentionWatch(bootstrap: cluster.bootstrapServers)
        let warnings = watch.check()
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("the oldest records of cut:") == true, "\(warnings)")
        #expect(warnings.first?.contains("of 30000 so far, in 1 of its 1 partitions") == true, "\(warnings)")
        #expect(watch.check().isEmpty)
    }

    @Test(arguments: [(low: Int64(500), high: Int64(1_000), partitions: 4), (low: 0, high: 1_000, partitions: 3), (low: 900, high: 1_000, partitions: 5)])
    func partitionsThatWouldHaveKeptEverything(_ example: (low: Int64, high: Int64, partitions: Int)) {
        // One partition cut to `low`, one whole partition of the same size: 2 × written / kept ×
        // 1.25, rounded up (500 dropped of 2,000: 2 × 2000 / 1500 × 1.25 = 3.3 → 4).
        let retention = TopicRetention(topic: "t", watermarks: [0: (example.low, example.high), 1: (0, example.high)])
        #expect(retention.dropped == example.low)
        #expect(retention.written == 2 * example.high)
        #expect(retention.cutPartitions == (example.low > 0 ? 1 : 0))
        #expect(retention.partitionsToKeepAll == example.partitions)
    }
}
