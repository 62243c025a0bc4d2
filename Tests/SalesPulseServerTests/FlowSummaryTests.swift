import Foundation
import Testing
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseServer

/// `GET /v1/flows/{flow}` tallies each customer where it lies (``FlowSummary/Tally``); its
/// figures must be those of the definition, worked out here again from copies of the states.
@Suite struct FlowSummaryTests {
    /// Random step entries, blockages and action completions (attachment evidence only, so
    /// some checklists complete and others not) over every configured flow, 60 customers.
    static func events(seed: UInt64, count: Int, configuration: ProcessConfiguration) -> [String] {
        var random = SplitMix(state: seed)
        let start: Int64 = 1_772_323_200_000 // 2026-03-01T00:00Z
        return (0..<count).map { index in
            let flow = configuration.flows[random.next(configuration.flows.count)]
            let step = flow.steps[random.next(flow.steps.count)]
            let time = EventTime(epochMilliseconds: start + Int64(index) * 1_800_000).rfc3339UTC
            let customer = "c-\(random.next(60))"
            switch random.next(5) {
            case 0:
                return ServerTests.event("e\(index)", "sales.step.blocked", customer, time, #"{"flow":"\#(flow.id)","step":"\#(step.id)","reason":"doctor_abroad"}"#)
            case 1, 2:
                guard let action = step.actions.first else { fallthrough }
                return ServerTests.event("e\(index)", "sales.action.completed", customer, time,
                                         #"{"flow":"\#(flow.id)","step":"\#(step.id)","action":"\#(action.id)","evidence":{"attachment":{"name":"p.pdf","version":"v2"}}}"#)
            default:
                return ServerTests.event("e\(index)", "sales.step.entered", customer, time, #"{"flow":"\#(flow.id)","step":"\#(step.id)"}"#)
            }
        }
    }

    /// The summary by its definition: per step, the customers currently there, their dwell
    /// (sorted; p50 and p90 by rank, max), those beyond the step's SLA and those blocked; and
    /// the flow's visits left with mandatory actions missing.
    static func reference(flow: FlowDefinition, customers: [CustomerState], now: EventTime) -> FlowSummary {
        var steps: [FlowSummary.Step] = []
        for step in flow.steps {
            let here = customers.compactMap { $0.flows[flow.id]?.current }.filter { $0.step == step.id }
            let dwell = here.map { Double(now.epochMilliseconds - $0.enteredAt.epochMilliseconds) / 3_600_000 }.sorted()
            let stuck = here.filter { visit in step.slaMilliseconds.map { now.epochMilliseconds - visit.enteredAt.epochMilliseconds > $0 } ?? false }
            func rank(_ p: Double) -> Double? { dwell.isEmpty ? nil : dwell[min(dwell.count - 1, Int(Double(dwell.count) * p))] }
            steps.append(FlowSummary.Step(step: step.id, name: step.name, customers: here.count, stuck: stuck.count, blocked: here.filter { $0.blockage != nil }.count,
                                          slaHours: step.slaMilliseconds.map { Double($0) / 3_600_000 }, dwellHoursP50: rank(0.5), dwellHoursP90: rank(0.9), dwellHoursMax: dwell.last))
        }
        let violations = customers.reduce(0) { $0 + ($1.flows[flow.id]?.history.filter { !$0.missing.isEmpty }.count ?? 0) }
        return FlowSummary(flow: flow.id, name: flow.name, at: now.rfc3339UTC, steps: steps, violations: violations)
    }

    static func json(_ summary: FlowSummary) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(summary), as: UTF8.self)
    }

    @Test func tallyInPlaceIsTheDefinition() throws {
        var covered = (customers: 0, stuck: 0, blocked: 0, violations: 0, complete: 0)
        for seed in 1...6 as ClosedRange<UInt64> {
            let configuration = try FoldedProjections(events: [], now: ServerTests.now).processConfiguration
            let events = Self.events(seed: seed, count: 500, configuration: configuration)
            let folded = try FoldedProjections(events: events, now: EventTime(epochMilliseconds: 1_772_323_200_000 + 600 * 1_800_000))
            let states = Array(folded.projection.customers.values)
            // From the last event to well past every SLA.
            for hours in [0, 10, 48, 80, 300] as [Int64] {
                let now = folded.now.adding(milliseconds: hours * 3_600_000)
                for flow in configuration.flows {
                    let summary = FlowSummary.make(flow: flow, now: now, forEachCustomer: folded.forEachCustomerAddress)
                    #expect(try Self.json(summary) == Self.json(Self.reference(flow: flow, customers: states, now: now)), "seed \(seed), flow \(flow.id), \(hours) h on")
                    covered.customers += summary.steps.reduce(0) { $0 + $1.customers }
                    covered.stuck += summary.steps.reduce(0) { $0 + $1.stuck }
                    covered.blocked += summary.steps.reduce(0) { $0 + $1.blocked }
                    covered.violations += summary.violations
                }
            }
            covered.complete += states.reduce(0) { $0 + $1.flows.values.reduce(0) { $0 + $1.history.filter { $0.missing.isEmpty }.count } }
        }
        // Every figure was exercised with something to count, and not everything counted.
        #expect(covered.stuck > 0 && covered.stuck < covered.customers)
        #expect(covered.blocked > 0 && covered.blocked < covered.customers)
        #expect(covered.violations > 0 && covered.complete > 0, "visits left with actions missing, and complete ones")
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
