import Foundation
import Synchronization
import Testing
@testable import SalesPulseRuntime

/// Revoked partitions' state is freed off the caller's thread, and all of it by the time
/// `waitUntilReleased` returns.
@Suite struct StateReleaserTests {
    /// The threads values were freed on.
    final class FreeLog: Sendable {
        let threads = Mutex<[UInt]>([])
    }

    /// Records the thread its last reference went on.
    final class Tracked: Sendable {
        let log: FreeLog
        init(log: FreeLog) { self.log = log }
        deinit { log.threads.withLock { $0.append(UInt(bitPattern: Int(bitPattern: pthread_self()))) } }
    }

    @Test func theCallerIsLeftWithNothingAndTheFreeingIsAnotherThreads() {
        let log = FreeLog()
        let releaser = StateReleaser()
        var held = (0..<3).map { _ in Tracked(log: log) }
        releaser.release(&held)
        #expect(held.isEmpty, "the caller holds no reference")
        releaser.waitUntilReleased()
        let caller = UInt(bitPattern: Int(bitPattern: pthread_self()))
        let threads = log.threads.withLock { $0 }
        #expect(threads.count == 3, "all freed once waited for")
        #expect(!threads.contains(caller), "none freed on the caller's thread")
    }

    @Test func waitingWithNothingHandedOverReturnsAtOnce() {
        let releaser = StateReleaser()
        var nothing: [Tracked] = []
        releaser.release(&nothing)
        releaser.waitUntilReleased()
    }
}
