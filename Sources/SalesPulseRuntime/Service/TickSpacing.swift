/// How far apart the consume loop's ticks (counter rules, timers, N-in-a-row rules) are.
///
/// Live, a tick comes every second. While the runtime catches up on a backlog each tick
/// advances hours or days of event time, fires thousands of timers and evaluates the counter
/// rules at many points, while the fold waits: over 500,000 customers ticks took a fifth of
/// the loop. So, as checkpoint rounds are, they are then spaced ten times their last duration
/// apart (at least a second, at most ``longest``), which keeps them to about a tenth of the
/// time. What a tick computes does not depend on how often it runs: timers fire at their due
/// event time, counter rules step through event time at most six hours at a time, and the
/// fold reconciles a customer's due timers before each of its events.
struct TickSpacing: Sendable, Equatable {
    /// Between two ticks live, and the least while catching up.
    static let live: Duration = .seconds(1)
    /// The most while catching up: the work of a tick grows with the event time it covers, so
    /// the spacing must not follow it without bound.
    static let longest: Duration = .seconds(5)

    /// The time from one tick to the next.
    private(set) var interval: Duration = Self.live

    /// Notes how long the last tick took and whether records were waiting then.
    mutating func record(tickTook took: Duration, catchingUp: Bool) {
        interval = catchingUp ? min(Self.longest, max(Self.live, took * 10)) : Self.live
    }

    /// Whether a tick is due `elapsed` after the last one, with `catchingUp` as things stand:
    /// once the runtime has caught up, after a second again.
    func isDue(after elapsed: Duration, catchingUp: Bool) -> Bool {
        elapsed >= (catchingUp ? interval : Self.live)
    }
}
