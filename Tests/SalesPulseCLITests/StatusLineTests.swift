import Testing
@testable import SalesPulseRuntime
@testable import SalesPulseCLI

/// `run`'s status line: the consume loop's part, and records the broker no longer had.
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

    /// A status with `missing` records skipped over and nothing else.
    static func status(missing: Int) -> ProjectorRuntime.Status {
        ProjectorRuntime.Status(partitions: [], customers: 0, statistics: PartitionStatistics(), watermark: nil, recordsConsumed: 0, dlqPublished: 0, checkpointsWritten: 0,
                                lastCheckpointBytes: 0, lastCheckpointMilliseconds: 0, processingSeconds: 0, batches: 0, lastTickMilliseconds: 0, loopTime: ConsumeLoopTime(),
                                fetchWakeups: 0, recordsMissing: missing, finalCheckpointMilliseconds: nil)
    }

    @Test func checkpointsAreCountedWithTheDeltasAmongThem() {
        var status = Self.status(missing: 0)
        status.checkpointsWritten = 12
        status.checkpointDeltasWritten = 9
        #expect(StatusLine.render(status).contains("| checkpoints 12 (deltas 9) |"))
    }

    @Test func recordsTheBrokerNoLongerHadAreShownWhenThereAreAny() {
        #expect(StatusLine.render(Self.status(missing: 5_184)).contains("| MISSING 5184 (no longer on the broker) |"))
        #expect(!StatusLine.render(Self.status(missing: 0)).contains("MISSING"))
    }
}
