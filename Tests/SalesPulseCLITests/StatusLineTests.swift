import Testing
import SalesPulseRuntime
@testable import SalesPulseCLI

/// The consume loop's part of `run`'s status line.
@Suite struct StatusLineTests {
    @Test func sharesOfTheLoopsTimeFoldingFirst() {
        var loop = ConsumeLoopTime()
        loop.add(.milliseconds(820), to: .folding)
        loop.add(.milliseconds(60), to: .taking)
        loop.add(.milliseconds(70), to: .queueing)
        loop.add(.milliseconds(30), to: .ticking)
        loop.add(.milliseconds(20), to: .waiting)
        #expect(StatusLine.describe(loop) == "loop: folding 82 %, taking 6 %, queueing 7 %, ticking 3 %, checkpointing 0 %, waiting 2 %")
    }

    @Test func anIdleInstanceShowsWaiting() {
        var loop = ConsumeLoopTime()
        loop.add(.seconds(5), to: .waiting)
        #expect(StatusLine.describe(loop) == "loop: folding 0 %, taking 0 %, queueing 0 %, ticking 0 %, checkpointing 0 %, waiting 100 %")
    }

    @Test func aLoopWithoutTimeSaysSo() {
        #expect(StatusLine.describe(ConsumeLoopTime()) == "loop: no time recorded")
    }
}
