import SalesPulseModel

/// Counters of one partition, checkpointed with its state.
public struct PartitionStatistics: Sendable, Codable, Equatable {
    public var applied = 0
    public var duplicates = 0
    public var rejected = 0
    public var rejectedByReason: [String: Int] = [:]
    /// Events whose time was behind the watermark by more than the allowed lateness (applied, counted).
    public var late = 0
    public var alertsFired = 0
    public var alertsResolved = 0
    public var violations = 0
    /// Repartitioned counter inputs folded (repartition topics only), and those dropped as
    /// already folded (re-forwarded after an input partition replayed).
    public var repartitioned = 0
    public var repartitionDuplicates = 0

    public init() {}

    /// Adds another partition's counters.
    public static func + (lhs: Self, rhs: Self) -> Self {
        var sum = lhs
        sum.applied += rhs.applied
        sum.duplicates += rhs.duplicates
        sum.rejected += rhs.rejected
        sum.rejectedByReason.merge(rhs.rejectedByReason, uniquingKeysWith: +)
        sum.late += rhs.late
        sum.alertsFired += rhs.alertsFired
        sum.alertsResolved += rhs.alertsResolved
        sum.violations += rhs.violations
        sum.repartitioned += rhs.repartitioned
        sum.repartitionDuplicates += rhs.repartitionDuplicates
        return sum
    }
}
