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
        withUnsafePointer(to: state) { add(customerAt: $0, configuration: configuration, now: now) }
    }

    /// ``add(_:configuration:now:)`` reading the state where it lies (see
    /// ``MetricSums/add(customerAt:configuration:now:)``): passed by value from the customer map,
    /// each state was copied whole first.
    public mutating func add(customerAt state: UnsafePointer<CustomerState>, configuration: ProcessConfiguration, now: EventTime) {
        var single = MetricSums()
        single.add(customerAt: state, configuration: configuration, now: now)
        overall += single
        // Added in place, one lookup per grouping (read and written back, each took two).
        let owner = state.pointee.rep
        byRep[owner ?? "unassigned", default: MetricSums()] += single
        let placement = owner.flatMap(configuration.organisation.placement(of:))
        byTeam[placement?.team ?? "unassigned", default: MetricSums()] += single
        byRegion[placement?.region ?? state.pointee.region ?? "unassigned", default: MetricSums()] += single
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
