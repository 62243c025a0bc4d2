import SalesPulseModel

/// Metric sums gathered over many customers with one lookup each, from which a
/// ``MetricsReport``'s groupings (overall, by rep, team and region) are derived at the end.
///
/// A customer's groupings depend only on its rep and its own region (the team and region are
/// the rep's placement in the organisation, else the customer's region), so customers are
/// summed by that pair: a few hundred entries however many customers there are. Adding each
/// customer to the report directly took four lookups by name (rep, the rep's placement, team,
/// region), two thirds of a scan of every customer.
public struct MetricsGrouping: Sendable {
    /// What decides a customer's groupings.
    struct Key: Hashable, Sendable {
        var rep: String?
        var region: String?
    }

    private var sums: [Key: MetricSums] = [:]

    /// An empty grouping.
    public init() {}

    /// Adds one customer's contribution as of `now`, reading its state where it lies (see
    /// ``MetricSums/add(customerAt:configuration:now:)``).
    public mutating func add(customerAt state: UnsafePointer<CustomerState>, configuration: ProcessConfiguration, now: EventTime) {
        sums[Key(rep: state.pointee.rep, region: state.pointee.region), default: MetricSums()]
            .add(customerAt: state, configuration: configuration, now: now)
    }

    /// The report: each pair's sums added overall, to its rep (or "unassigned"), and to the
    /// rep's team and region (else "unassigned", and the customer's own region). Sums are
    /// integers, so the order they are added in does not matter.
    public func report(organisation: Organisation) -> MetricsReport {
        var report = MetricsReport()
        for (key, part) in sums {
            report.overall += part
            report.byRep[key.rep ?? "unassigned", default: MetricSums()] += part
            let placement = key.rep.flatMap(organisation.placement(of:))
            report.byTeam[placement?.team ?? "unassigned", default: MetricSums()] += part
            report.byRegion[placement?.region ?? key.region ?? "unassigned", default: MetricSums()] += part
        }
        return report
    }
}
