import Testing
import SalesPulseModel
@testable import SalesPulseServer

/// `/metrics` works PHI out again only when the projections may have changed and its last
/// figure is at least a second old; unchanged projections always get the exact figure.
@Suite struct HealthIndexGaugeTests {
    static func version(applied: Double, now: Int64 = 1_000) -> HealthIndexGauge.Version {
        HealthIndexGauge.Version(applied: applied, customers: 10, partitions: 4, now: EventTime(epochMilliseconds: now))
    }

    @Test func anUnchangedStateGetsTheFigureWorkedOutForItHoweverLongAgo() {
        let gauge = HealthIndexGauge(maximumAge: .seconds(1))
        let start = ContinuousClock.now
        var computed = 0
        #expect(gauge.value(for: Self.version(applied: 5), at: start) { computed += 1; return 40 } == 40)
        #expect(gauge.value(for: Self.version(applied: 5), at: start + .seconds(30)) { computed += 1; return 41 } == 40)
        #expect(computed == 1)
    }

    /// A gauge scraped at chosen times, counting how often it works the figure out (the figure
    /// is the events applied, so a stale one shows).
    final class Scrapes {
        let gauge = HealthIndexGauge(maximumAge: .seconds(1))
        let start = ContinuousClock.now
        var computed = 0

        func value(applied: Double, after milliseconds: Int) -> Double? {
            gauge.value(for: HealthIndexGaugeTests.version(applied: applied), at: start + .milliseconds(milliseconds)) { computed += 1; return applied }
        }
    }

    @Test func aChangingStateIsWorkedOutAtMostOnceAMaximumAge() {
        let scrapes = Scrapes()
        #expect(scrapes.value(applied: 1, after: 0) == 1)
        // Events applied between every two scrapes, within the second: the last figure.
        #expect(scrapes.value(applied: 2, after: 300) == 1)
        #expect(scrapes.value(applied: 3, after: 999) == 1)
        #expect(scrapes.computed == 1)
        // A second old: worked out for the current state.
        #expect(scrapes.value(applied: 4, after: 1_000) == 4)
        #expect(scrapes.computed == 2)
        // And exact from then on while nothing changes.
        #expect(scrapes.value(applied: 4, after: 1_200) == 4)
        #expect(scrapes.computed == 2)
    }

    @Test func aScrapeFindingTheProjectionsAsThePreviousOneDidGetsTheExactFigure() {
        let scrapes = Scrapes()
        #expect(scrapes.value(applied: 1, after: 0) == 1)
        #expect(scrapes.value(applied: 7, after: 100) == 1)
        // Settled: the same state as at the previous scrape, within the second.
        #expect(scrapes.value(applied: 7, after: 200) == 7)
        #expect(scrapes.value(applied: 7, after: 300) == 7)
        #expect(scrapes.computed == 2)
    }

    @Test func everyPartOfTheVersionCounts() {
        let start = ContinuousClock.now
        let base = Self.version(applied: 5)
        var changed = [base, base, base, base]
        changed[0].applied += 1
        changed[1].customers += 1
        changed[2].partitions -= 1
        changed[3].now = base.now.adding(milliseconds: 1)
        for version in changed {
            let gauge = HealthIndexGauge(maximumAge: .seconds(1))
            _ = gauge.value(for: base, at: start) { 1 }
            // Past the maximum age, only a changed version is worked out again.
            #expect(gauge.value(for: version, at: start + .seconds(2)) { 2 } == 2)
            #expect(gauge.value(for: version, at: start + .seconds(5)) { 3 } == 2)
        }
    }
}
