import Synchronization
import Testing
@testable import SalesPulseRuntime

/// Checkpoints restored on assignment are read and turned into projectors on every core; the
/// results must come back in the partitions' order, each worked on once.
@Suite struct OnEveryCoreTests {
    final class Calls: Sendable {
        let items = Mutex<[Int]>([])
    }

    @Test func resultsComeInTheItemsOrderEachWorkedOnOnce() {
        let calls = Calls()
        let items = Array((0..<257).reversed())
        let results = ProjectorRuntime.onEveryCore(items) { item in
            calls.items.withLock { $0.append(item) }
            return "partition \(item)"
        }
        #expect(results == items.map { "partition \($0)" })
        #expect(calls.items.withLock { $0 }.sorted() == Array(0..<257))
    }

    @Test func nothingToDoGivesNothing() {
        let results = ProjectorRuntime.onEveryCore([Int]()) { $0 * 2 }
        #expect(results.isEmpty)
    }
}
