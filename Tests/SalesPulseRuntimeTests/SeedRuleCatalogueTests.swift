import Foundation
import Testing
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// Every rule of the shipped configuration (`deploy/config/salespulse.yaml`) that the seeds
/// name, driven with events and checked to fire — and resolve — at the right event time.
/// One partition, folded like the runtime folds it, with the rules evaluated like its tick.
@Suite struct SeedRuleCatalogueTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let configuration = try! ConfigurationLoader.load(path: repository.appendingPathComponent("deploy/config/salespulse.yaml").path)
    static let t0: Int64 = 1_772_413_200_000 // 2026-03-02T01:00:00Z
    static let minute: Int64 = 60_000, hour: Int64 = 3_600_000, day: Int64 = 86_400_000

    /// The start of the counter step holding `millis` (7-day windows slide in 168 s steps).
    static func step(_ millis: Int64, seconds: Int64) -> Int64 { (millis / 1000 - (millis / 1000) % seconds) * 1000 }

    /// A partition projector plus the rule evaluators of the runtime's tick.
    struct Bench {
        var projector = PartitionProjector(topic: "t", partition: 0, configuration: SeedRuleCatalogueTests.configuration)
        var counterRules = CounterRuleEvaluator()
        var sequences = SequenceRuleEvaluator()
        var offset: Int64 = 0
        var alerts: [Alert] = []
        let decoder = EventDecoder()

        mutating func feed(_ type: String, _ subject: String, rep: String = "rep-0001", region: String = "east", at millis: Int64, _ data: String) {
            let json = #"{"specversion":"1.0","id":"e-\#(offset)","source":"test","type":"\#(type)","time":"\#(EventTime(epochMilliseconds: millis).rfc3339UTC)","subject":"\#(subject)","repid":"\#(rep)","region":"\#(region)","data":\#(data)}"#
            let outcome = Array(json.utf8).withUnsafeBytes { value in
                projector.process(value: value, key: nil, offset: offset, recordTime: EventTime(epochMilliseconds: millis + 1_000), decoder: decoder)
            }
            offset += 1
            guard case .applied(let outputs)? = outcome else { Issue.record("not applied: \(json) → \(String(describing: outcome))"); return }
            collect(outputs)
        }

        /// Advances to `millis` like the runtime's tick; returns the alert changes.
        @discardableResult
        mutating func tick(_ millis: Int64) -> [Alert] {
            let now = EventTime(epochMilliseconds: millis)
            let before = alerts.count
            collect(projector.advance(to: now))
            let customers = projector.projection.customers
            let counters = projector.counters
            collect(counterRules.evaluate(at: now, configuration: SeedRuleCatalogueTests.configuration, states: { counters.states[$0] ?? CounterState() }, evidence: { rule, alert in
                rule.longestWaitingEvidence > 0 ? WaitingCustomers.longest(rule.longestWaitingEvidence, region: alert.customer, among: customers.values, now: alert.since) : nil
            }).map(FlowOutput.alert))
            collect(sequences.evaluate(at: now, configuration: SeedRuleCatalogueTests.configuration, partitions: [projector.rules]).map(FlowOutput.alert))
            return Array(alerts[before...])
        }

        mutating func collect(_ outputs: [FlowOutput]) {
            for case .alert(let alert) in outputs { alerts.append(alert) }
        }

        func changes(_ rule: String) -> [Alert] { alerts.filter { $0.rule == rule } }
    }

    @Test func conversionBelow15PercentFor10MinutesFiresAndResolves() {
        var bench = Bench()
        for index in 0..<10 { bench.feed("sales.quote.sent", "c-\(index)", at: Self.t0 + Int64(index) * 1_000, #"{"quoteId":"q-\#(index)","amount":1000,"currency":"CNY"}"#) }
        bench.feed("sales.deal.won", "c-0", at: Self.t0 + 10_000, #"{"amount":1000,"currency":"CNY"}"#)
        // 0 won of 5 quotes at +4 s: the ratio is judged from the 5th quote on and stays < 15%.
        let since = Self.t0 + 4_000
        #expect(bench.tick(since + 10 * Self.minute - 1_000).isEmpty, "9 min 59 s: not sustained long enough")
        let fired = bench.tick(since + 10 * Self.minute)
        #expect(fired.map(\.rule) == ["counter:conversion_below_15pct_for_10m"])
        #expect(fired.first?.customer == "east")
        #expect(fired.first?.since == EventTime(epochMilliseconds: since))
        #expect(fired.first?.severity == "critical")
        // A second deal: 2 of 10 = 20%, no longer below 15%.
        bench.feed("sales.deal.won", "c-1", at: since + 11 * Self.minute, #"{"amount":1000,"currency":"CNY"}"#)
        let resolved = bench.tick(since + 11 * Self.minute)
        #expect(resolved.map(\.state) == [.resolved])
        #expect(resolved.first?.id == fired.first?.id)
    }

    @Test func anObjection50PercentUpWeekOnWeekSurges() {
        var bench = Bench()
        for index in 0..<10 { bench.feed("sales.objection.chosen", "c-\(index)", at: Self.t0 + Int64(index) * Self.hour, #"{"objection":"price_too_high"}"#) }
        let week2 = Self.t0 + 7 * Self.day
        for index in 0..<14 { bench.feed("sales.objection.chosen", "d-\(index)", at: week2 + Int64(index) * Self.hour, #"{"objection":"price_too_high"}"#) }
        #expect(bench.tick(week2 + 14 * Self.hour).isEmpty, "14 vs 10 = +40%")
        bench.feed("sales.objection.chosen", "d-14", at: week2 + 14 * Self.hour + 1_000, #"{"objection":"price_too_high"}"#)
        let fired = bench.tick(week2 + 14 * Self.hour + 1_000)
        #expect(fired.map(\.rule) == ["counter:objection_surge_50pct_wow"], "15 vs 10 = +50%")
        #expect(fired.first?.customer == "price_too_high")
        #expect(fired.first?.departments == ["product-dept"])
        #expect(fired.first?.since == EventTime(epochMilliseconds: Self.step(week2 + 14 * Self.hour + 1_000, seconds: 168)), "the start of the 168 s step of the 15th objection")
    }

    @Test func theSameSearchMissingEveryHourFor3HoursAlertsProduct() {
        var bench = Bench()
        for index in 0...6 { bench.feed("sales.knowledge.searched", "c-\(index)", at: Self.t0 + Int64(index) * 30 * Self.minute, #"{"query":"spine scope blur","hit":false}"#) }
        bench.feed("sales.knowledge.searched", "x", at: Self.t0, #"{"query":"found it","hit":true}"#)
        #expect(bench.tick(Self.t0 + 3 * Self.hour - 1_000).isEmpty)
        let fired = bench.tick(Self.t0 + 3 * Self.hour)
        #expect(fired.map(\.customer) == ["spine scope blur"])
        #expect(fired.first?.rule == "counter:same_search_miss_for_3h")
        // No miss for over an hour after the last one (+3 h): resolved.
        #expect(bench.tick(Self.t0 + 4 * Self.hour).map(\.state) == [.resolved])
    }

    @Test func aRepBelow70PercentOfTheTeamMeanFor2WeeksIsFlaggedForMentoring() {
        var bench = Bench()
        let team = Self.configuration.organisation.reps(inTeam: "east-1")
        #expect(team.count == 40)
        for day in 0..<15 {
            for rep in team {
                let actions = rep == "rep-0001" ? 1 : 3
                for index in 0..<actions {
                    bench.feed("sales.action.completed", "c-\(rep)", rep: rep, at: Self.t0 + Int64(day) * Self.day + Int64(index) * Self.hour + 1_000, #"{"flow":"academic","step":"dept_visit","action":"upload_proposal","evidence":{"attachment":{"name":"p.pdf","version":"v1"}}}"#)
                }
            }
        }
        // Day 0: everyone's first action is in the same second (rep-0001 level with the mean);
        // from the others' second action (+1 h) on, rep-0001 is below 70% of the mean.
        let since = Self.step(Self.t0 + Self.hour + 1_000, seconds: 168)
        #expect(!bench.tick(since + 14 * Self.day - 1_000).contains { $0.rule == "counter:rep_below_70pct_team_mean_2w" })
        let fired = bench.tick(since + 14 * Self.day).filter { $0.rule == "counter:rep_below_70pct_team_mean_2w" }
        #expect(fired.map(\.customer) == ["rep-0001"])
        #expect(fired.first?.supervisor == "sup-east-1")
        #expect(fired.first?.severity == "info")
    }

    @Test func aRegionAveragingOver14DaysToSignSendsTheTop3WaitingCustomers() {
        var bench = Bench()
        // Two deals: 10 and 20 days from first contact (average 15 > 14).
        bench.feed("sales.lead.created", "won-1", at: Self.t0, #"{"channel":"wechat","contactMode":"visit"}"#)
        bench.feed("sales.lead.created", "won-2", at: Self.t0 + Self.day, #"{"channel":"wechat","contactMode":"visit"}"#)
        // Four customers still waiting, first contacted on days 2, 3, 4 and 5.
        for index in 0..<4 {
            bench.feed("sales.lead.created", "wait-\(index)", rep: "rep-000\(index + 2)", at: Self.t0 + Int64(2 + index) * Self.day, #"{"channel":"phone","contactMode":"call"}"#)
            bench.feed("sales.step.entered", "wait-\(index)", rep: "rep-000\(index + 2)", at: Self.t0 + Int64(2 + index) * Self.day + Self.hour, #"{"flow":"lead_pipeline","step":"proposal"}"#)
        }
        bench.feed("sales.deal.won", "won-1", at: Self.t0 + 10 * Self.day, #"{"amount":1000,"currency":"CNY"}"#)
        #expect(bench.tick(Self.t0 + 10 * Self.day).filter { $0.rule.hasPrefix("counter:") }.isEmpty, "one deal at 10 days")
        bench.feed("sales.deal.won", "won-2", at: Self.t0 + 21 * Self.day, #"{"amount":1000,"currency":"CNY"}"#)
        // Evaluated two days late, with a customer contacted in between: the evidence is as of
        // the alert's start (day 21), not of the evaluation.
        bench.feed("sales.lead.created", "wait-late", rep: "rep-0009", at: Self.t0 + 22 * Self.day, #"{"channel":"phone","contactMode":"call"}"#)
        let fired = bench.tick(Self.t0 + 23 * Self.day).filter { $0.rule == "counter:region_time_to_sign_over_14d" }
        #expect(fired.map(\.customer) == ["east"])
        #expect(fired.first?.director == nil && fired.first?.region == "east")
        let evidence = fired.first?.evidence ?? []
        #expect(evidence.count == 3)
        #expect(evidence.map { String($0.prefix(6)) } == ["wait-0", "wait-1", "wait-2"], "longest waiting first")
        #expect(evidence.first?.contains("waiting 19 days") == true)
        #expect(evidence.first?.contains("lead_pipeline: proposal from") == true)
    }

    @Test func noFollowUpWithin30DaysOfADealFiresStrictlyAfterTheDeadline() {
        var bench = Bench()
        bench.feed("sales.deal.won", "c1", at: Self.t0, #"{"amount":1000,"currency":"CNY"}"#)
        #expect(bench.tick(Self.t0 + 30 * Self.day).filter { $0.rule.hasPrefix("absence:") }.isEmpty, "exactly 30 days: still in time")
        let fired = bench.tick(Self.t0 + 30 * Self.day + 1).filter { $0.rule == "absence:no_follow_up_30d_after_deal" }
        #expect(fired.map(\.customer) == ["c1"])
        #expect(fired.first?.since == EventTime(epochMilliseconds: Self.t0 + 30 * Self.day))
        #expect(fired.first?.supervisor == "sup-east-1")
        bench.feed("sales.message.sent", "c1", at: Self.t0 + 31 * Self.day, #"{"channel":"wechat"}"#)
        let resolved = bench.alerts.filter { $0.rule == "absence:no_follow_up_30d_after_deal" && $0.state == .resolved }
        #expect(resolved.map(\.id) == fired.map(\.id))
    }

    @Test func noInteractionFor90DaysIsRearmedByEachInteraction() {
        var bench = Bench()
        bench.feed("sales.visit.checked_in", "dean", at: Self.t0, "{}")
        bench.feed("sales.message.sent", "dean", at: Self.t0 + 50 * Self.day, #"{"channel":"wechat"}"#)
        #expect(bench.tick(Self.t0 + 90 * Self.day + 1).filter { $0.rule == "absence:no_interaction_90d" }.isEmpty, "re-armed at day 50")
        let fired = bench.tick(Self.t0 + 140 * Self.day + 1).filter { $0.rule == "absence:no_interaction_90d" }
        #expect(fired.map(\.since) == [EventTime(epochMilliseconds: Self.t0 + 140 * Self.day)])
    }

    /// Moves `customer` through objection handling to "considering", with or without the action.
    static func objectionRound(_ bench: inout Bench, customer: String, rep: String, at millis: Int64, retrieved: Bool) {
        bench.feed("sales.step.entered", customer, rep: rep, at: millis, #"{"flow":"lead_pipeline","step":"objection_handling"}"#)
        if retrieved {
            bench.feed("sales.action.completed", customer, rep: rep, at: millis + 1_000, #"{"flow":"lead_pipeline","step":"objection_handling","action":"retrieve_similar_cases","evidence":{"text":"case 2025-17, same spine procedure"}}"#)
        }
        bench.feed("sales.step.entered", customer, rep: rep, at: millis + 2_000, #"{"flow":"lead_pipeline","step":"considering"}"#)
    }

    @Test func skippingSimilarCasesThreeTimesInARowAlertsTheRep() {
        var bench = Bench()
        Self.objectionRound(&bench, customer: "a", rep: "rep-0007", at: Self.t0, retrieved: false)
        Self.objectionRound(&bench, customer: "b", rep: "rep-0007", at: Self.t0 + Self.hour, retrieved: true)
        Self.objectionRound(&bench, customer: "c", rep: "rep-0007", at: Self.t0 + 2 * Self.hour, retrieved: false)
        Self.objectionRound(&bench, customer: "d", rep: "rep-0007", at: Self.t0 + 3 * Self.hour, retrieved: false)
        #expect(bench.tick(Self.t0 + 4 * Self.hour).filter { $0.rule.hasPrefix("in-a-row:") }.isEmpty, "only two in a row")
        Self.objectionRound(&bench, customer: "e", rep: "rep-0007", at: Self.t0 + 5 * Self.hour, retrieved: false)
        let fired = bench.tick(Self.t0 + 6 * Self.hour).filter { $0.rule == "in-a-row:skipped_similar_cases_3x" }
        #expect(fired.map(\.rep) == ["rep-0007"])
        #expect(fired.first?.since == EventTime(epochMilliseconds: Self.t0 + 2 * Self.hour + 2_000))
        #expect(fired.first?.evidence?.count == 3)
        Self.objectionRound(&bench, customer: "f", rep: "rep-0007", at: Self.t0 + 7 * Self.hour, retrieved: true)
        #expect(bench.tick(Self.t0 + 8 * Self.hour).filter { $0.rule == "in-a-row:skipped_similar_cases_3x" }.map(\.state) == [.resolved])
    }

    @Test func noSuccessVideoFiveTimesInARowAfterTheCustomerSaysTheyWillThink() {
        var bench = Bench()
        for index in 0..<5 {
            let start = Self.t0 + Int64(index) * Self.hour
            bench.feed("sales.step.entered", "k-\(index)", rep: "rep-0009", at: start, #"{"flow":"lead_pipeline","step":"considering"}"#)
            bench.feed("sales.step.entered", "k-\(index)", rep: "rep-0009", at: start + 1_000, #"{"flow":"lead_pipeline","step":"negotiation"}"#)
            let fired = bench.tick(start + 2_000).filter { $0.rule == "in-a-row:skipped_success_video_5x" }
            #expect(fired.count == (index == 4 ? 1 : 0), "fires at the fifth, not before (round \(index))")
        }
    }

    @Test func alertIDsDoNotDependOnHowOftenRulesAreEvaluated() {
        func replay(tickEvery step: Int64) -> Set<String> {
            var bench = Bench()
            for index in 0..<10 { bench.feed("sales.quote.sent", "c-\(index)", at: Self.t0 + Int64(index) * 1_000, #"{"quoteId":"q","amount":1,"currency":"CNY"}"#) }
            for index in 0...6 { bench.feed("sales.knowledge.searched", "s-\(index)", at: Self.t0 + Int64(index) * 30 * Self.minute, #"{"query":"q","hit":false}"#) }
            bench.feed("sales.deal.won", "c-0", at: Self.t0 + 20 * Self.minute, #"{"amount":1,"currency":"CNY"}"#)
            var now = Self.t0
            while now < Self.t0 + 5 * Self.hour { now += step; bench.tick(now) }
            return Set(bench.alerts.filter { $0.rule.hasPrefix("counter:") && $0.state == .fired }.map(\.id))
        }
        let everySecond = replay(tickEvery: 1_000)
        #expect(everySecond.count == 2)
        #expect(replay(tickEvery: 7 * Self.minute) == everySecond)
        #expect(replay(tickEvery: Self.hour) == everySecond)
    }

    @Test func theSameCompetitorFromFiveRepsIn24HoursAlertsProduct() {
        var bench = Bench()
        for index in 0..<4 { bench.feed("sales.competitor.mentioned", "c-\(index)", rep: "rep-000\(index + 1)", at: Self.t0 + Int64(index) * Self.hour, #"{"competitor":"medtronic"}"#) }
        bench.feed("sales.competitor.mentioned", "c-9", rep: "rep-0001", at: Self.t0 + 5 * Self.hour, #"{"competitor":"medtronic"}"#)
        #expect(bench.tick(Self.t0 + 6 * Self.hour).filter { $0.rule == "counter:competitor_mentioned_by_5_reps" }.isEmpty, "four distinct reps")
        bench.feed("sales.competitor.mentioned", "c-5", rep: "rep-0005", at: Self.t0 + 23 * Self.hour, #"{"competitor":"medtronic"}"#)
        let fired = bench.tick(Self.t0 + 23 * Self.hour).filter { $0.rule == "counter:competitor_mentioned_by_5_reps" }
        #expect(fired.map(\.customer) == ["medtronic"])
        #expect(fired.first?.departments == ["product-dept"])
        // rep-0001 mentioned it again at +5 h: still five reps when the first mention leaves.
        #expect(bench.tick(Self.t0 + 24 * Self.hour + 30_000).filter { $0.rule == "counter:competitor_mentioned_by_5_reps" }.isEmpty)
        // rep-0002's only mention (+1 h) leaves the 24 h window (24 s steps): four reps → resolved.
        #expect(bench.tick(Self.t0 + 25 * Self.hour + 30_000).filter { $0.rule == "counter:competitor_mentioned_by_5_reps" }.map(\.state) == [.resolved])
    }

    @Test func oneCustomerMarkedHighIntentByThreeRepsNeedsCoordination() {
        var bench = Bench()
        bench.feed("sales.intent.marked", "hospital-7", rep: "rep-0001", at: Self.t0, #"{"level":"high"}"#)
        bench.feed("sales.intent.marked", "hospital-7", rep: "rep-0002", at: Self.t0 + Self.hour, #"{"level":"high"}"#)
        bench.feed("sales.intent.marked", "hospital-7", rep: "rep-0003", at: Self.t0 + 2 * Self.hour, #"{"level":"low"}"#)
        #expect(bench.tick(Self.t0 + 3 * Self.hour).filter { $0.rule == "counter:customer_high_intent_by_3_reps" }.isEmpty)
        bench.feed("sales.intent.marked", "hospital-7", rep: "rep-0004", at: Self.t0 + 4 * Self.hour, #"{"level":"high"}"#)
        #expect(bench.tick(Self.t0 + 4 * Self.hour).filter { $0.rule == "counter:customer_high_intent_by_3_reps" }.map(\.customer) == ["hospital-7"])
    }

    @Test func theShippedTimersFireAt72HoursAnd24HoursAnd3Days() {
        var bench = Bench()
        bench.feed("sales.step.entered", "stuck", at: Self.t0, #"{"flow":"academic","step":"dept_visit"}"#)
        bench.feed("sales.lead.created", "lead", at: Self.t0, #"{"channel":"wechat","contactMode":"visit"}"#)
        bench.feed("sales.step.entered", "silent", at: Self.t0, #"{"flow":"lead_pipeline","step":"need_confirmation"}"#)
        #expect(bench.tick(Self.t0 + 24 * Self.hour).isEmpty, "exactly 24 h: the lead is still pending")
        #expect(bench.tick(Self.t0 + 24 * Self.hour + 1).map(\.rule) == ["lead-activation"])
        #expect(bench.tick(Self.t0 + 72 * Self.hour).isEmpty, "exactly 72 h / 3 days: not yet")
        let fired = bench.tick(Self.t0 + 72 * Self.hour + 1)
        #expect(Set(fired.map(\.rule)) == ["step-sla", "inactivity:need_confirmation_silent"])
        #expect(Set(fired.map(\.customer)) == ["stuck", "silent"])
    }
}
