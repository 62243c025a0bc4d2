import SalesPulseKafka

extension PublishCommand {
    /// On the embedded broker, which keeps only about 5 MiB per partition and drops the oldest
    /// records silently: a warning when `topic`'s logs no longer begin at offset 0 — records
    /// published (now or earlier) are gone, and a consumer that had not read them has missed
    /// them. Nil when nothing was dropped, on a Kafka cluster (whose retention its operator
    /// sets), or when the offsets cannot be read.
    /// - Parameter properties: the connection properties the publisher used (TLS, SASL...).
    static func retentionWarning(bootstrap: String, topic: String, properties: KafkaClientProperties = KafkaClientProperties()) -> String? {
        var configuration = KafkaAdminConfiguration(bootstrapServers: bootstrap)
        properties.add(to: &configuration.properties)
        guard let admin = try? KafkaAdmin(configuration: configuration),
              let cluster = admin.clusterID(timeout: .seconds(2)), EmbeddedKafkaCluster.isEmbedded(clusterID: cluster),
              let retention = TopicRetention.read(topic, with: admin), retention.dropped > 0 else { return nil }
        return "warning: the embedded broker no longer has the first \(retention.dropped) of the \(retention.written) records of \(topic): it keeps about 5 MiB per partition, "
            + "and \(retention.cutPartitions) of its \(retention.partitions) partitions were cut short. A consumer that had not read them has missed them. "
            + "Start the broker with the topic spread over more partitions (e.g. `salespulse broker --topic \(topic):\(retention.partitionsToKeepAll)`) and publish again."
    }
}
