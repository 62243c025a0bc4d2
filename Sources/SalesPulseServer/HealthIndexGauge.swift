import SalesPulseModel
import Synchronization

/// The process health index as `/metrics` reports it. Working it out scans every customer of
/// every owned partition (about 25 ms per 100,000 customers), so a scraper polling often took
/// that from the fold for every scrape. Here it is worked out again only when the projections
/// may have changed since (``Version``) and either the last figure is at least ``maximumAge``
/// old or nothing changed since the previous scrape: while events are applied it is at most
/// that old; a scrape that finds the projections as the previous one did — a poller waiting for
/// them to settle — gets the exact figure of the current state, and so does every scrape after.
final class HealthIndexGauge: Sendable {
    /// What the figure depends on, as far as a scrape can tell cheaply: events applied, customers
    /// and partitions owned, and the projections' current time (the freshness horizon moves
    /// with it, and timers fire as it advances).
    struct Version: Equatable, Sendable {
        var applied: Double
        var customers: Double
        var partitions: Double
        var now: EventTime
    }

    private struct Figure {
        var version: Version
        var computedAt: ContinuousClock.Instant
        var value: Double?
    }

    /// How old a figure may be while the projections change.
    let maximumAge: Duration
    private let last = Mutex<Figure?>(nil)
    /// The version the previous scrape found.
    private let previous = Mutex<Version?>(nil)

    init(maximumAge: Duration = .seconds(1)) {
        self.maximumAge = maximumAge
    }

    /// The figure for `version` at `instant`: the last one if nothing changed since it was worked
    /// out, or if it is younger than ``maximumAge`` and the projections changed since the previous
    /// scrape; otherwise `compute()`'s.
    func value(for version: Version, at instant: ContinuousClock.Instant = .now, compute: () -> Double?) -> Double? {
        let settled = previous.withLock { previous in
            defer { previous = version }
            return previous == version
        }
        if let figure = last.withLock({ $0 }), figure.version == version || (!settled && instant - figure.computedAt < maximumAge) {
            return figure.value
        }
        let value = compute()
        last.withLock { $0 = Figure(version: version, computedAt: instant, value: value) }
        return value
    }
}
