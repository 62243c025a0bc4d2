import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// The counter projection finds a counter's state by its position in the definitions it folds.
/// The layout is not part of the state: folding through definitions in another order, or
/// changing them between folds, or restoring from ``CounterProjection/states``, gives the same
/// states and equal projections; counters without data are not states.
@Suite struct CounterProjectionLayoutTests {
    // The counters of the coding tests: a distinct, a count and a sum.
    static let reps = CounterStateCodingTests.reps
    static let count = CounterStateCodingTests.count
    static let sum = CounterStateCodingTests.sum

    static let occurrences: [(SalesEventType, Int64, [String: String])] = [
        (.objectionChosen, 1_000_000, ["repid": "rep-1", "objection": "price"]),
        (.dealWon, 1_000_500, ["amount": "5", "region": "east"]),
        (.objectionChosen, 1_002_000, ["repid": "rep-2", "objection": "price"]),
        (.objectionChosen, 1_003_000, ["repid": "rep-1", "objection": "timing"]),
        (.dealWon, 1_004_000, ["amount": "2.5", "region": "east"]),
    ]

    static func fold(_ occurrences: ArraySlice<(SalesEventType, Int64, [String: String])>, into projection: inout CounterProjection, counters: [CounterDefinition]) {
        for (type, millis, attributes) in occurrences {
            projection.apply(type: type, time: EventTime(epochMilliseconds: millis), counters: counters) { attributes[$0] }
        }
    }

    static func folded(_ counters: [CounterDefinition]) -> CounterProjection {
        var projection = CounterProjection()
        fold(occurrences[...], into: &projection, counters: counters)
        return projection
    }

    @Test func definitionOrderDoesNotMatter() {
        let forward = Self.folded([Self.reps, Self.count, Self.sum])
        let backward = Self.folded([Self.sum, Self.count, Self.reps])
        #expect(forward == backward)
        #expect(forward.hashValue == backward.hashValue)
        #expect(forward.states["count"]?.buckets["price"]?[1_000] == 1)
        #expect(forward.states["count"]?.buckets["price"]?[1_002] == 1)
        #expect(forward.states["sum"]?.buckets["east"]?[1_004] == 2.5)
        #expect(forward.state(of: "reps")?.occurrences["timing"]?["rep-1"] == [1_003])
    }

    /// Definitions that change between folds (a partition restored under a new configuration)
    /// keep the states of the counters they still list, and those of the ones they dropped.
    @Test func changedDefinitionsKeepEveryState() {
        var projection = CounterProjection()
        Self.fold(Self.occurrences[..<2], into: &projection, counters: [Self.reps, Self.sum])
        Self.fold(Self.occurrences[2...], into: &projection, counters: [Self.count, Self.reps])
        #expect(projection.states["sum"]?.buckets["east"]?[1_000] == 5, "dropped counter kept")
        #expect(projection.states["sum"]?.buckets["east"]?[1_004] == nil, "no longer folded")
        #expect(projection.states["reps"]?.occurrences["price"]?.keys.sorted() == ["rep-1", "rep-2"])
        #expect(projection.states["count"]?.buckets["price"]?[1_000] == nil, "counted from its first listing on")
        #expect(projection.states["count"]?.buckets["price"]?[1_002] == 1)
    }

    /// A projection restored from its states (a checkpoint) folds on exactly like the original.
    @Test func restoredStatesFoldOnAlike() {
        let counters = [Self.reps, Self.count, Self.sum]
        var original = CounterProjection()
        Self.fold(Self.occurrences[..<3], into: &original, counters: counters)
        var restored = CounterProjection()
        restored.states = original.states
        #expect(restored == original)
        Self.fold(Self.occurrences[3...], into: &original, counters: counters)
        Self.fold(Self.occurrences[3...], into: &restored, counters: counters)
        #expect(restored == original)
        #expect(original == Self.folded(counters))
    }

    /// A counter that counted nothing (its type never came) or whose data was all evicted has no
    /// state: equal to a projection that never listed it.
    @Test func emptyStatesAreNoStates() {
        let objectionsOnly = Array(Self.occurrences.filter { $0.0 == .objectionChosen })
        var withSum = CounterProjection()
        Self.fold(objectionsOnly[...], into: &withSum, counters: [Self.reps, Self.count, Self.sum])
        var withoutSum = CounterProjection()
        Self.fold(objectionsOnly[...], into: &withoutSum, counters: [Self.reps, Self.count])
        #expect(withSum.states.keys.sorted() == ["count", "reps"])
        #expect(withSum == withoutSum)
        withSum.evict(watermark: EventTime(epochMilliseconds: 100_000_000), counters: [Self.reps, Self.count, Self.sum], latenessMilliseconds: 0)
        #expect(withSum.states.isEmpty)
        #expect(withSum == CounterProjection())
        #expect(withSum.state(of: "reps") == nil)
        #expect(withSum.state(of: "sum") == nil, "listed, never counted")
    }
}
