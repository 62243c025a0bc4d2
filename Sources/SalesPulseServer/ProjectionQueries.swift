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
    /// All owned customers.
    func allCustomers() -> [CustomerState]
    /// Metrics as of `now`.
    func metrics(now: EventTime) -> MetricsReport
    /// Open alerts.
    func openAlerts() -> [Alert]
    /// Where a customer's state lives in a multi-instance group.
    func locate(customer id: String) -> CustomerLocation
    /// Whether partitions are restored and serving.
    var isReady: Bool { get }
    /// The time metrics and dwell are measured at: the watermark, or the wall clock if later in live mode.
    func currentTime() -> EventTime
    /// Prometheus counters: name → (help, value).
    func counters() -> [(String, String, Double)]
    /// A sliding-window counter's state merged across owned partitions.
    func counterState(_ id: String) -> CounterState
}

extension ProjectionQueries {
    /// A single instance owns everything.
    public func locate(customer id: String) -> CustomerLocation { .local }
}

extension ProjectorRuntime: ProjectionQueries {
    public var processConfiguration: ProcessConfiguration { configuration.process }

    public func currentTime() -> EventTime {
        let watermark = status().watermark
        if configuration.live {
            let wall = EventTime(epochMilliseconds: ProjectorRuntime.wallClockMilliseconds())
            return max(watermark ?? wall, watermark == nil ? wall : watermark!)
        }
        return watermark ?? EventTime(epochMilliseconds: 0)
    }

    public func counters() -> [(String, String, Double)] {
        let status = status()
        let s = status.statistics
        var result: [(String, String, Double)] = [
            ("salespulse_records_consumed_total", "Records consumed from the input topic", Double(status.recordsConsumed)),
            ("salespulse_events_applied_total", "Valid events folded into projections", Double(s.applied)),
            ("salespulse_events_duplicate_total", "Events skipped as duplicates by id", Double(s.duplicates)),
            ("salespulse_events_late_total", "Events later than the allowed lateness", Double(s.late)),
            ("salespulse_dlq_published_total", "Records sent to the dead-letter topic", Double(status.dlqPublished)),
            ("salespulse_alerts_fired_total", "Alerts fired", Double(s.alertsFired)),
            ("salespulse_alerts_resolved_total", "Alerts resolved", Double(s.alertsResolved)),
            ("salespulse_compliance_violations_total", "Steps left with mandatory actions missing", Double(s.violations)),
            ("salespulse_customers", "Customers in owned partitions", Double(status.customers)),
            ("salespulse_partitions_owned", "Input partitions owned by this instance", Double(status.partitions.count)),
            ("salespulse_checkpoints_written_total", "Partition checkpoints written", Double(status.checkpointsWritten)),
            ("salespulse_checkpoint_last_bytes", "Size of the last checkpoint", Double(status.lastCheckpointBytes)),
            ("salespulse_checkpoint_last_milliseconds", "Duration of the last checkpoint", status.lastCheckpointMilliseconds),
            ("salespulse_tick_last_milliseconds", "Duration of the last timer and rule evaluation tick", status.lastTickMilliseconds),
        ]
        for (partition, lag) in consumerLag.sorted(by: { $0.key < $1.key }) {
            result.append(("salespulse_consumer_lag{topic=\"\(partition.topic)\",partition=\"\(partition.partition)\"}", "Records behind the partition's high watermark", Double(lag)))
        }
        for (name, value) in latencyHistogram.exposition(name: "salespulse_event_latency_seconds") {
            result.append((name, "End-to-end latency: event time to projection updated", value))
        }
        for (reason, count) in s.rejectedByReason.sorted(by: { $0.key < $1.key }) {
            result.append(("salespulse_events_rejected_total{reason=\"\(reason)\"}", "Events rejected, by reason", Double(count)))
        }
        return result
    }
}
