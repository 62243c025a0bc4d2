import Foundation
import Logging
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
import Synchronization

/// What the HTTP API reads: customers, metrics, alerts, counters — one shard of one partition
/// at a time under the partition lock, or from copy-on-write snapshots.
extension ProjectorRuntime {
    /// The state of one customer, if this instance owns it.
    public func customer(_ id: String) -> CustomerState? {
        partitions.withLock { owned in owned.values.lazy.compactMap { $0.projector.projection.customers[id] }.first }
    }

    /// Metrics over the customers this instance owns (merge across instances with `+`).
    ///
    /// Computed one shard of one partition at a time, each under the partition lock: the consume
    /// thread waits at most for one shard (1/64 of a partition's customers), never for a scan of
    /// every customer, and nothing is copied. Every shard adds to one ``MetricsGrouping`` (one
    /// lookup per customer), from which the groupings are derived once. The sums are exact; with
    /// records flowing they mix shards read a few milliseconds apart, like any live dashboard query.
    public func metrics(now: EventTime) -> MetricsReport {
        var grouping = MetricsGrouping()
        forEachShard { projection, shard in projection.addMetrics(now: now, shard: shard, to: &grouping) }
        return grouping.report(organisation: configuration.process.organisation)
    }

    /// The overall metric sums as of `now` (``metrics(now:)``'s `overall`, without the groupings
    /// by rep, team and region), computed shard by shard like it.
    public func overallMetrics(now: EventTime) -> MetricSums {
        combineShards(MetricSums(), +=) { projection, shard in projection.overallMetrics(now: now, shard: shard) }
    }

    /// Calls `visit` with the address of every customer state this instance owns, valid during
    /// the call, one shard of one partition at a time under the partition lock (so the consume
    /// thread waits at most for one shard, and nothing is copied): for a summary that reads a
    /// few fields of each customer. `visit` must be quick and must not query the runtime.
    public func forEachCustomerAddress(_ visit: (UnsafePointer<CustomerState>) -> Void) {
        forEachShard { projection, shard in projection.customers.forEachValueAddress(inShard: shard, visit) }
    }

    /// `read` applied to each shard of each owned partition's flow projection in turn, and each
    /// result added to `initial` in place with `add` (see ``forEachShard(_:)``). In place: the
    /// result lives in the closure's context, so `result = result + part` copied all of it for
    /// every shard (the 114,222 open alerts of a 1 M backlog took minutes, under the lock).
    private func combineShards<R>(_ initial: R, _ add: (inout R, R) -> Void, _ read: (FlowProjection, Int) -> R) -> R {
        var result = initial
        forEachShard { projection, shard in add(&result, read(projection, shard)) }
        return result
    }

    /// `visit` called with each shard of each owned partition's flow projection in turn
    /// (partitions in order), each call under the partition lock: the consume thread waits at
    /// most for one shard. A partition released meanwhile is skipped.
    private func forEachShard(_ visit: (FlowProjection, Int) -> Void) {
        let keys = partitions.withLock { $0.keys.sorted() }
        for key in keys {
            for shard in 0..<ShardedMap<CustomerState>.shardCount {
                let stillOwned = partitions.withLock { owned -> Bool in
                    guard let partition = owned[key] else { return false }
                    visit(partition.projector.projection, shard)
                    return true
                }
                if !stillOwned { break }
            }
        }
    }

    /// The number of open alerts (``openAlerts()``'s count), counted where they are kept
    /// instead of copied, gathered and sorted.
    public func openAlertCount() -> Int {
        let ruleAlerts = partitions.withLock { owned in
            owned.values.reduce(0) { $0 + $1.projector.rules.openAlerts.count + $1.projector.counterRules.open.count }
        } + rules.withLock { $0.open.count } + sequences.withLock { $0.open.count }
        return combineShards(ruleAlerts, +=) { projection, shard in projection.openAlertCount(shard: shard) }
    }

    /// The owned projections, copied under the lock in O(partitions): the copies share storage
    /// with the live ones (copy on write), so scans over every customer run without holding the
    /// lock the consume thread needs; a shard the consume thread changes meanwhile is copied then.
    private func snapshot() -> [FlowProjection] {
        partitions.withLock { owned in owned.keys.sorted().map { owned[$0]!.projector.projection } }
    }

    /// Open alerts (customer timers and counter rules), sorted by id; a customer's routed to its
    /// current owner (``CustomerState/servedAlert(_:organisation:)``).
    public func openAlerts() -> [Alert] {
        var alerts = openRuleAlerts()
        // Each customer's alerts read where they lie: lent by value, every state was copied.
        let organisation = configuration.process.organisation
        forEachCustomerAddress { state in alerts.append(contentsOf: state.pointee.openAlerts.values.map { state.pointee.servedAlert($0, organisation: organisation) }) }
        return alerts.sorted { $0.id < $1.id }
    }

    /// The first `limit` open alerts by id that began (or resolved) at or after `since`, and how
    /// many match: ``openAlerts()`` filtered and cut, without copying the alerts left out.
    public func openAlerts(since: EventTime?, limit: Int) -> (alerts: [Alert], total: Int) {
        var selection = FirstByKey<Alert>(limit: limit)
        let organisation = configuration.process.organisation
        for alert in openRuleAlerts() where Alert.began(alert.resolvedAt ?? alert.since, since: since) { selection.consider(alert) }
        forEachCustomerAddress { state in
            let alerts = state.pointee.openAlerts
            for index in alerts.indices where Alert.began(alerts[valueAt: index].resolvedAt ?? alerts[valueAt: index].since, since: since) {
                selection.consider(key: alerts[valueAt: index].id) { state.pointee.servedAlert(alerts[valueAt: index], organisation: organisation) }
            }
        }
        return (selection.elements, selection.total)
    }

    /// A counter's state merged across the partitions this instance owns.
    public func counterState(_ id: String) -> CounterState {
        CounterState.merge(partitions.withLock { owned in owned.keys.sorted().compactMap { owned[$0]!.projector.servedCounterState(id) } })
    }

    /// All customer states (sorted by id), e.g. for reports and comparisons.
    public func allCustomers() -> [CustomerState] {
        snapshot().flatMap { $0.customersSortedByID() }.sortedByCustomerID()
    }

    /// Open alerts of counter rules.
    public func openRuleAlerts() -> [Alert] {
        let (absences, counted) = partitions.withLock { owned in (owned.values.flatMap(\.projector.rules.openAlerts), owned.values.flatMap(\.projector.counterRules.open.values)) }
        return (rules.withLock { Array($0.open.values) } + counted + sequences.withLock { Array($0.open.values) } + absences).sorted { $0.id < $1.id }
    }
}
