/// What the live stream's once-a-second `status` tick does, given how many clients listen to
/// that topic.
///
/// Every tenth status tick works out PHI and counts the open alerts, scanning every customer
/// under the runtime's partition lock, which the fold threads need. Nobody listening, nothing is
/// done (the `counters` tick, which reads every partition's counters under that lock and merges
/// them, likewise runs only while a client listens to its topic: a backlog's profile put 3 % of
/// the process's CPU in ticks nobody received, with the fold threads stalled while they held
/// the lock). Ticks are snapshots, so a client that subscribes, or reconnects with
/// `Last-Event-ID`, misses none it needs: the next comes within a second, with PHI and the open
/// alerts worked out afresh.
struct LiveTickSchedule: Sendable {
    /// What one tick does.
    enum Work: Equatable, Sendable {
        /// Nothing: no client listens.
        case none
        /// Publish the status; `refreshHealth`: work out PHI and the open alerts first
        /// (otherwise the last figures are published again).
        case publish(refreshHealth: Bool)
    }

    /// Ticks with listeners between two health refreshes.
    let healthEvery: Int
    /// Ticks published since the last health refresh; nil when none was done since listening
    /// started.
    private var sinceRefresh: Int?

    init(healthEvery: Int = 10) {
        self.healthEvery = max(1, healthEvery)
    }

    /// The work of the next tick, `listeners` clients being subscribed.
    mutating func next(listeners: Int) -> Work {
        guard listeners > 0 else {
            sinceRefresh = nil
            return .none
        }
        if let ticks = sinceRefresh, ticks + 1 < healthEvery {
            sinceRefresh = ticks + 1
            return .publish(refreshHealth: false)
        }
        sinceRefresh = 0
        return .publish(refreshHealth: true)
    }
}
