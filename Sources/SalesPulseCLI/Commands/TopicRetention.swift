import SalesPulseKafka

/// How much of a topic the embedded broker has dropped: it keeps only about 5 MiB per partition
/// and drops the oldest records silently, so a topic that outgrows that loses its head.
struct TopicRetention: Sendable, Equatable {
    /// The topic's name.
    let topic: String
    /// Partitions of the topic.
    let partitions: Int
    /// Records no longer on the broker (the partitions' low watermarks, summed).
    let dropped: Int64
    /// Records ever written (the partitions' high watermarks, summed).
    let written: Int64
    /// Partitions whose log no longer begins at offset 0.
    let cutPartitions: Int

    /// The retention of `topic` from its partitions' watermarks.
    init(topic: String, watermarks: [Int32: (low: Int64, high: Int64)]) {
        self.topic = topic
        partitions = watermarks.count
        dropped = watermarks.values.reduce(0) { $0 + $1.low }
        written = watermarks.values.reduce(0) { $0 + $1.high }
        cutPartitions = watermarks.values.filter { $0.low > 0 }.count
    }

    /// Partitions that would have kept everything written, with a quarter to spare.
    var partitionsToKeepAll: Int {
        Int((Double(partitions) * Double(written) / Double(max(1, written - dropped)) * 1.25).rounded(.up))
    }

    /// The retention of every partition of `topic` as the cluster at `admin` reports it now;
    /// nil when the topic or its offsets cannot be read.
    static func read(_ topic: String, with admin: KafkaAdmin) -> TopicRetention? {
        guard let partitions = try? admin.metadata(topic: topic).topics.first(where: { $0.name == topic })?.partitions, !partitions.isEmpty,
              let marks = try? admin.watermarks(of: topic, partitions: partitions) else { return nil }
        return TopicRetention(topic: topic, watermarks: marks)
    }
}
