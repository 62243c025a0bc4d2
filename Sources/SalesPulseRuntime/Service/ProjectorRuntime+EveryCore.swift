import Foundation
import Synchronization

/// Work shared out among the cores: checkpoints restored on assignment and written on
/// revocation, one partition each.
extension ProjectorRuntime {
    /// `work` applied to each of `items` on every core (Dispatch's `concurrentPerform`), the
    /// results in the order of `items`.
    static func onEveryCore<Item: Sendable, Value: Sendable>(_ items: [Item], _ work: @Sendable (Item) -> Value) -> [Value] {
        let results = Mutex<[Int: Value]>([:])
        DispatchQueue.concurrentPerform(iterations: items.count) { index in
            let value = work(items[index])
            results.withLock { $0[index] = value }
        }
        return results.withLock { results in items.indices.map { results[$0]! } }
    }
}
