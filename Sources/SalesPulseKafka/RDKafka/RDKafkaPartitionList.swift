import CRdKafka

/// Conversions between Swift partition values and `rd_kafka_topic_partition_list_t`.
enum RDKafkaPartitionList {
    typealias Pointer = UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    /// Creates a list; the caller destroys it with `rd_kafka_topic_partition_list_destroy`.
    static func make(_ partitions: [KafkaTopicPartition], offsets: [KafkaTopicPartition: Int64] = [:]) -> Pointer {
        let list = rd_kafka_topic_partition_list_new(Int32(max(partitions.count, 1)))!
        for partition in partitions {
            let element = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)!
            if let offset = offsets[partition] { element.pointee.offset = offset }
        }
        return list
    }

    /// Reads the partitions of a list.
    static func partitions(of list: Pointer) -> [KafkaTopicPartition] {
        elements(of: list).map(\.0)
    }

    /// Reads (partition, offset, error) triples of a list.
    static func elements(of list: Pointer) -> [(KafkaTopicPartition, Int64, rd_kafka_resp_err_t)] {
        let count = Int(list.pointee.cnt)
        guard count > 0, let elems = list.pointee.elems else { return [] }
        return (0..<count).map { index in
            let element = elems[index]
            let partition = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
            return (partition, element.offset, element.err)
        }
    }
}
