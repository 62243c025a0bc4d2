import Testing
import SalesPulseModel
@testable import SalesPulseProjections

@Suite struct CounterTests {
    typealias F = Fixtures
    static let distinctReps = CounterDefinition(id: "reps", type: .objectionChosen, measure: .distinct("repid"), groupBy: "objection", windowMilliseconds: 3_600_000)

    static func objection(_ code: String, rep: String, region: String = "east", atSeconds seconds: Int64, id: String) -> SalesEvent {
        SalesEvent(id: id, type: .objectionChosen, source: "t", time: F.t0.adding(milliseconds: seconds * 1000), subject: "c", rep: rep, region: region, payload: .objectionChosen(objection: code))
    }

    static func state(_ events: [SalesEvent], _ counter: CounterDefinition = distinctReps) -> CounterState {
        var state = CounterState()
        for event in events { state.apply(event, counter: counter) }
        return state
    }

    static func at(_ seconds: Int64) -> EventTime { F.t0.adding(milliseconds: seconds * 1000) }

    @Test func distinctRepsCountEachRepOnceEvenWhenChoosingTwice() {
        let state = Self.state([
            Self.objection("price_too_high", rep: "r1", atSeconds: 10, id: "1"),
            Self.objection("price_too_high", rep: "r1", atSeconds: 20, id: "2"),
            Self.objection("price_too_high", rep: "r2", atSeconds: 30, id: "3"),
            Self.objection("need_to_think", rep: "r3", atSeconds: 30, id: "4"),
        ])
        #expect(state.values(at: Self.at(40), counter: Self.distinctReps) == ["price_too_high": 2, "need_to_think": 1])
    }

    @Test(arguments: [(3_609, 2.0), (3_610, 1.0), (3_629, 1.0), (3_630, 0.0)])
    func theWindowSlidesBySecond(_ second: Int64, _ expected: Double) {
        let state = Self.state([
            Self.objection("price_too_high", rep: "r1", atSeconds: 10, id: "1"),
            Self.objection("price_too_high", rep: "r2", atSeconds: 30, id: "2"),
        ])
        #expect(state.values(at: Self.at(second), counter: Self.distinctReps)["price_too_high", default: 0] == expected)
    }

    @Test func lateEventsGiveTheSameValuesAsInOrderDelivery() {
        let events = (0..<60).map { Self.objection(["price_too_high", "budget"][$0 % 2], rep: "r\($0 % 7)", region: $0 % 3 == 0 ? "west" : "east", atSeconds: Int64($0) * 10, id: "\($0)") }
        var shuffled = events
        // Deliver some events 20 seconds late (after two later events).
        for index in stride(from: 2, to: shuffled.count, by: 5) { shuffled.swapAt(index, index - 2) }
        for second: Int64 in [100, 300, 590, 3_700] {
            #expect(Self.state(events).values(at: Self.at(second), counter: Self.distinctReps) == Self.state(shuffled).values(at: Self.at(second), counter: Self.distinctReps))
        }
    }

    /// The distinct seconds of a value stay sorted and distinct whatever order they arrive in
    /// (in order, reversed, shuffled, repeated): the same as a sorted set of them.
    @Test func distinctSecondsStaySortedAndDistinctInAnyArrivalOrder() {
        for round in 0..<200 {
            let count = round % 40
            // Scattered over 0..<23, repeating once there are more than 23, differently each round.
            var arrivals = (0..<count).map { Int64(($0 * 7_919 + round * 104_729) % 23) }
            if round % 3 == 0 { arrivals.sort() } else if round % 3 == 1 { arrivals.sort(by: >) }
            var seconds: [Int64] = []
            for second in arrivals { CounterState.insert(second, into: &seconds) }
            #expect(seconds == Array(Set(arrivals)).sorted(), "arrivals \(arrivals)")
        }
    }

    @Test func countsAndSumsWithFiltersAndGroups() {
        let count = CounterDefinition(id: "c", type: .objectionChosen, filter: ["region": "east"], measure: .count, groupBy: nil, windowMilliseconds: 60_000)
        let state = Self.state([
            Self.objection("a", rep: "r1", region: "east", atSeconds: 1, id: "1"),
            Self.objection("b", rep: "r1", region: "east", atSeconds: 2, id: "2"),
            Self.objection("c", rep: "r2", region: "west", atSeconds: 3, id: "3"),
        ], count)
        #expect(state.values(at: Self.at(5), counter: count) == ["all": 2])
        let sum = CounterDefinition(id: "s", type: .dealWon, measure: .sum("amount"), groupBy: "region", windowMilliseconds: 60_000)
        var sums = CounterState()
        sums.apply(SalesEvent(id: "w1", type: .dealWon, source: "t", time: Self.at(1), subject: "c", region: "east", payload: .dealWon(amount: 100, currency: "CNY")), counter: sum)
        sums.apply(SalesEvent(id: "w2", type: .dealWon, source: "t", time: Self.at(2), subject: "d", region: "east", payload: .dealWon(amount: 50.5, currency: "CNY")), counter: sum)
        #expect(sums.values(at: Self.at(3), counter: sum) == ["east": 150.5])
    }

    @Test func partitionStatesMergeExactly() {
        let events = (0..<40).map { Self.objection("price_too_high", rep: "r\($0 % 9)", atSeconds: Int64($0), id: "\($0)") }
        let whole = Self.state(events)
        let parts = [Self.state(events.filter { Int($0.id)! % 2 == 0 }), Self.state(events.filter { Int($0.id)! % 2 == 1 })]
        #expect(CounterState.merge(parts).values(at: Self.at(50), counter: Self.distinctReps) == whole.values(at: Self.at(50), counter: Self.distinctReps))
        #expect(whole.values(at: Self.at(50), counter: Self.distinctReps) == ["price_too_high": 9])
    }

    @Test func evictionKeepsWhatTheWindowStillNeeds() {
        var state = Self.state([
            Self.objection("x", rep: "r1", atSeconds: 0, id: "1"),
            Self.objection("x", rep: "r2", atSeconds: 5_000, id: "2"),
        ])
        state.evict(before: 1_000 + CounterState.second(of: F.t0))
        #expect(state.values(at: Self.at(5_001), counter: Self.distinctReps) == ["x": 1])
        #expect(state.occurrences["x"]?.count == 1)
    }

    @Test func evictionDropsExactlyTheSecondsBeforeTheCut() {
        var state = CounterState()
        state.occurrences = ["a": ["v1": [1, 5, 10, 20], "v2": [2, 3], "v3": [15, 30]], "b": ["v1": [1, 2]], "c": ["v9": [50, 60]]]
        state.evict(before: 10)
        #expect(state.occurrences == ["a": ["v1": [10, 20], "v3": [15, 30]], "c": ["v9": [50, 60]]])
        state.evict(before: 10)
        #expect(state.occurrences == ["a": ["v1": [10, 20], "v3": [15, 30]], "c": ["v9": [50, 60]]], "a second eviction at the same cut changes nothing")
        state.evict(before: 61)
        #expect(state.occurrences.isEmpty)
    }

    @Test(arguments: 1...20)
    func evictionMatchesFilteringEverySecond(seed: Int) {
        var random = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((random >> 33) % UInt64(bound))
        }
        var state = CounterState()
        for group in 0..<next(6) {
            for value in 0..<next(8) {
                state.occurrences["g\(group)", default: [:]]["v\(value)"] = Array(Set((0..<next(12)).map { _ in Int64(next(100)) })).sorted()
            }
        }
        let cut = Int64(next(110))
        var expected: [String: [String: [Int64]]] = [:]
        for (group, values) in state.occurrences {
            for (value, seconds) in values where seconds.contains(where: { $0 >= cut }) { expected[group, default: [:]][value] = seconds.filter { $0 >= cut } }
        }
        state.evict(before: cut)
        #expect(state.occurrences == expected, "cut \(cut)")
    }

    @Test func theShippedConfigurationDeclaresTheSeedCounters() throws {
        let configuration = try ConfigurationLoader.load(path: ConfigurationTests.repository.appendingPathComponent("deploy/config/salespulse.yaml").path)
        let headline = configuration.counters.first { $0.id == "objection_reps_1h" }
        #expect(headline == CounterDefinition(id: "objection_reps_1h", type: .objectionChosen, measure: .distinct("repid"), groupBy: "objection", windowMilliseconds: 3_600_000))
        #expect(configuration.counters.first { $0.id == "knowledge_misses_3h" }?.filter == ["hit": "false"])
    }

    @Test(arguments: [
        ("counters:\n  - {id: c, type: sales.nope, count: true, window: 1h}\n", "unknown event type"),
        ("counters:\n  - {id: c, type: sales.objection.chosen, distinct: shoe_size, window: 1h}\n", "unknown attribute 'shoe_size'"),
        ("counters:\n  - {id: c, type: sales.objection.chosen, distinct: repid, sum: amount, window: 1h}\n", "choose one of"),
        ("counters:\n  - {id: c, type: sales.objection.chosen, window: soon}\n", "not a duration"),
    ])
    func badCountersAreRejected(_ yaml: String, _ fragment: String) {
        let text = "flows:\n  - id: a\n    steps: [{id: s}]\n" + yaml
        #expect { try ConfigurationLoader.parse(yaml: text) } throws: { error in
            (error as? ConfigurationError)?.description.contains(fragment) == true && (error as? ConfigurationError)?.line == 5
        }
    }

    /// Sums do not depend on the order their amounts arrive in (from other partitions, after a
    /// restart) nor on how partition states are merged: amounts with fractions that floating
    /// point cannot add exactly, 200 of them in a few seconds, added in 50 orders and split
    /// over partitions, give one and the same figure, and that figure is the quantized total.
    @Test func sumsAreTheSameInAnyArrivalOrderAndMerge() {
        let sum = CounterDefinition(id: "s", type: .dealWon, measure: .sum("amount"), groupBy: "region", windowMilliseconds: 60_000)
        var random = PartitioningPropertyTests.Generator(state: 5)
        let deals = (0..<200).map { index in
            SalesEvent(id: "w\(index)", type: .dealWon, source: "t", time: Self.at(Int64(index % 4)), subject: "c\(index)", region: "east",
                       payload: .dealWon(amount: Double(random.next(1_000_000)) / 7 + 0.1, currency: "CNY"))
        }
        let reference = Self.state(deals, sum)
        let total = reference.values(at: Self.at(10), counter: sum)["east"]!
        #expect(total == deals.reduce(0) { $0 + CounterState.quantized(Double($1.attribute(named: "amount")!)!) })
        for round in 0..<50 {
            var order = deals
            for index in order.indices.reversed() { order.swapAt(index, random.next(index + 1)) }
            #expect(Self.state(order, sum) == reference, "round \(round)")
            let parts = [Array(order[..<(round + 1)]), Array(order[(round + 1)...])]
            let merged = CounterState.merge(parts.reversed().map { Self.state($0, sum) })
            #expect(merged.values(at: Self.at(10), counter: sum) == ["east": total], "round \(round)")
        }
    }

    /// A series equals ``CounterState/values(at:counter:)`` at each of its points: distinct,
    /// count and sum; per-second and coarser buckets; points on and off whole seconds.
    @Test(arguments: [Int64(3_600_000), 86_400_000])
    func aSeriesEqualsTheValueAtEachPoint(window: Int64) {
        let distinct = CounterDefinition(id: "d", type: .objectionChosen, measure: .distinct("repid"), groupBy: "objection", windowMilliseconds: window)
        let count = CounterDefinition(id: "c", type: .objectionChosen, measure: .count, groupBy: "objection", windowMilliseconds: window)
        let sum = CounterDefinition(id: "s", type: .dealWon, measure: .sum("amount"), groupBy: "region", windowMilliseconds: window)
        var random = PartitioningPropertyTests.Generator(state: 21)
        let span = Int(window / 1000) * 2
        let objections = (0..<300).map { index in
            Self.objection(["price", "timing", "trust"][random.next(3)], rep: "rep-\(random.next(12))", atSeconds: Int64(random.next(span)), id: "o\(index)")
        }
        let deals = (0..<300).map { index in
            SalesEvent(id: "w\(index)", type: .dealWon, source: "t", time: Self.at(Int64(random.next(span))), subject: "c\(index)", region: ["east", "west"][random.next(2)],
                       payload: .dealWon(amount: Double(random.next(1_000_000)) / 7 + 0.1, currency: "CNY"))
        }
        for (counter, events) in [(distinct, objections), (count, objections), (sum, deals)] {
            let state = Self.state(events, counter)
            let step = counter.resolutionSeconds * 7
            for now in [Self.at(Int64(span)), Self.at(Int64(span) * 3 / 4).adding(milliseconds: 480), Self.at(-5)] {
                let series = state.series(endingAt: now, stepSeconds: step, count: 400, counter: counter)
                #expect(series.count == 400)
                let expected = (0..<400).map { index in state.values(at: now.adding(milliseconds: -Int64(399 - index) * step * 1000), counter: counter) }
                #expect(series == expected, "\(counter.id) at \(now.rfc3339UTC)")
                #expect(series.contains { !$0.isEmpty } || now == Self.at(-5))
            }
        }
    }

    /// A value seen twice, with one point between whose window holds neither: counted at the
    /// two points, not at the one between.
    @Test func aValueIsNotCountedAtAPointBetweenTwoOfItsOccurrences() {
        let minute = CounterDefinition(id: "d", type: .objectionChosen, measure: .distinct("repid"), groupBy: "objection", windowMilliseconds: 60_000)
        let state = Self.state([Self.objection("price", rep: "rep-1", atSeconds: 0, id: "a"), Self.objection("price", rep: "rep-1", atSeconds: 120, id: "b")], minute)
        let series = state.series(endingAt: Self.at(180), stepSeconds: 60, count: 4, counter: minute)
        #expect(series == [["price": 1], [:], ["price": 1], [:]])
    }
}
