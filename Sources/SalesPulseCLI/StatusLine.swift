import SalesPulseRuntime

/// One-line status summaries, as `run` prints them every `--status-interval` seconds and at stop.
enum StatusLine {
    /// The status as one line; `loop` is the consume loop's time over the period the line
    /// reports (the whole run when nil).
    static func render(_ status: ProjectorRuntime.Status, loop: ConsumeLoopTime? = nil) -> String {
        let stats = status.statistics
        return "partitions \(status.partitions.count) | consumed \(status.recordsConsumed) | applied \(stats.applied) | customers \(status.customers) | DLQ \(stats.rejected) | duplicates \(stats.duplicates) | \(status.recordsMissing > 0 ? "MISSING \(status.recordsMissing) (no longer on the broker) | " : "")late \(stats.late) | violations \(stats.violations) | alerts fired \(stats.alertsFired) resolved \(stats.alertsResolved) | checkpoints \(status.checkpointsWritten) (deltas \(status.checkpointDeltasWritten)) | watermark \(status.watermark.map(\.rfc3339UTC) ?? "-") | \(describe(loop ?? status.loopTime))"
    }

    /// The consume loop's phases as shares of its time, folding first: an instance folding most
    /// of the time is short of CPU, one waiting most of the time has headroom.
    static func describe(_ loop: ConsumeLoopTime) -> String {
        guard loop.total > 0 else { return "loop: no time recorded" }
        let order: [ConsumeLoopTime.Phase] = [.folding, .taking, .queueing, .ticking, .checkpointing, .waiting]
        return "loop: " + order.map { "\($0.rawValue) \(Int((100 * loop[$0] / loop.total).rounded())) %" }.joined(separator: ", ")
    }
}
