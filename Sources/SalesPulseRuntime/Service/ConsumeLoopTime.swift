/// Where the consume thread's time goes, phase by phase, since the runtime started.
///
/// The consume loop takes a batch of records from librdkafka, folds it on every fold thread
/// (fork–join), queues what the batch produced and stores its offsets, and between batches ticks
/// timers and rules and takes checkpoint rounds. Only the fold runs on every fold thread: while
/// the consume thread does anything else, the other fold threads wait. Like the busy, idle and
/// back-pressured time Flink reports per task, the split tells whether a runtime is short of
/// input (``Phase/waiting``) or of CPU, and which serial step holds the fold threads back
/// (BENCHMARKS.md, session 42: in the kafka stage's end-to-end run on the soak's events, taking
/// records and queueing outputs were each about 6 % of the wall time).
public struct ConsumeLoopTime: Sendable, Equatable {
    /// A phase of the consume loop.
    public enum Phase: String, Sendable, CaseIterable {
        /// Waiting for input: consume calls that returned no record, and those that blocked
        /// until one arrived (after the queue ran dry, the loop asks for a single record).
        case waiting
        /// Consume calls that took what was queued: librdkafka handing the records over.
        case taking
        /// Decoding, validating and folding a batch, on every fold thread.
        case folding
        /// Dead letters, forwards and alerts queued, listeners told, offsets stored.
        case queueing
        /// Timers and rules, and publishing what they fired.
        case ticking
        /// A periodic checkpoint round's pause (taken between batches; written in the background).
        case checkpointing
    }

    /// Seconds per phase, in ``Phase/allCases`` order (the last two lanes unused): a value
    /// without a heap block, as the consume loop makes one per turn.
    private var seconds = SIMD8<Double>()

    /// No time in any phase.
    public init() {}

    /// Seconds spent in `phase`.
    public subscript(phase: Phase) -> Double {
        seconds[Self.index(of: phase)]
    }

    /// Seconds spent in every phase together.
    public var total: Double { seconds.sum() }

    /// Adds `duration` to `phase`.
    public mutating func add(_ duration: Duration, to phase: Phase) {
        seconds[Self.index(of: phase)] += duration.fractionalSeconds
    }

    /// Adds every phase of `other`.
    public mutating func add(_ other: ConsumeLoopTime) {
        seconds += other.seconds
    }

    /// The time spent since `earlier` (a reading of the same loop taken before this one).
    public func since(_ earlier: ConsumeLoopTime) -> ConsumeLoopTime {
        var difference = self
        difference.seconds -= earlier.seconds
        return difference
    }

    private static func index(of phase: Phase) -> Int {
        switch phase {
        case .waiting: 0
        case .taking: 1
        case .folding: 2
        case .queueing: 3
        case .ticking: 4
        case .checkpointing: 5
        }
    }
}
