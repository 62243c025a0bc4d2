import CRdKafka

extension KafkaError {
    /// Maps a librdkafka response code to a ``KafkaError`` with a hint on what to do.
    /// - Parameters:
    ///   - code: the librdkafka error code.
    ///   - context: what we were doing, e.g. "producing to sales.events".
    static func rdKafka(_ code: rd_kafka_resp_err_t, context: String, detail: String? = nil) -> KafkaError {
        let name = String(cString: rd_kafka_err2name(code))
        let text = detail ?? String(cString: rd_kafka_err2str(code))
        let (kind, retriable, hint) = classify(code)
        return KafkaError(code: kind, isRetriable: retriable, librdkafkaName: name, message: "\(context): \(text)", hint: hint)
    }

    /// Maps an `rd_kafka_error_t` (and destroys it).
    static func consuming(_ error: OpaquePointer, context: String) -> KafkaError {
        let code = rd_kafka_error_code(error)
        let text = String(cString: rd_kafka_error_string(error))
        let fatal = rd_kafka_error_is_fatal(error) != 0
        let retriable = rd_kafka_error_is_retriable(error) != 0
        rd_kafka_error_destroy(error)
        var mapped = rdKafka(code, context: context, detail: text)
        if fatal {
            mapped.code = .fatal
            mapped.hint = "The client is unusable: close it and create a new one."
        }
        mapped.isRetriable = mapped.isRetriable || retriable
        return mapped
    }

    /// The classification table: (code, retriable, hint) for a librdkafka error code.
    static func classify(_ code: rd_kafka_resp_err_t) -> (Code, Bool, String) {
        switch code {
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__RESOLVE,
             RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
            return (.connection, true, "Check that bootstrap.servers is right and the brokers are up; the client reconnects by itself.")
        case RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
            return (.timedOut, true, "The cluster did not answer in time: retry, or raise the timeout (e.g. message.timeout.ms).")
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            return (.queueFull, true, "The local producer queue is full: wait for deliveries (flush) or raise queue.buffering.max.messages.")
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
            return (.unknownTopicOrPartition, false, "Create the topic first (salespulse creates its own topics on the embedded broker) or fix the topic name / partition.")
        case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
             RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
             RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
             RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
            return (.connection, true, "The cluster is moving leadership; the client retries by itself.")
        case RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR__UNKNOWN_PROTOCOL, RD_KAFKA_RESP_ERR_INVALID_CONFIG:
            return (.configuration, false, "Fix the configuration value named in the message.")
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
            return (.delivery, false, "The record is larger than message.max.bytes: split it or raise the limit on client and broker.")
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
             RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
            return (.delivery, false, "Grant this client's principal the ACLs it needs.")
        case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION,
             RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR__NO_OFFSET,
             RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
            return (.consumerGroup, true, "The group is rebalancing or the offset is gone; the consumer recovers by itself.")
        case RD_KAFKA_RESP_ERR__FATAL:
            return (.fatal, false, "The client is unusable: close it and create a new one.")
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
            return (.admin, false, "The topic exists already; nothing to do.")
        case RD_KAFKA_RESP_ERR__DESTROY:
            return (.closed, false, "The client is closing; stop using it.")
        default:
            return (.other, false, "See the librdkafka error name for details.")
        }
    }
}
