import CRdKafka

/// A consumed record read in place, valid only inside the closure passed to
/// ``KafkaConsumer/consumeBatch(maxMessages:timeout:_:)``. Copy what you keep with ``owned()``.
public struct KafkaRecord {
    let message: UnsafeMutablePointer<rd_kafka_message_t>

    /// The topic name.
    public var topic: String { String(cString: rd_kafka_topic_name(message.pointee.rkt)) }
    /// The partition number.
    public var partition: Int32 { message.pointee.partition }
    /// The topic and partition.
    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }
    /// The offset of this record.
    public var offset: Int64 { message.pointee.offset }

    /// The key bytes, or `nil` when unkeyed. Valid only inside the consume closure.
    public var key: UnsafeRawBufferPointer? {
        guard let key = message.pointee.key else { return nil }
        return UnsafeRawBufferPointer(start: key, count: message.pointee.key_len)
    }

    /// The value bytes, or `nil` for a tombstone. Valid only inside the consume closure.
    public var value: UnsafeRawBufferPointer? {
        guard let payload = message.pointee.payload else { return nil }
        return UnsafeRawBufferPointer(start: payload, count: message.pointee.len)
    }

    /// Identifies the record's topic within one consumer (librdkafka's topic handle), for
    /// telling topics apart without building their names.
    public var topicIdentity: UInt { UInt(bitPattern: message.pointee.rkt) }

    /// The record timestamp in milliseconds, if the record has one.
    public var timestampMilliseconds: Int64? {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &type)
        return type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
    }

    /// The record headers (copied).
    public var headers: [KafkaHeader] {
        var headers: OpaquePointer?
        guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers else { return [] }
        var result: [KafkaHeader] = []
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(headers, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
            result.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: bytes))
            index += 1
        }
        return result
    }

    /// An owned copy of this record.
    public func owned() -> KafkaMessage {
        KafkaMessage(
            topicPartition: topicPartition, offset: offset, timestampMilliseconds: timestampMilliseconds,
            key: key.map { Array($0) }, value: value.map { Array($0) }, headers: headers
        )
    }
}

/// The records of one batch, in order of arrival; valid only inside the consume closure.
public struct KafkaBatch: RandomAccessCollection {
    let messages: UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>

    public var startIndex: Int { 0 }
    public var endIndex: Int { messages.count }
    public subscript(position: Int) -> KafkaRecord { KafkaRecord(message: messages[position]!) }

    /// A hint that the record at `position` will be read soon: starts loading its header (the
    /// partition, offset and payload pointer) into the CPU cache. Out of range: nothing.
    /// (A call from another module, not inlined: inlining would expose the librdkafka shim
    /// outside this folder, and the call costs far less than the load it starts.)
    public func prefetchHeader(at position: Int) {
        guard position >= 0, position < messages.count, let message = messages[position] else { return }
        salespulse_prefetch_header(message)
    }

    /// A hint that the record at `position` will be decoded soon: starts loading the first
    /// `lines` 64-byte lines of its value into the CPU cache. Touches the record's header, so
    /// call ``prefetchHeader(at:)`` for it some records earlier. Out of range: nothing.
    public func prefetchValue(at position: Int, lines: Int = 5) {
        guard position >= 0, position < messages.count, let message = messages[position] else { return }
        salespulse_prefetch_message(message, Int32(lines))
    }

    /// A hint that the record at `position` will be released soon (``release(at:)``): starts
    /// loading the part of librdkafka's own record that freeing it reads first, which is not
    /// among the lines ``prefetchHeader(at:)`` loads. Touches the record's header, so call that
    /// some records earlier. Out of range or released: nothing.
    public func prefetchRelease(at position: Int) {
        guard position >= 0, position < messages.count, let message = messages[position] else { return }
        salespulse_prefetch_release(message)
    }

    /// Gives the record at `position` back to librdkafka as soon as it has been read, instead of
    /// with the rest of the batch when the consume closure returns: a fold thread frees its own
    /// records while they are still in its cache, in parallel with the others, rather than the
    /// consume thread freeing them all afterwards. From then on the record must not be read
    /// (nor the batch iterated); each position may be released by one thread only. Thread-safe
    /// for distinct positions; out of range or already released: nothing.
    public func release(at position: Int) {
        guard position >= 0, position < messages.count, let message = messages[position] else { return }
        messages[position] = nil
        rd_kafka_message_destroy(message)
    }

    /// Copies every record of the batch.
    public func owned() -> [KafkaMessage] { map { $0.owned() } }
}
