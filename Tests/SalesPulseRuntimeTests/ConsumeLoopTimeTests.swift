import Testing
@testable import SalesPulseRuntime

/// The consume loop's time by phase, as a value: sums per phase, totals and differences
/// between two readings.
@Suite struct ConsumeLoopTimeTests {
    @Test func startsAtZeroInEveryPhase() {
        let time = ConsumeLoopTime()
        for phase in ConsumeLoopTime.Phase.allCases { #expect(time[phase] == 0) }
        #expect(time.total == 0)
    }

    @Test func addsDurationsToTheirPhaseOnly() {
        var time = ConsumeLoopTime()
        time.add(.milliseconds(1_500), to: .folding)
        time.add(.milliseconds(250), to: .folding)
        time.add(.microseconds(125), to: .taking)
        #expect(time[.folding] == 1.75)
        #expect(abs(time[.taking] - 0.000125) < 1e-15)
        for phase in ConsumeLoopTime.Phase.allCases where phase != .folding && phase != .taking { #expect(time[phase] == 0, "\(phase)") }
        #expect(abs(time.total - 1.750125) < 1e-12)
    }

    @Test func keepsEveryPhaseApart() {
        var time = ConsumeLoopTime()
        for (index, phase) in ConsumeLoopTime.Phase.allCases.enumerated() { time.add(.seconds(index + 1), to: phase) }
        for (index, phase) in ConsumeLoopTime.Phase.allCases.enumerated() { #expect(time[phase] == Double(index + 1), "\(phase)") }
        #expect(time.total == 21)
    }

    @Test func addsAnotherReadingPhaseByPhase() {
        var first = ConsumeLoopTime()
        first.add(.seconds(1), to: .waiting)
        first.add(.seconds(2), to: .ticking)
        var second = ConsumeLoopTime()
        second.add(.seconds(3), to: .ticking)
        second.add(.seconds(4), to: .checkpointing)
        first.add(second)
        #expect(first[.waiting] == 1 && first[.ticking] == 5 && first[.checkpointing] == 4 && first[.queueing] == 0)
    }

    @Test func differenceSinceAnEarlierReadingIsTheTimeInBetween() {
        var earlier = ConsumeLoopTime()
        earlier.add(.seconds(2), to: .folding)
        earlier.add(.seconds(1), to: .queueing)
        var later = earlier
        later.add(.seconds(3), to: .folding)
        later.add(.milliseconds(500), to: .taking)
        let between = later.since(earlier)
        #expect(between[.folding] == 3 && between[.taking] == 0.5 && between[.queueing] == 0)
        #expect(between.total == 3.5)
        #expect(later.since(later) == ConsumeLoopTime())
    }

    @Test func phasesAreNamedForTheMetricLabel() {
        #expect(ConsumeLoopTime.Phase.allCases.map(\.rawValue) == ["waiting", "taking", "folding", "queueing", "ticking", "checkpointing"])
    }
}
