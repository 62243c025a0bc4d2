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

    /// Adds a customer to every grouping it belongs to. Rep: the customer's owner; team and
    /// region: the rep's placement in the organisation, else the customer's own region.
    public mutating func add(_ state: CustomerState, configuration: ProcessConfiguration, now: EventTime) {
        var single = MetricSums()
        single.add(state, configuration: configuration, now: now)
        overall = overall + single
        let rep = state.rep ?? "unassigned"
        byRep[rep, default: MetricSums()] = byRep[rep, default: MetricSums()] + single
        let placement = state.rep.flatMap(configuration.organisation.placement(of:))
        let team = placement?.team ?? "unassigned"
        byTeam[team, default: MetricSums()] = byTeam[team, default: MetricSums()] + single
        let region = placement?.region ?? state.region ?? "unassigned"
        byRegion[region, default: MetricSums()] = byRegion[region, default: MetricSums()] + single
    }

    /// Computes the report over customers as of `now`.
    public static func compute<S: Sequence>(_ customers: S, configuration: ProcessConfiguration, now: EventTime) -> MetricsReport where S.Element == CustomerState {
        var report = MetricsReport()
        for state in customers { report.add(state, configuration: configuration, now: now) }
        return report
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
