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

    /// Seconds per phase: six stored numbers, so that the value needs no heap block (the
    /// consume loop makes one per turn) and no alignment beyond a `Double`'s (a `SIMD8` here,
    /// kept in an async task's frame by `run`'s status reporter, broke the task allocator:
    /// "freed pointer was not the last allocation", a crash in soak 121).
    private var waiting = 0.0, taking = 0.0, folding = 0.0, queueing = 0.0, ticking = 0.0, checkpointing = 0.0

    /// No time in any phase.
    public init() {}

    /// Seconds spent in `phase`.
    public private(set) subscript(phase: Phase) -> Double {
        get {
            switch phase {
            case .waiting: waiting
            case .taking: taking
            case .folding: folding
            case .queueing: queueing
            case .ticking: ticking
            case .checkpointing: checkpointing
            }
        }
        set {
            switch phase {
            case .waiting: waiting = newValue
            case .taking: taking = newValue
            case .folding: folding = newValue
            case .queueing: queueing = newValue
            case .ticking: ticking = newValue
            case .checkpointing: checkpointing = newValue
            }
        }
    }

    /// Seconds spent in every phase together.
    public var total: Double { waiting + taking + folding + queueing + ticking + checkpointing }

    /// Adds `duration` to `phase`.
    public mutating func add(_ duration: Duration, to phase: Phase) {
        self[phase] += duration.fractionalSeconds
    }

    /// Adds every phase of `other`.
    public mutating func add(_ other: ConsumeLoopTime) {
        for phase in Phase.allCases { self[phase] += other[phase] }
    }

    /// The time spent since `earlier` (a reading of the same loop taken before this one).
    public func since(_ earlier: ConsumeLoopTime) -> ConsumeLoopTime {
        var difference = self
        for phase in Phase.allCases { difference[phase] -= earlier[phase] }
        return difference
    }
}
