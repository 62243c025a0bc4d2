import SalesPulseModel
import SalesPulseProjections
import SalesPulseRuntime

/// What the HTTP server reads. ``ProjectorRuntime`` provides it for the partitions it owns;
/// tests may serve a projection folded directly.
public protocol ProjectionQueries: Sendable {
    /// The process configuration.
    var processConfiguration: ProcessConfiguration { get }
    /// One customer's state, if owned here.
    func customer(_ id: String) -> CustomerState?
    /// Calls `visit` with the address of every owned customer's state, valid during the call:
    /// for summaries that read a few fields of each customer without copying any. `visit` must
    /// be quick (a source may hold a lock meanwhile) and must not query the source.
    func forEachCustomerAddress(_ visit: (UnsafePointer<CustomerState>) -> Void)
    /// Metrics as of `now`.
    func metrics(now: EventTime) -> MetricsReport
    /// Open alerts, sorted by id.
    func openAlerts() -> [Alert]
    /// The first `limit` open alerts by id that began (or resolved) at or after `since` (nil:
    /// all), and how many match (``openAlerts()`` filtered and cut, which a source may select
    /// without copying the others).
    func openAlerts(since: EventTime?, limit: Int) -> (alerts: [Alert], total: Int)
    /// The overall metric sums as of `now` (`metrics(now:).overall`, which a source may compute
    /// without the groupings).
    func overallMetrics(now: EventTime) -> MetricSums
    /// The number of open alerts (`openAlerts().count`, which a source may count in place).
    func openAlertCount() -> Int
    /// Where a customer's state lives in a multi-instance group.
    func locate(customer id: String) -> CustomerLocation
    /// Whether partitions are restored and serving.
    var isReady: Bool { get }
    /// The time metrics and dwell are measured at: the watermark, or live, once the input has been
    /// idle, the wall clock if later.
    func currentTime() -> EventTime
    /// Prometheus counters and gauges of the projections: name → (help, value).
    func counters() -> [(String, String, Double)]
    /// Further Prometheus exposition text (the runtime's swift-metrics registry).
    func metricsExposition() -> String
    /// A sliding-window counter's state merged across owned partitions.
    func counterState(_ id: String) -> CounterState
}

extension ProjectionQueries {
    /// A single instance owns everything.
    public func locate(customer id: String) -> CustomerLocation { .local }

    /// No operational metrics.
    public func metricsExposition() -> String { "" }

    /// The full report's overall sums.
    public func overallMetrics(now: EventTime) -> MetricSums { metrics(now: now).overall }

    /// The process health index over every customer as of `now`, with the configured weights
    /// (nil before any component has data): a scan of every customer.
    public func processHealthIndex(now: EventTime) -> Double? {
        overallMetrics(now: now).processHealthIndex(weights: processConfiguration.healthWeights)
    }

    /// ``openAlerts()`` filtered and cut.
    public func openAlerts(since: EventTime?, limit: Int) -> (alerts: [Alert], total: Int) {
        Alert.page(openAlerts(), since: since, limit: limit)
    }

    /// The open alerts, counted.
    public func openAlertCount() -> Int { openAlerts().count }
}

extension ProjectorRuntime: ProjectionQueries {
    public var processConfiguration: ProcessConfiguration { configuration.process }

    public func currentTime() -> EventTime {
        let watermark = status().watermark
        if configuration.live {
            // While input arrives, the watermark, which the timers follow; once it has been idle
            // (a quiet night) the wall clock if later, as idle partitions' timers: dwell, stuck
            // counts and freshness then move on with them.
            let wall = ProjectorRuntime.wallClockMilliseconds()
            guard let watermark else { return EventTime(epochMilliseconds: wall) }
            let idle = wall - lastInputFoldedAt > configuration.idleAfterMilliseconds
            return idle ? max(watermark, EventTime(epochMilliseconds: wall)) : watermark
        }
        return watermark ?? EventTime(epochMilliseconds: 0)
    }

    /// The projections' counters and gauges (restored with checkpoints, so they count the
    /// partition's whole history); operational metrics come from ``metricsExposition()``.
    public func counters() -> [(String, String, Double)] {
        let status = status()
        let s = status.statistics
        var result: [(String, String, Double)] = [
            ("salespulse_events_applied_total", "Valid events folded into projections", Double(s.applied)),
            ("salespulse_events_duplicate_total", "Events skipped as duplicates by id", Double(s.duplicates)),
            ("salespulse_events_late_total", "Events later than the allowed lateness", Double(s.late)),
            ("salespulse_events_repartitioned_total", "Counter inputs folded from repartition topics", Double(s.repartitioned)),
            ("salespulse_alerts_fired_total", "Alerts fired", Double(s.alertsFired)),
            ("salespulse_alerts_resolved_total", "Alerts resolved", Double(s.alertsResolved)),
            ("salespulse_compliance_violations_total", "Steps left with mandatory actions missing", Double(s.violations)),
            ("salespulse_customers", "Customers in owned partitions", Double(status.customers)),
            ("salespulse_partitions_owned", "Partitions owned by this instance (input and repartition)", Double(status.partitions.count)),
            ("salespulse_checkpoints_written_total", "Partition checkpoints written", Double(status.checkpointsWritten)),
            ("salespulse_checkpoint_deltas_written_total", "Partition checkpoints written as deltas over the partition's full checkpoint (of salespulse_checkpoints_written_total)", Double(status.checkpointDeltasWritten)),
        ]
        for (reason, count) in s.rejectedByReason.sorted(by: { $0.key < $1.key }) {
            result.append(("salespulse_events_rejected_total{reason=\"\(reason)\"}", "Events rejected, by reason", Double(count)))
        }
        return result
    }

    public func metricsExposition() -> String { metrics.exposition() }
}
