import Testing
import SalesPulseModel
@testable import SalesPulseProjections

@Suite struct CounterRuleTests {
    typealias F = Fixtures

    static let configuration: ProcessConfiguration = {
        var configuration = try! ConfigurationLoader.parse(yaml: """
        flows:
          - id: a
            steps: [{id: s}]
        departments: {product: product-dept}
        counters:
          - {id: competitor_reps_24h, type: sales.competitor.mentioned, distinct: repid, groupBy: competitor, window: 24h}
        rules:
          - {id: five_reps, counter: competitor_reps_24h, atLeast: 5, notify: [product]}
        """)
        return configuration
    }()

    static func mention(_ competitor: String, rep: String, hours: Double, id: String) -> SalesEvent {
        F.event(.competitorMentioned(competitor: competitor), customer: "c-\(id)", rep: rep, at: hours, id: id)
    }

    /// A configuration counting mentions per competitor within an hour (`mentions_1h`), with
    /// one rule over it (`rule`, a YAML flow mapping).
    static func mentionsPerHour(rule: String) throws -> ProcessConfiguration {
        try ConfigurationLoader.parse(yaml: """
        flows:
          - id: a
            steps: [{id: s}]
        counters:
          - {id: mentions_1h, type: sales.competitor.mentioned, count: true, groupBy: competitor, window: 1h}
        rules:
          - \(rule)
        """)
    }

    static func state(_ events: [SalesEvent]) -> CounterProjection {
        var projection = CounterProjection()
        for event in events { projection.apply(event, counters: configuration.counters) }
        return projection
    }

    @Test func fiveDistinctRepsWithin24HoursFireOnceAndResolveWhenTheWindowMovesOn() {
        // Six mentions of acme by five reps (rep-1 twice), and four reps for medix.
        let events = [
            Self.mention("acme", rep: "rep-1", hours: 1, id: "1"), Self.mention("acme", rep: "rep-2", hours: 2, id: "2"),
            Self.mention("acme", rep: "rep-1", hours: 3, id: "3"), Self.mention("acme", rep: "rep-3", hours: 4, id: "4"),
            Self.mention("acme", rep: "rep-4", hours: 5, id: "5"), Self.mention("acme", rep: "rep-5", hours: 6, id: "6"),
            Self.mention("medix", rep: "rep-1", hours: 1, id: "7"), Self.mention("medix", rep: "rep-2", hours: 2, id: "8"),
            Self.mention("medix", rep: "rep-3", hours: 3, id: "9"), Self.mention("medix", rep: "rep-4", hours: 4, id: "10"),
        ]
        let counters = Self.state(events)
        var evaluator = CounterRuleEvaluator()
        let fired = evaluator.evaluate(at: F.at(7), configuration: Self.configuration) { counters.states[$0] ?? CounterState() }
        #expect(fired.count == 1)
        #expect(fired.first?.customer == "acme")
        #expect(fired.first?.since == F.at(6), "the fifth distinct rep arrived at 6h")
        #expect(fired.first?.departments == ["product-dept"])
        #expect(evaluator.evaluate(at: F.at(8), configuration: Self.configuration) { counters.states[$0] ?? CounterState() }.isEmpty, "no refiring")
        // 24h after rep-1's first mention (but rep-1 mentioned again at 3h) the count is still 5;
        // after 2h+24h rep-2 leaves the window: 4 < 5, resolved.
        #expect(evaluator.evaluate(at: F.at(25.5), configuration: Self.configuration) { counters.states[$0] ?? CounterState() }.isEmpty)
        let resolved = evaluator.evaluate(at: F.at(26.5), configuration: Self.configuration) { counters.states[$0] ?? CounterState() }
        #expect(resolved.map(\.state) == [.resolved])
        #expect(resolved.first?.id == fired.first?.id)
    }

    /// Counters of each measure over competitor mentions and won deals, with the given windows:
    /// distinct reps per competitor (`reps`), mentions per competitor (`mentions`) and the
    /// amount won per region (`won`).
    static func threeMeasures(windows: (reps: String, mentions: String, won: String)) throws -> ProcessConfiguration {
        try ConfigurationLoader.parse(yaml: """
        flows:
          - id: a
            steps: [{id: s}]
        counters:
          - {id: reps, type: sales.competitor.mentioned, distinct: repid, groupBy: competitor, window: \(windows.reps)}
          - {id: mentions, type: sales.competitor.mentioned, count: true, groupBy: competitor, window: \(windows.mentions)}
          - {id: won, type: sales.deal.won, sum: amount, groupBy: region, window: \(windows.won)}
        """)
    }

    /// A series read by binary search over its sorted data (as an evaluation over several points
    /// reads it) gives the value the scan of the buckets gives, at every second around the data:
    /// distinct reps, counts and sums, with groups that have no data.
    @Test func seriesSortedOnceReadTheValuesAScanReads() throws {
        let configuration = try Self.threeMeasures(windows: ("3h", "2h", "90m"))
        var generator = SystemRandomNumberGenerator()
        var projection = CounterProjection()
        for index in 0..<400 {
            let hours = Double(Int.random(in: 0..<(12 * 3600), using: &generator)) / 3600
            let rep = "rep-\(Int.random(in: 0..<6, using: &generator))"
            let competitor = ["acme", "medix", "zeta"][Int.random(in: 0..<3, using: &generator)]
            projection.apply(F.event(.competitorMentioned(competitor: competitor), rep: rep, at: hours, id: "m\(index)"), counters: configuration.counters)
            let amount = Double(Int.random(in: 1...9_999, using: &generator)) / 7
            projection.apply(F.event(.dealWon(amount: amount, currency: "CNY"), rep: rep, at: hours, id: "w\(index)"), counters: configuration.counters)
        }
        for counter in configuration.counters {
            let state = projection.states[counter.id] ?? CounterState()
            let scanned = CounterSeries(state: state, counter: counter)
            let sorted = CounterSeries(state: state, counter: counter, preparingEagerly: true)
            for group in ["acme", "medix", "zeta", "east", "nobody"] {
                for minute in stride(from: -30, through: 15 * 60, by: 7) {
                    let second = CounterState.second(of: F.at(Double(minute) / 60))
                    #expect(sorted.value(group, at: second) == scanned.value(group, at: second), "\(counter.id)[\(group)] at minute \(minute)")
                }
            }
        }
    }

    /// Rules judge a group only at its change points: the value of a series changes from one
    /// second to the next only at a listed change point, and a distinct count lists only the
    /// seconds where it really changes — with values seen in bursts (spans that overlap and
    /// join) and alone, counts and sums, and ranges cutting through the data.
    @Test func seriesChangeOnlyAtTheirChangePoints() throws {
        let configuration = try Self.threeMeasures(windows: ("20m", "15m", "10m"))
        var generator = SystemRandomNumberGenerator()
        var projection = CounterProjection()
        for index in 0..<150 {
            // Bursts in the first 40 minutes of each hour, on whole minutes: one value's span
            // (a window long) often ends where another's begins, and the count does not change.
            let hours = Double(Int.random(in: 0..<4, using: &generator)) + Double(Int.random(in: 0..<40, using: &generator)) / 60
            let rep = "rep-\(Int.random(in: 0..<4, using: &generator))"
            let competitor = ["acme", "medix"][Int.random(in: 0..<2, using: &generator)]
            projection.apply(F.event(.competitorMentioned(competitor: competitor), rep: rep, at: hours, id: "m\(index)"), counters: configuration.counters)
            projection.apply(F.event(.dealWon(amount: Double(index % 7 + 1), currency: "CNY"), rep: rep, at: hours, id: "w\(index)"), counters: configuration.counters)
        }
        // One rep's mention leaves the 20-minute window at the second another's enters it: the
        // distinct count does not change there.
        for (index, (rep, minutes)) in [("rep-1", 0.0), ("rep-2", 20.0), ("rep-1", 50.0)].enumerated() {
            projection.apply(F.event(.competitorMentioned(competitor: "zeta"), rep: rep, at: minutes / 60, id: "z\(index)"), counters: configuration.counters)
        }
        for counter in configuration.counters {
            let state = projection.states[counter.id] ?? CounterState()
            let series = CounterSeries(state: state, counter: counter, preparingEagerly: true)
            let scanned = CounterSeries(state: state, counter: counter)
            for group in ["acme", "medix", "zeta", "east", "nobody"] {
                let first = CounterState.second(of: F.at(-0.5)), last = CounterState.second(of: F.at(4.5))
                for second in first...last where series.value(group, at: second) != scanned.value(group, at: second) {
                    Issue.record("\(counter.id)[\(group)] at \(second): \(series.value(group, at: second)), scanned \(scanned.value(group, at: second))")
                    break
                }
                for (low, high) in [(first, last), (first + 5_000, first + 9_000), (last - 2_000, last + 10)] {
                    let points = Set(series.changePoints(group, in: low...high))
                    for second in (low + 1)...high where series.value(group, at: second) != series.value(group, at: second - 1) {
                        #expect(points.contains(second), "\(counter.id)[\(group)] changes at \(second) unlisted")
                    }
                    if case .distinct = counter.measure {
                        for point in points where point > low {
                            #expect(series.value(group, at: point) != series.value(group, at: point - 1), "\(counter.id)[\(group)] listed \(point) without a change")
                        }
                    }
                }
            }
        }
    }

    /// A team's mean, read from its reps' prepared data, is the mean of the values looked up
    /// rep by rep (reps with no value count in the divisor, not the sum), with and without a
    /// denominator counter and its minimum, at every minute around the data.
    @Test func teamMeansReadFromPreparedDataEqualTheMeanOfEachRepsValue() throws {
        let configuration = try ConfigurationLoader.parse(yaml: """
        flows:
          - id: a
            steps: [{id: s}]
        counters:
          - {id: mentions, type: sales.competitor.mentioned, count: true, groupBy: repid, window: 1h}
          - {id: wins, type: sales.deal.won, count: true, groupBy: repid, window: 1h}
        rules:
          - {id: low, counter: mentions, belowTeamMean: 0.7}
          - {id: low_per_win, counter: mentions, per: wins, belowTeamMean: 0.7, minimum: 2}
        organisation:
          regions:
            - id: east
              director: dir-east
              teams:
                - {id: t1, supervisor: sup-1, reps: [rep-1..rep-4]}
                - {id: t2, supervisor: sup-2, reps: [rep-5..rep-8]}
        """)
        var generator = SystemRandomNumberGenerator()
        var projection = CounterProjection()
        for index in 0..<300 {
            let hours = Double(Int.random(in: 0..<(6 * 60), using: &generator)) / 60
            let rep = "rep-\(Int.random(in: 1...7, using: &generator))" // rep-8 never has a value
            projection.apply(F.event(.competitorMentioned(competitor: "acme"), rep: rep, at: hours, id: "m\(index)"), counters: configuration.counters)
            if index % 3 == 0 {
                projection.apply(F.event(.dealWon(amount: 1, currency: "CNY"), rep: rep, at: hours, id: "w\(index)"), counters: configuration.counters)
            }
        }
        func series(_ id: String?) -> CounterSeries? {
            id.flatMap { id in configuration.counters.first { $0.id == id } }.map { CounterSeries(state: projection.states[$0.id] ?? CounterState(), counter: $0, preparingEagerly: true) }
        }
        for rule in configuration.counterRules {
            let judge = RuleJudge(rule: rule, numerator: series(rule.counter)!, denominator: series(rule.per), organisation: configuration.organisation)
            for minute in stride(from: -10, through: 7 * 60, by: 3) {
                let second = CounterState.second(of: F.at(Double(minute) / 60))
                for rep in ["rep-1", "rep-6", "rep-8"] {
                    let team = configuration.organisation.reps(inTeam: configuration.organisation.placement(of: rep)!.team)
                    let values = team.compactMap { judge.value($0, at: second) }
                    let mean = values.isEmpty ? nil : values.reduce(0, +) / Double(team.count)
                    let expected = mean.flatMap { $0 > 0 && $0 >= rule.minimum ? $0 : nil }
                    #expect(judge.teamMean(of: rep, at: second) == expected, "\(rule.id), \(rep) at minute \(minute)")
                }
            }
        }
    }

    @Test func alertIDsDoNotDependOnWhenTheRuleIsEvaluated() {
        let events = (1...5).map { Self.mention("acme", rep: "rep-\($0)", hours: Double($0), id: "\($0)") }
        let counters = Self.state(events)
        var early = CounterRuleEvaluator()
        var late = CounterRuleEvaluator()
        let first = early.evaluate(at: F.at(5.01), configuration: Self.configuration) { counters.states[$0] ?? CounterState() }
        let second = late.evaluate(at: F.at(20), configuration: Self.configuration) { counters.states[$0] ?? CounterState() }
        #expect(first.map(\.id) == second.map(\.id))
        #expect(first.count == 1)
    }

    /// Evaluation runs on ticks, whose event times differ between runs, replays and restarts:
    /// what an alert says (the value in its reason) and when it resolved must not depend on them.
    @Test func alertsSayTheSameAndResolveAtTheSameTimeWhenEverTheRuleIsEvaluated() {
        let events = (1...7).map { Self.mention("acme", rep: "rep-\($0)", hours: Double($0), id: "\($0)") }
        let counters = Self.state(events)
        let states = { (id: String) in counters.states[id] ?? CounterState() }
        var early = CounterRuleEvaluator()
        var late = CounterRuleEvaluator()
        let firedEarly = early.evaluate(at: F.at(5.01), configuration: Self.configuration, states: states)
        let firedLate = late.evaluate(at: F.at(20), configuration: Self.configuration, states: states)
        #expect(firedEarly.count == 1)
        #expect(firedEarly == firedLate, "the value at the second the alert became due: 5 reps, not the 7 seen by 20h")
        #expect(firedEarly.first?.reason.contains("= 5 ") == true)
        // rep-3's mention (3h) leaves the 24h window at 27h: from then on 4 reps < 5.
        let resolvedEarly = early.evaluate(at: F.at(27.5), configuration: Self.configuration, states: states)
        let resolvedLate = late.evaluate(at: F.at(40), configuration: Self.configuration, states: states)
        #expect(resolvedEarly.map(\.state) == [.resolved])
        #expect(resolvedEarly == resolvedLate)
        #expect(resolvedEarly.first?.resolvedAt == F.at(27))
    }

    /// Inputs from a lagging partition arrive after the alert fired, at the second it became
    /// due: the alert is re-sent once, same id, with the value all inputs give.
    @Test func lateInputsAtTheDueSecondCorrectTheOpenAlertsValueOnce() {
        let first = (1...5).map { Self.mention("acme", rep: "rep-\($0)", hours: Double($0), id: "\($0)") }
        let late = (6...7).map { Self.mention("acme", rep: "rep-\($0)", hours: 5, id: "\($0)") }
        let partial = Self.state(first), complete = Self.state(first + late)
        var evaluator = CounterRuleEvaluator()
        let fired = evaluator.evaluate(at: F.at(6), configuration: Self.configuration, states: { partial.states[$0] ?? CounterState() })
        #expect(fired.first?.reason.contains("= 5 ") == true)
        var reference = CounterRuleEvaluator()
        let expected = reference.evaluate(at: F.at(6.5), configuration: Self.configuration, states: { complete.states[$0] ?? CounterState() })
        #expect(expected.first?.reason.contains("= 7 ") == true)
        let corrected = evaluator.evaluate(at: F.at(6.5), configuration: Self.configuration, states: { complete.states[$0] ?? CounterState() })
        #expect(corrected == expected, "the same alert (id, state fired) with the value of all inputs")
        #expect(evaluator.open == reference.open)
        #expect(evaluator.evaluate(at: F.at(7), configuration: Self.configuration, states: { complete.states[$0] ?? CounterState() }).isEmpty, "sent once")
    }

    /// Inputs arrive in any order (as from partitions progressing at different speeds), with
    /// evaluations at the latest time seen in between, each told the earliest input folded
    /// since the one before: once all have arrived, the open alerts equal those of the inputs
    /// folded in time order with an evaluation after each.
    @discardableResult
    static func expectArrivalOrderDoesNotMatter(_ configuration: ProcessConfiguration, events: [SalesEvent], end: EventTime, seed: UInt64) -> [String: Alert] {
        func evaluate(_ evaluator: inout CounterRuleEvaluator, _ projection: CounterProjection, at now: EventTime, changedFrom: EventTime?) {
            _ = evaluator.evaluate(at: now, configuration: configuration, changedFrom: changedFrom, states: { projection.states[$0] ?? CounterState() })
        }
        var inOrder = CounterProjection()
        var reference = CounterRuleEvaluator()
        for event in events.sorted(by: { $0.time < $1.time }) {
            inOrder.apply(event, counters: configuration.counters)
            evaluate(&reference, inOrder, at: event.time, changedFrom: event.time)
        }
        evaluate(&reference, inOrder, at: end, changedFrom: nil)
        #expect(!reference.open.isEmpty, "the stream opens alerts")
        var random = PartitioningPropertyTests.Generator(state: seed)
        for round in 0..<50 {
            var order = events
            for index in order.indices.reversed() { order.swapAt(index, random.next(index + 1)) }
            var projection = CounterProjection()
            var evaluator = CounterRuleEvaluator()
            var latest = order[0].time
            var changedFrom: EventTime?
            for event in order {
                projection.apply(event, counters: configuration.counters)
                latest = max(latest, event.time)
                changedFrom = min(changedFrom ?? event.time, event.time)
                if random.next(4) == 0 {
                    evaluate(&evaluator, projection, at: latest, changedFrom: changedFrom)
                    changedFrom = nil
                }
            }
            evaluate(&evaluator, projection, at: end, changedFrom: changedFrom)
            #expect(evaluator.open == reference.open, "round \(round)")
        }
        return reference.open
    }

    /// A rule that more inputs can only start earlier (at least 5 reps).
    @Test func anyArrivalOrderGivesTheSameOpenAlertsOnceAllHaveArrived() {
        var random = PartitioningPropertyTests.Generator(state: 11)
        // Mentions of two competitors by 9 reps over 20 hours.
        let events = (0..<40).map { index in
            Self.mention(index % 3 == 0 ? "globex" : "acme", rep: "rep-\(random.next(9))", hours: Double(random.next(200)) / 10, id: "m\(index)")
        }
        Self.expectArrivalOrderDoesNotMatter(Self.configuration, events: events, end: F.at(21), seed: 11)
    }

    /// A rule that late inputs can break in the middle of its run (fewer than 3 mentions in an
    /// hour, for 2 hours).
    @Test func lateInputsThatBreakARunAreSeenWhateverTheArrivalOrder() throws {
        let configuration = try Self.mentionsPerHour(rule: "{id: quiet, counter: mentions_1h, below: 3, for: 2h}")
        // Two mentions an hour all day (below 3: holds), but a burst at 3 h breaks the run: open
        // since the burst left the window (4 h). Arriving late, the burst must end the run seen
        // from 0 h.
        let steady = (0..<24).map { Self.mention("acme", rep: "rep-1", hours: 0.25 + Double($0) / 2, id: "s\($0)") }
        let burst = (0..<3).map { Self.mention("acme", rep: "rep-1", hours: 3 + Double($0) / 10, id: "b\($0)") }
        let events = steady + burst
        let open = Self.expectArrivalOrderDoesNotMatter(configuration, events: events, end: F.at(12.2), seed: 5)
        #expect(open.values.map(\.since) == [F.at(4.2)], "the burst's last mention (3.2 h) leaves the hour's window at 4.2 h")
    }

    /// `events` folded, then evaluated at two points only (`from`, `to`: a replay's evaluations
    /// lie hours of event time apart) and every `step` minutes from `from` to `to`: each
    /// evaluator's changes and open alerts.
    static func sparseAndDense(_ configuration: ProcessConfiguration, _ events: [SalesEvent], from: Int, to: Int, step: Int)
        -> (sparse: [Alert], sparseOpen: [String: Alert], dense: [Alert], denseOpen: [String: Alert]) {
        var projection = CounterProjection()
        for event in events { projection.apply(event, counters: configuration.counters) }
        let states = { (id: String) in projection.states[id] ?? CounterState() }
        var sparse = CounterRuleEvaluator(), dense = CounterRuleEvaluator()
        let sparseChanges = [from, to].flatMap { sparse.evaluate(at: F.at(Double($0) / 60), configuration: configuration, states: states) }
        let denseChanges = stride(from: from, through: to, by: step).flatMap { dense.evaluate(at: F.at(Double($0) / 60), configuration: configuration, states: states) }
        return (sparseChanges, sparse.open, denseChanges, dense.open)
    }

    /// A run that stops and starts again between two evaluations (a replay evaluates every
    /// 6 hours of event time): its alert resolves at the second the condition stopped holding,
    /// as with an evaluation every ten minutes — not at the evaluation that found the new run.
    @Test func aRunBrokenBetweenEvaluationsResolvesWhenItStoppedHolding() throws {
        let configuration = try Self.mentionsPerHour(rule: "{id: quiet, counter: mentions_1h, below: 3, for: 2h}")
        // Two mentions an hour (below 3: holds); a burst at 5 h makes three within the hour.
        let steady = (0..<24).map { Self.mention("acme", rep: "rep-1", hours: 0.25 + Double($0) / 2, id: "s\($0)") }
        let burst = (0..<3).map { Self.mention("acme", rep: "rep-1", hours: 5 + Double($0) / 10, id: "b\($0)") }
        let run = Self.sparseAndDense(configuration, steady + burst, from: 180, to: 540, step: 10)
        let resolved = run.sparse.filter { $0.state == .resolved }
        #expect(resolved.count == 1)
        #expect(resolved.first?.resolvedAt == F.at(5), "the burst's first mention makes three within the hour")
        #expect(resolved == run.dense.filter { $0.state == .resolved })
        #expect(run.sparseOpen == run.denseOpen, "the new run's alert")
    }

    /// A run that begins and ends between two evaluation points (hours of event time apart in a
    /// replay) fires and resolves its alert at the later point, as an evaluation every five
    /// minutes does along the way; a run too short for the rule's `for` gives nothing.
    @Test func aRunBetweenTwoEvaluationsIsAlertedAsEvaluationsInsideItWould() throws {
        let configuration = try Self.mentionsPerHour(rule: "{id: busy, counter: mentions_1h, atLeast: 3, for: 20m}")
        // Four mentions at 2.0 – 2.3 h: three or more within the hour from 2.2 h to 3.1 h (54 min).
        // Three at 5.0 – 5.2 h: from 5.2 h to 6.0 h (48 min). Three at 8.0, 8.5 and 8.9 h: from
        // 8.9 h to 9.0 h (6 min, too short).
        let hours = [2.0, 2.1, 2.2, 2.3, 5.0, 5.1, 5.2, 8.0, 8.5, 8.9]
        let events = hours.enumerated().map { Self.mention("acme", rep: "rep-1", hours: $0.element, id: "m\($0.offset)") }
        let run = Self.sparseAndDense(configuration, events, from: 60, to: 720, step: 5)
        #expect(run.dense.count == 4, "two runs long enough, each fired and resolved")
        // The same changes; the dense evaluation sends them in time order, the sparse one at once.
        let order = { (a: Alert, b: Alert) in (a.id, a.state == .fired ? 0 : 1) < (b.id, b.state == .fired ? 0 : 1) }
        #expect(run.sparse.sorted(by: order) == run.dense.sorted(by: order))
        #expect(run.sparse.filter { $0.state == .fired }.map(\.since).sorted() == [F.at(2.2), F.at(5.2)])
        #expect(run.sparse.filter { $0.state == .resolved }.compactMap(\.resolvedAt).sorted() == [F.at(3.1), F.at(6)])
        #expect(run.sparseOpen.isEmpty)
    }

    @Test func rulesMustNameDeclaredCountersAndDepartments() {
        let base = "flows:\n  - id: a\n    steps: [{id: s}]\ncounters:\n  - {id: c, type: sales.competitor.mentioned, count: true, window: 1h}\n"
        #expect { try ConfigurationLoader.parse(yaml: base + "rules:\n  - {id: r, counter: nope, atLeast: 5}\n") } throws: {
            ($0 as? ConfigurationError)?.message.contains("unknown counter 'nope'") == true
        }
        #expect { try ConfigurationLoader.parse(yaml: base + "rules:\n  - {id: r, counter: c, atLeast: 5, notify: [legal]}\n") } throws: {
            ($0 as? ConfigurationError)?.message.contains("unknown department 'legal'") == true
        }
    }
}
