import Testing
@testable import SalesPulseRuntime

/// How far apart the consume loop ticks: every second live, ten times the last tick's
/// duration (one to five seconds) while catching up.
@Suite struct TickSpacingTests {
    @Test func liveTicksComeEverySecond() {
        var spacing = TickSpacing()
        #expect(spacing.interval == .seconds(1))
        spacing.record(tickTook: .milliseconds(800), catchingUp: false)
        #expect(spacing.interval == .seconds(1))
        #expect(!spacing.isDue(after: .milliseconds(999), catchingUp: false))
        #expect(spacing.isDue(after: .seconds(1), catchingUp: false))
    }

    @Test(arguments: [(Duration.milliseconds(20), Duration.seconds(1)), (.milliseconds(100), .seconds(1)),
                      (.milliseconds(250), .milliseconds(2_500)), (.milliseconds(450), .milliseconds(4_500)),
                      (.milliseconds(600), .seconds(5)), (.seconds(3), .seconds(5))])
    func whileCatchingUpTicksAreTenTimesTheirDurationApart(took: Duration, interval: Duration) {
        var spacing = TickSpacing()
        spacing.record(tickTook: took, catchingUp: true)
        #expect(spacing.interval == interval)
        #expect(!spacing.isDue(after: interval - .milliseconds(1), catchingUp: true))
        #expect(spacing.isDue(after: interval, catchingUp: true))
    }

    @Test func onceCaughtUpATickIsDueAfterASecondWhateverTheLastOneTook() {
        var spacing = TickSpacing()
        spacing.record(tickTook: .seconds(2), catchingUp: true)
        #expect(!spacing.isDue(after: .seconds(2), catchingUp: true))
        #expect(spacing.isDue(after: .seconds(1), catchingUp: false))
        spacing.record(tickTook: .milliseconds(30), catchingUp: false)
        #expect(spacing.interval == .seconds(1))
    }
}
