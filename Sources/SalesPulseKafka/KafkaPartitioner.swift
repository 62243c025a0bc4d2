/// How a producer maps a record key to a partition, computed here so that an instance can tell
/// which partition — and so which instance of the group — owns a key without asking Kafka.
///
/// Both functions match their producers exactly for non-empty keys (tested against librdkafka).
public enum KafkaPartitioner: String, Sendable, CaseIterable, Codable {
    /// librdkafka's default (`consistent_random`, also `consistent`): CRC-32 of the key modulo
    /// the partition count. The default of `salespulse publish`, the simulator and every
    /// librdkafka-based producer that does not set `partitioner`.
    case consistent
    /// The Java client's default (`murmur2_random` in librdkafka): murmur2 of the key, made
    /// positive, modulo the partition count. Choose this when upstream apps use the Java client.
    case murmur2

    /// The partition of `key` in a topic of `partitions` partitions.
    public func partition(of key: some Sequence<UInt8>, partitions: Int) -> Int32 {
        precondition(partitions > 0, "a topic has at least one partition")
        switch self {
        case .consistent:
            return Int32(CRC32.checksum(key) % UInt32(partitions))
        case .murmur2:
            return Int32((Self.murmur2Hash(Array(key)) & 0x7fff_ffff) % UInt32(partitions))
        }
    }

    /// The partition of a string key.
    public func partition(of key: String, partitions: Int) -> Int32 {
        partition(of: key.utf8, partitions: partitions)
    }

    /// Murmur2 (32-bit) with the Java client's seed.
    public static func murmur2Hash(_ data: [UInt8]) -> UInt32 {
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: data.count)
        var index = 0
        while index + 4 <= data.count {
            var k = UInt32(data[index]) | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2]) << 16 | UInt32(data[index + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
            index += 4
        }
        let rest = data.count - index
        if rest >= 3 { h ^= UInt32(data[index + 2]) << 16 }
        if rest >= 2 { h ^= UInt32(data[index + 1]) << 8 }
        if rest >= 1 {
            h ^= UInt32(data[index])
            h = h &* m
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return h
    }
}
