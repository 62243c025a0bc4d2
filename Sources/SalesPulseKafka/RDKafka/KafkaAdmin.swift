import CRdKafka
import Logging

/// Cluster administration: create topics, read metadata and where partitions' logs begin and end.
///
/// All calls block (they wait for the cluster): call them off the cooperative pool.
/// Note: librdkafka's mock cluster (the embedded broker) implements no CreateTopics, so against
/// it ``createTopics(_:timeout:)`` times out; use ``EmbeddedKafkaCluster/createTopic(_:partitions:)``.
public final class KafkaAdmin: @unchecked Sendable {
    // @unchecked Sendable: rd_kafka_t is thread-safe and each call uses its own result queue.
    private let handle: OpaquePointer
    private let context: RDKafkaCallbackContext

    /// Creates an admin client.
    public init(configuration: KafkaAdminConfiguration, logger: Logger = Logger(label: "salespulse.kafka.admin")) throws(KafkaError) {
        let conf = try RDKafkaConfiguration.make(configuration.librdkafkaProperties)
        let context = RDKafkaCallbackContext(logger: logger)
        context.install(on: conf)
        self.handle = try RDKafkaConfiguration.makeClient(type: RD_KAFKA_PRODUCER, conf: conf, role: "admin client")
        self.context = context
    }

    deinit {
        rd_kafka_destroy(handle)
        withExtendedLifetime(context) {}
    }

    /// The cluster's id, or nil when none is known within `timeout`. librdkafka's mock cluster
    /// (the embedded broker) names itself `mockCluster…`.
    public func clusterID(timeout: Duration = .seconds(1)) -> String? {
        guard let id = rd_kafka_clusterid(handle, Int32(timeout.milliseconds)) else { return nil }
        defer { rd_kafka_mem_free(handle, id) }
        return String(cString: id)
    }

    /// Creates topics. A topic that already exists is not an error.
    /// - Throws: ``KafkaError`` naming the first topic that failed and why.
    public func createTopics(_ topics: [KafkaNewTopic], timeout: Duration = .seconds(30)) throws(KafkaError) {
        var errorBuffer = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { for topic in newTopics { rd_kafka_NewTopic_destroy(topic) } }
        for topic in topics {
            guard let newTopic = rd_kafka_NewTopic_new(topic.name, topic.partitions, topic.replicationFactor, &errorBuffer, errorBuffer.count) else {
                let reason = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                throw KafkaError(code: .admin, message: "topic \(topic.name): \(reason)", hint: "Fix the topic's partitions or replication factor.")
            }
            newTopics.append(newTopic)
            for (name, value) in topic.config.sorted(by: { $0.key < $1.key }) {
                let code = rd_kafka_NewTopic_set_config(newTopic, name, value)
                if code != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError.rdKafka(code, context: "topic \(topic.name) config \(name)=\(value)")
                }
            }
        }
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, Int32(timeout.milliseconds), &errorBuffer, errorBuffer.count)
        newTopics.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_CreateTopics(handle, buffer.baseAddress, buffer.count, options, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, Int32(timeout.milliseconds) + 1000) else {
            throw KafkaError(code: .timedOut, isRetriable: true, message: "create topics: no answer within \(timeout)",
                             hint: "The cluster has no controller or does not support CreateTopics (the embedded broker does not): create topics there with EmbeddedKafkaCluster.createTopic.")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventCode = rd_kafka_event_error(event)
        if eventCode != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.rdKafka(eventCode, context: "create topics", detail: rd_kafka_event_error_string(event).map { String(cString: $0) })
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else { return }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for index in 0..<count {
            let topicResult = results[index]
            let code = rd_kafka_topic_result_error(topicResult)
            if code != RD_KAFKA_RESP_ERR_NO_ERROR && code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                let name = String(cString: rd_kafka_topic_result_name(topicResult))
                throw KafkaError.rdKafka(code, context: "create topic \(name)", detail: rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) })
            }
        }
    }

    /// Reads cluster metadata, for one topic or all.
    public func metadata(topic: String? = nil, timeout: Duration = .seconds(10)) throws(KafkaError) -> KafkaClusterMetadata {
        var topicHandle: OpaquePointer?
        if let topic { topicHandle = rd_kafka_topic_new(handle, topic, nil) }
        defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let code = rd_kafka_metadata(handle, topic == nil ? 1 : 0, topicHandle, &metadata, Int32(timeout.milliseconds))
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError.rdKafka(code, context: "reading metadata")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let brokers = (0..<Int(metadata.pointee.broker_cnt)).map { index in
            let broker = metadata.pointee.brokers[index]
            return KafkaClusterMetadata.Broker(id: broker.id, host: String(cString: broker.host), port: broker.port)
        }
        let topics = (0..<Int(metadata.pointee.topic_cnt)).map { index in
            let topic = metadata.pointee.topics[index]
            let partitions = (0..<Int(topic.partition_cnt)).map { topic.partitions[$0].id }
            let error = topic.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : String(cString: rd_kafka_err2str(topic.err))
            return KafkaClusterMetadata.Topic(name: String(cString: topic.topic), partitions: partitions.sorted(), error: error)
        }
        return KafkaClusterMetadata(brokers: brokers.sorted { $0.id < $1.id }, topics: topics.sorted { $0.name < $1.name })
    }

    /// Where the logs of `partitions` end (the offset the next record will get), asked of the
    /// partitions' leaders in one request each (ListOffsets, latest).
    /// - Throws: ``KafkaError`` when the cluster does not answer within `timeout`, or names a
    ///   partition's error (an unknown topic or partition).
    public func endOffsets(of partitions: [KafkaTopicPartition], timeout: Duration = .seconds(5)) throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        // Asked "by time" with the time -1, which ListOffsets reads as "the latest offset".
        let list = RDKafkaPartitionList.make(partitions, offsets: Dictionary(partitions.map { ($0, Int64(-1)) }, uniquingKeysWith: { $1 }))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_offsets_for_times(handle, list, Int32(timeout.milliseconds))
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.rdKafka(code, context: "reading where the logs of \(partitions.count) partitions end") }
        var result: [KafkaTopicPartition: Int64] = [:]
        for (partition, offset, error) in RDKafkaPartitionList.elements(of: list) {
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.rdKafka(error, context: "reading where the log of \(partition) ends") }
            result[partition] = offset
        }
        return result
    }

    /// Where each partition's log begins and ends now (its low and high watermarks: the first
    /// offset the broker still has, and the next offset to be written), asked of each
    /// partition's leader.
    /// - Throws: ``KafkaError`` for the first partition whose offsets could not be read.
    public func watermarks(of topic: String, partitions: [Int32], timeout: Duration = .seconds(5)) throws(KafkaError) -> [Int32: (low: Int64, high: Int64)] {
        var result: [Int32: (low: Int64, high: Int64)] = [:]
        for partition in partitions {
            var low: Int64 = 0
            var high: Int64 = 0
            let code = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, Int32(timeout.milliseconds))
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.rdKafka(code, context: "reading the offsets of \(topic)/\(partition)") }
            result[partition] = (low, high)
        }
        return result
    }
}
