import SalesPulseModel

/// Process metrics overall and by rep, team and region.
public struct MetricsReport: Sendable, Hashable, Codable {
    public var overall: MetricSums
    public var byRep: [String: MetricSums]
    public var byTeam: [String: MetricSums]
    public var byRegion: [String: MetricSums]

    public init() {
        overall = MetricSums()
        byRep = [:]
        byTeam = [:]
        byRegion = [:]
    }

    /// Computes the report over customers as of `now` (through ``MetricsGrouping``).
    public static func compute<S: Sequence>(_ customers: S, configuration: ProcessConfiguration, now: EventTime) -> MetricsReport where S.Element == CustomerState {
        var grouping = MetricsGrouping()
        for state in customers {
            withUnsafePointer(to: state) { grouping.add(customerAt: $0, configuration: configuration, now: now) }
        }
        return grouping.report(organisation: configuration.organisation)
    }

    /// Merges reports from several partitions or instances (exact: sums add).
    public static func + (lhs: MetricsReport, rhs: MetricsReport) -> MetricsReport {
        var merged = lhs
        merged.overall = lhs.overall + rhs.overall
        merged.byRep.merge(rhs.byRep, uniquingKeysWith: +)
        merged.byTeam.merge(rhs.byTeam, uniquingKeysWith: +)
        merged.byRegion.merge(rhs.byRegion, uniquingKeysWith: +)
        return merged
    }
}
