import CoreMetrics
import Prometheus
import SalesPulseKafka
import Synchronization

/// The runtime's operational metrics, recorded through swift-metrics: records in per topic,
/// records missing (skipped over: the broker no longer had them), records out (dead letters,
/// repartition forwards, alerts), consumer lag per partition, batch fold time, checkpoint
/// duration and size, timer-tick duration, the consume loop's seconds per phase
/// (``ConsumeLoopTime``) and the end-to-end latency histogram (event `time` → projection
/// updated).
///
/// By default each runtime records into its own Prometheus registry (``registry``), which the
/// HTTP server's `/metrics` exposes; give a ``RuntimeConfiguration/metricsFactory`` to send
/// them to another swift-metrics backend (StatsD, OpenTelemetry…) instead.
public final class RuntimeMetrics: Sendable {
    /// The Prometheus registry the metrics are recorded in, when the built-in factory is used.
    public let registry: PrometheusCollectorRegistry?
    private let factory: any MetricsFactory
    let recordsIn: CoreMetrics.Counter
    let repartitionedIn: CoreMetrics.Counter
    let deadLetters: CoreMetrics.Counter
    let forwarded: CoreMetrics.Counter
    let alertsOut: CoreMetrics.Counter
    /// Records skipped over because the broker no longer had them (retention), by topic.
    let recordsMissing: CoreMetrics.Counter
    let repartitionMissing: CoreMetrics.Counter
    let foldBatch: CoreMetrics.Timer
    let tick: CoreMetrics.Timer
    let checkpoint: CoreMetrics.Timer
    let checkpointBytes: CoreMetrics.Recorder
    /// Records produced (dead letters, forwards, progress, alerts, partition claims) that the
    /// cluster has not acknowledged yet, as of the last tick or wait for acknowledgements. High
    /// for long, the cluster is slow or partly gone, and checkpoints wait (``checkpointsSkipped``).
    let unacknowledged: CoreMetrics.Gauge
    /// Checkpoints not written because the records produced before them were not acknowledged
    /// in time or were given up on, by occasion: a periodic round (tried again later), a
    /// revocation (the partitions dropped unsaved, as lost ones are) or the stop's final one
    /// (the checkpoints before it stand).
    private let checkpointsSkipped: [ProjectorRuntime.CheckpointOccasion: CoreMetrics.Counter]
    /// The consume loop's seconds per phase, in ``ConsumeLoopTime/Phase/allCases`` order.
    private let loopSeconds: [CoreMetrics.FloatingPointCounter]
    /// Per-event end-to-end latency, recorded through swift-metrics only for another backend.
    /// With the built-in registry the runtime's own ``LatencyHistogram``, merged once per batch
    /// (``merge(latencies:)``), is rendered at exposition instead: recording every event into the
    /// registry took a lock the fold threads shared, per event.
    let eventLatency: CoreMetrics.Timer?
    private let latency = Mutex(LatencyHistogram())
    private let lags = Mutex<[KafkaTopicPartition: CoreMetrics.Gauge]>([:])

    /// Upper bounds of the end-to-end latency buckets (``LatencyHistogram/boundsMilliseconds``),
    /// for giving another backend's latency histogram the same buckets.
    public static let latencyBuckets: [Duration] = LatencyHistogram.boundsMilliseconds.map { .milliseconds($0) }

    /// Metrics recorded through `factory`, or into a new Prometheus registry when nil.
    public init(factory: (any MetricsFactory)? = nil, inputTopic: String) {
        if let factory {
            self.factory = factory
            self.registry = nil
        } else {
            let registry = PrometheusCollectorRegistry()
            self.factory = PrometheusMetricsFactory(registry: registry)
            self.registry = registry
        }
        recordsIn = CoreMetrics.Counter(label: "salespulse_records_in_total", dimensions: [("topic", inputTopic)], factory: self.factory)
        repartitionedIn = CoreMetrics.Counter(label: "salespulse_records_in_total", dimensions: [("topic", "repartition")], factory: self.factory)
        deadLetters = CoreMetrics.Counter(label: "salespulse_records_out_total", dimensions: [("topic", "dlq")], factory: self.factory)
        forwarded = CoreMetrics.Counter(label: "salespulse_records_out_total", dimensions: [("topic", "repartition")], factory: self.factory)
        alertsOut = CoreMetrics.Counter(label: "salespulse_records_out_total", dimensions: [("topic", "alerts")], factory: self.factory)
        recordsMissing = CoreMetrics.Counter(label: "salespulse_records_missing_total", dimensions: [("topic", inputTopic)], factory: self.factory)
        repartitionMissing = CoreMetrics.Counter(label: "salespulse_records_missing_total", dimensions: [("topic", "repartition")], factory: self.factory)
        foldBatch = CoreMetrics.Timer(label: "salespulse_fold_batch_seconds", dimensions: [], factory: self.factory)
        tick = CoreMetrics.Timer(label: "salespulse_tick_seconds", dimensions: [], factory: self.factory)
        checkpoint = CoreMetrics.Timer(label: "salespulse_checkpoint_seconds", dimensions: [], factory: self.factory)
        checkpointBytes = CoreMetrics.Recorder(label: "salespulse_checkpoint_bytes", dimensions: [], aggregate: false, factory: self.factory)
        unacknowledged = CoreMetrics.Gauge(label: "salespulse_records_unacknowledged", dimensions: [], factory: self.factory)
        let metricsFactory = self.factory
        checkpointsSkipped = Dictionary(uniqueKeysWithValues: ProjectorRuntime.CheckpointOccasion.allCases.map { occasion in
            (occasion, CoreMetrics.Counter(label: "salespulse_checkpoints_skipped_total", dimensions: [("occasion", occasion.rawValue)], factory: metricsFactory))
        })
        loopSeconds = ConsumeLoopTime.Phase.allCases.map { phase in
            CoreMetrics.FloatingPointCounter(label: "salespulse_consume_loop_seconds_total", dimensions: [("phase", phase.rawValue)], factory: metricsFactory)
        }
        eventLatency = factory.map { CoreMetrics.Timer(label: "salespulse_event_latency_seconds", dimensions: [], factory: $0) }
    }

    /// Adds a batch's end-to-end latencies (kept whatever the backend: the runtime reports them;
    /// another backend also gets each event through ``eventLatency``).
    func merge(latencies: LatencyHistogram) {
        guard latencies.count > 0 else { return }
        latency.withLock { $0.merge(latencies) }
    }

    /// Adds a turn of the consume loop to the seconds per phase.
    func record(_ time: ConsumeLoopTime) {
        for (phase, counter) in zip(ConsumeLoopTime.Phase.allCases, loopSeconds) where time[phase] > 0 {
            counter.increment(by: time[phase])
        }
    }

    /// Counts a checkpoint not written at `occasion` because its records were not acknowledged.
    func skippedCheckpoint(at occasion: ProjectorRuntime.CheckpointOccasion) {
        checkpointsSkipped[occasion]?.increment()
    }

    /// End-to-end latencies of the events applied so far.
    var latencies: LatencyHistogram { latency.withLock { $0 } }

    /// Sets the consumer lag of the owned partitions (records behind the high watermark); the
    /// gauges of partitions not among them go (``forget(_:)``).
    func record(lags current: [KafkaTopicPartition: Int64]) {
        lags.withLock { gauges in
            for (partition, lag) in current {
                let gauge = gauges[partition] ?? CoreMetrics.Gauge(label: "salespulse_consumer_lag", dimensions: [("topic", partition.topic), ("partition", "\(partition.partition)")], factory: factory)
                gauges[partition] = gauge
                gauge.record(lag)
            }
            for partition in gauges.keys where current[partition] == nil { gauges.removeValue(forKey: partition)?.destroy() }
        }
    }

    /// Removes the lag gauges of partitions this instance no longer owns: a gauge left behind
    /// kept the lag it had when the partition moved (often 0), and a dashboard or a script
    /// waiting for every partition to be caught up counted a partition another instance had
    /// not even started on.
    func forget(_ partitions: [KafkaTopicPartition]) {
        lags.withLock { gauges in
            for partition in partitions { gauges.removeValue(forKey: partition)?.destroy() }
        }
    }

    /// The Prometheus text exposition of the registry ("" with another backend).
    public func exposition() -> String {
        guard let registry else { return "" }
        var text = registry.emitToString()
        text += "# TYPE salespulse_event_latency_seconds histogram\n"
        for (name, value) in latencies.exposition(name: "salespulse_event_latency_seconds") {
            text += value == value.rounded() && abs(value) < 1e15 ? "\(name) \(Int64(value))\n" : "\(name) \(value)\n"
        }
        return text
    }
}
