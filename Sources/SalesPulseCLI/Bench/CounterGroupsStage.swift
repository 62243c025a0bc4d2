import Foundation
import SalesPulseModel
import SalesPulseProjections

/// `bench --stages groups`: what a counter with 10,000 active group keys costs. Folds
/// 1,000,000 objection events from 10,000 reps (a distinct-count counter grouped by rep and a
/// count grouped by rep, 1 h window), then times the once-a-second work — every group's value
/// for the live stream, and a threshold rule over every group — against the second it runs in.
enum CounterGroupsStage {
    static func run(decoder: EventDecoder = EventDecoder()) {
        let groups = 10_000
        let total = 1_000_000
        let base: Int64 = 1_772_413_200_000
        let distinct = CounterDefinition(id: "objections_by_rep", type: .objectionChosen, measure: .distinct("objection"), groupBy: "repid", windowMilliseconds: 3_600_000)
        let count = CounterDefinition(id: "events_by_rep", type: .objectionChosen, measure: .count, groupBy: "repid", windowMilliseconds: 3_600_000)
        let codes = ["price_too_high", "no_budget", "competitor_cheaper", "timing", "need_approval"]
        var events: [SalesEvent] = []
        events.reserveCapacity(total)
        for index in 0..<total {
            let millis = base + Int64(index) * 3_600_000 / Int64(total)
            let json = #"{"specversion":"1.0","id":"g-\#(index)","source":"bench","type":"sales.objection.chosen","time":"\#(EventTime(epochMilliseconds: millis).rfc3339UTC)","subject":"cust-\#(index % 50_000)","repid":"rep-\#(index % groups)","data":{"objection":"\#(codes[index % codes.count])"}}"#
            if let event = try? decoder.decode(json, referenceTime: EventTime(epochMilliseconds: Int64.max / 4)) { events.append(event) }
        }
        var projection = CounterProjection()
        let foldStart = ContinuousClock.now
        for event in events { projection.apply(event, counters: [distinct, count]) }
        let fold = ContinuousClock.now - foldStart
        let now = EventTime(epochMilliseconds: base + 3_600_000)
        var configuration = ProcessConfiguration(flows: [])
        configuration.counters = [distinct, count]
        configuration.counterRules = [CounterRule(id: "busy_rep", counter: "events_by_rep", condition: .atLeast(1_000))]
        let rounds = 10
        var valuesTime = Duration.zero
        var rulesTime = Duration.zero
        var evaluator = CounterRuleEvaluator()
        for round in 0..<rounds {
            let at = now.adding(milliseconds: Int64(round) * 1_000)
            let start = ContinuousClock.now
            let a = projection.state(of: distinct.id)!.values(at: at, counter: distinct)
            let b = projection.state(of: count.id)!.values(at: at, counter: count)
            valuesTime += ContinuousClock.now - start
            precondition(a.count == groups && b.count == groups)
            let ruleStart = ContinuousClock.now
            _ = evaluator.evaluate(at: at, configuration: configuration, states: { projection.state(of: $0) ?? CounterState() })
            rulesTime += ContinuousClock.now - ruleStart
        }
        func ms(_ d: Duration) -> Double { (Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15) / Double(rounds) }
        let perSecond = ms(valuesTime) + ms(rulesTime)
        Console.line("counters with \(groups) group keys: fold \(Int(Double(events.count) / (Double(fold.components.seconds) + Double(fold.components.attoseconds) / 1e18))) events/s into 2 counters; per-second update: values of every group \(String(format: "%.1f", ms(valuesTime))) ms + a rule over every group \(String(format: "%.1f", ms(rulesTime))) ms = \(String(format: "%.2f", perSecond / 10))% of one core")
    }
}
