import SalesPulseKafka
import SalesPulseModel

/// What a checkpoint's state and offsets are relative to: the Kafka cluster whose log it
/// folded, and the configuration it folded it with.
///
/// A checkpoint of another origin describes another log or another fold, and restoring it would
/// mix the two: a state folder reused against a new embedded broker (whose offsets start at 0
/// again) restored the old broker's customers and skipped as many of the new records as the
/// old log had held. Such a checkpoint is not restored; the partition is rebuilt from the log.
public struct CheckpointOrigin: Sendable, Codable, Equatable {
    /// The id of the cluster whose offsets the checkpoint holds; nil when it could not be learned
    /// (then any cluster's checkpoint is accepted, as before ids were recorded).
    public var clusterID: String?
    /// A digest of everything that decides how events fold (``fold(_:)``).
    public var fold: UInt64

    /// An origin.
    public init(clusterID: String? = nil, fold: UInt64) {
        self.clusterID = clusterID
        self.fold = fold
    }

    /// The digest of what decides how a runtime folds events: the process configuration, the
    /// validation limits and whether counters are repartitioned (``StableFingerprint``).
    public static func fold(_ configuration: RuntimeConfiguration) -> UInt64 {
        StableFingerprint.of((configuration.process.fingerprint, configuration.validation, configuration.repartitionCounters))
    }

    /// Why a checkpoint that recorded `recorded` cannot be restored under this origin; nil when
    /// it can (also when it recorded none).
    public func conflict(with recorded: CheckpointOrigin?) -> Conflict? {
        guard let recorded else { return nil }
        if let clusterID, let theirs = recorded.clusterID, theirs != clusterID { return .cluster(recorded: theirs, current: clusterID) }
        if recorded.fold != fold { return .fold }
        return nil
    }

    /// Why a checkpoint is not restored.
    public enum Conflict: Sendable, Hashable {
        /// Taken on another cluster: its offsets and state belong to another log.
        case cluster(recorded: String, current: String)
        /// Folded with another configuration, validation limits or repartitioning.
        case fold
        /// Its next offset lies past the end of the partition's log: it folded records this log
        /// never held (the log of a topic deleted and created again, or of a broker that had
        /// the same id). The offsets are the first checkpoint's found so.
        case pastLogEnd(offset: Int64, end: Int64)

        /// Why, for the log, with what to do about it.
        public var explanation: String {
            switch self {
            case .cluster(let recorded, let current):
                return "were taken on another Kafka cluster (\(recorded); this is \(current)), so their offsets and state belong to another log: a folder used before with another broker (each embedded broker is a new cluster). Give each cluster its own --state-dir"
            case .pastLogEnd(let offset, let end):
                return "resume at offsets past the end of their partitions' logs (\(offset), where the log ends at \(end)), so they folded another log than these: a topic deleted and created again, or another broker. Give each log its own --state-dir"
            case .fold:
                return "were folded with another process configuration (or validation limits, or with repartitioning switched), and the current one would fold their events otherwise: every projection follows the current configuration once the log is folded again"
            }
        }
    }
}
