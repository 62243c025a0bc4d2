import Testing
@testable import SalesPulseCLI

/// The kafka stage's budget line: how much CPU per event 50 % of the raw rate allows.
@Suite struct HalfOfRawBudgetTests {
    @Test func theBudgetIsTheCoresOverHalfTheRawRate() {
        // 2,000,000 events/s raw: half is 1,000,000/s, which 2 cores reach at 2 µs per event.
        let over = BenchCommand.budgetForHalfOfRaw(rawRate: 2_000_000, cpuPerEvent: 2.5, rawCPUPerEvent: 0.7, cores: 2)
        #expect(over.contains("allows at most 2.00 µs"))
        #expect(over.contains("took 2.50 µs, 25 % over it"))
        #expect(over.contains("the raw consume alone: 0.70 µs"))
        // A slower phase of the machine (raw 800,000/s) leaves 5 µs on 2 cores.
        let within = BenchCommand.budgetForHalfOfRaw(rawRate: 800_000, cpuPerEvent: 3.1, rawCPUPerEvent: 1.2, cores: 2)
        #expect(within.contains("allows at most 5.00 µs"))
        #expect(within.contains("took 3.10 µs, within it"))
        // Four cores allow twice as much.
        #expect(BenchCommand.budgetForHalfOfRaw(rawRate: 2_000_000, cpuPerEvent: 2.5, rawCPUPerEvent: 0.7, cores: 4).contains("on 4 cores allows at most 4.00 µs"))
    }
}
