import SalesPulseRuntime

/// One end-to-end run of the kafka stage: the runtime folding the bench topic from its first
/// record until every record (and every forwarded counter input) is folded.
struct EndToEndRun {
    /// From the first record consumed to the last folded.
    var processed: Duration
    /// Stopping the runtime after that: producer flush, final checkpoint, commit, leaving the group.
    var stopping: Duration
    /// The runtime's status at shutdown.
    var status: ProjectorRuntime.Status
    /// The process's CPU seconds over ``processed``.
    var cpuSeconds: Double
    /// How ``cpuSeconds`` divide between thread groups (nil where `/proc` does not tell).
    var threads: [ThreadCPU.Group: Double]?
    /// The consume loop's time by phase over ``processed``.
    var loop: ConsumeLoopTime

    /// The consume loop's phases as a line: the seconds in each and its share of them all. (The
    /// loop's turns are counted whole: the first and the last may reach a little outside the
    /// `wall` seconds the run is timed over.)
    static func describe(_ loop: ConsumeLoopTime, wall: Double) -> String {
        let phases: [(ConsumeLoopTime.Phase, String)] = [
            (.taking, "taking records from librdkafka"), (.folding, "folding (every fold thread)"), (.queueing, "queueing outputs and storing offsets"),
            (.ticking, "ticks"), (.checkpointing, "checkpoint rounds"), (.waiting, "waiting for records"),
        ]
        let parts = phases.map { phase, name in
            "\(name) \(String(format: "%.3f", loop[phase])) s (\(String(format: "%.0f", 100 * loop[phase] / max(loop.total, 1e-9)))%)"
        }
        return parts.joined(separator: ", ") + "; \(String(format: "%.2f", loop.total)) s in all, \(String(format: "%.2f", wall)) s wall"
    }
}
