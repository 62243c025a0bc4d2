import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// The counters' positional checkpoint layout: distinct seconds, counts and fractional sums
/// (also before 1970) come back equal; the bytes do not depend on the order the occurrences
/// came in; damaged bytes throw, seconds out of order included.
@Suite struct CounterStateCodingTests {
    static let reps = CounterDefinition(id: "reps", type: .objectionChosen, measure: .distinct("repid"), groupBy: "objection", windowMilliseconds: 3_600_000)
    static let count = CounterDefinition(id: "count", type: .objectionChosen, measure: .count, groupBy: "objection", windowMilliseconds: 3_600_000)
    static let sum = CounterDefinition(id: "sum", type: .dealWon, measure: .sum("amount"), groupBy: "region", windowMilliseconds: 3_600_000)

    /// Occurrences as (type, epoch milliseconds, attributes).
    static let occurrences: [(SalesEventType, Int64, [String: String])] = [
        (.objectionChosen, 1_772_413_200_000, ["repid": "rep-1", "objection": "price"]),
        (.objectionChosen, 1_772_413_200_500, ["repid": "rep-1", "objection": "price"]),
        (.objectionChosen, 1_772_413_201_000, ["repid": "rep-2", "objection": "price"]),
        (.objectionChosen, 1_772_413_260_000, ["repid": "rep-1", "objection": "timing"]),
        (.objectionChosen, -1_500, ["repid": "rep-3", "objection": "price"]),
        (.dealWon, 1_772_413_200_000, ["amount": "12.125", "region": "east"]),
        (.dealWon, 1_772_413_230_000, ["amount": "0.3", "region": "east"]),
        (.dealWon, -86_400_000, ["amount": "-7", "region": "west"]),
    ]

    static func projection(_ occurrences: [(SalesEventType, Int64, [String: String])] = occurrences) -> CounterProjection {
        var projection = CounterProjection()
        for (type, millis, attributes) in occurrences {
            projection.apply(type: type, time: EventTime(epochMilliseconds: millis), counters: [reps, count, sum]) { attributes[$0] }
        }
        return projection
    }

    static func bytes(_ projection: CounterProjection) -> [UInt8] { StateWriter.bytes(projection.write) }

    static func read(_ bytes: [UInt8]) throws(StateReadError) -> CounterProjection {
        try StateReader.read(bytes) { reader throws(StateReadError) in try CounterProjection(reading: &reader) }
    }

    @Test func everyMeasureRoundTrips() throws {
        let projection = Self.projection()
        #expect(projection.states["reps"]?.occurrences["price"]?["rep-1"] == [1_772_413_200])
        #expect(projection.states["reps"]?.occurrences["price"]?["rep-3"] == [-2])
        #expect(projection.states["sum"]?.buckets["east"]?[1_772_413_230] == CounterState.quantized(0.3))
        #expect(try Self.read(Self.bytes(projection)) == projection)
        #expect(try Self.read(Self.bytes(CounterProjection())) == CounterProjection())
    }

    @Test func bytesDoNotDependOnArrivalOrder() {
        #expect(Self.bytes(Self.projection(Self.occurrences.reversed())) == Self.bytes(Self.projection()))
    }

    @Test func everyTruncationThrowsAndDamageNeverTraps() {
        DamagedStateBytes.expectRefused(Self.bytes(Self.projection()), read: Self.read)
    }

    /// A step of zero between seconds (two equal seconds) is refused: it would break the
    /// sorted, distinct seconds every fold relies on.
    @Test func secondsOutOfOrderAreRefused() {
        var writer = StateWriter()
        writer.write(count: 1)          // one counter
        writer.write("reps")
        writer.write(count: 1)          // one group
        writer.write("price")
        writer.write(count: 1)          // one value
        writer.write("rep-1")
        writer.write(count: 2)          // two seconds: 100, then a step of 0
        writer.write(Int64(100))
        writer.write(UInt64(0))
        writer.write(count: 0)          // no buckets
        #expect(throws: StateReadError.self) { try Self.read(writer.bytes) }
    }
}
