import SalesPulseModel

/// What tells whether a partition's state moved since it was checkpointed: the next offset, the
/// watermark, the statistics (every event applied, duplicate or late and every alert fired or
/// resolved counts in them) and how far its counter rules have been evaluated. Timers and rules
/// change the state between records only as they fire or resolve alerts or evaluate further;
/// anything else they touch (when a customer is looked at next) is worked out again the same
/// way from an older checkpoint. An unchanged partition is not written again: an idle instance
/// rewrote every customer at every checkpoint interval.
public struct CheckpointMark: Equatable, Sendable {
    let nextOffset: Int64
    let watermark: EventTime?
    let statistics: PartitionStatistics
    let counterRulesEvaluatedThrough: Int64?
}

extension PartitionProjector {
    /// The projector's ``CheckpointMark`` now.
    public var checkpointMark: CheckpointMark {
        CheckpointMark(nextOffset: nextOffset, watermark: watermark, statistics: statistics, counterRulesEvaluatedThrough: counterRules.evaluatedThrough)
    }
}
