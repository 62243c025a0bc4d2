/// Tunable validation limits, with defaults.
public struct ValidationPolicy: Sendable, Hashable {
    /// How far in the future (relative to the reference time: the Kafka record timestamp, or the
    /// wall clock offline) an event `time` may lie. Default 10 minutes.
    public var maxFutureSkewMilliseconds: Int64 = 10 * 60 * 1000
    /// Events before this are rejected (the seed's "1970" fault). Default 2000-01-01T00:00:00Z.
    public var earliest: EventTime = .earliestAccepted
    /// Largest accepted event in bytes. Default 64 KiB.
    public var maxEventBytes: Int = 64 * 1024
    /// Longest accepted `id`, `subject`, `source`, `repid`, `region` (UTF-8 bytes). Default 128.
    public var maxAttributeLength: Int = 128

    /// The defaults.
    public init() {}
}
