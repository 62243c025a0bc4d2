/// A cumulative histogram of end-to-end latency — event `time` to projection updated — in
/// Prometheus form (`le` buckets in seconds). Recording is a few comparisons per event.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds of the buckets, in milliseconds (the last bucket is +Inf).
    public static let boundsMilliseconds: [Int64] = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 3_600_000, 86_400_000]

    /// Events per bucket (not cumulative); one more than the bounds, for +Inf.
    public private(set) var counts = [Int](repeating: 0, count: boundsMilliseconds.count + 1)
    /// Sum of the latencies, in milliseconds.
    public private(set) var sumMilliseconds: Int64 = 0

    public init() {}

    /// Records one latency (negative values — clocks ahead of ours — count as 0).
    public mutating func record(milliseconds: Int64) {
        let value = max(0, milliseconds)
        var index = 0
        while index < Self.boundsMilliseconds.count && value > Self.boundsMilliseconds[index] { index += 1 }
        counts[index] += 1
        sumMilliseconds &+= value
    }

    /// Adds another histogram's counts.
    public mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        sumMilliseconds &+= other.sumMilliseconds
    }

    /// Events recorded.
    public var count: Int { counts.reduce(0, +) }

    /// Prometheus exposition lines for `name` (`_bucket`, `_sum`, `_count`), in seconds.
    public func exposition(name: String) -> [(String, Double)] {
        var lines: [(String, Double)] = []
        var cumulative = 0
        for (index, bound) in Self.boundsMilliseconds.enumerated() {
            cumulative += counts[index]
            lines.append(("\(name)_bucket{le=\"\(Double(bound) / 1000)\"}", Double(cumulative)))
        }
        lines.append(("\(name)_bucket{le=\"+Inf\"}", Double(count)))
        lines.append(("\(name)_sum", Double(sumMilliseconds) / 1000))
        lines.append(("\(name)_count", Double(count)))
        return lines
    }
}
