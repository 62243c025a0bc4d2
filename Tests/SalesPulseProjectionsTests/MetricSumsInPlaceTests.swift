import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// PHI and the other overall metrics are summed over every customer in place (each state read
/// where it lies in the customer map, field by field: ``MetricSums/add(customerAt:configuration:now:)``).
/// The sums must be those of the definitions, worked out here again from the public state.
@Suite struct MetricSumsInPlaceTests {
    typealias F = Fixtures

    /// The sums by their definitions: mandatory actions done and required at every visit of
    /// every flow, key fields updated within the horizon, executions, activations, won deals.
    static func reference(_ states: [CustomerState], now: EventTime) -> MetricSums {
        var sums = MetricSums()
        let configuration = F.configuration
        for state in states {
            sums.customers += 1
            for flow in state.flows.values {
                for visit in flow.history {
                    sums.mandatoryRequired += visit.required.count
                    sums.mandatoryDone += visit.required.count - visit.missing.count
                }
            }
            for field in configuration.freshness.keyFields {
                sums.keyFields += 1
                if let updated = state.fields[field]?.updatedAt, now.epochMilliseconds - updated.epochMilliseconds <= configuration.freshness.horizonMilliseconds {
                    sums.freshKeyFields += 1
                }
            }
            sums.ineffectiveExecutions += state.ineffectiveExecutions
            sums.actionExecutions += state.actionExecutions
            switch state.activation {
            case .activated: sums.leadsActivated += 1; sums.leadsDecided += 1
            case .toBeActivated, .activatedLate: sums.leadsDecided += 1
            case .pending(let deadline) where now > deadline: sums.leadsDecided += 1
            default: break
            }
            if let time = state.timeToSignMilliseconds {
                sums.dealsWon += 1
                sums.timeToSignMillisecondsTotal += time
            }
        }
        return sums
    }

    /// The report by its definition: each customer's sums added overall, to its rep (or
    /// "unassigned"), and to its rep's team and region in the organisation (else "unassigned",
    /// and the customer's own region).
    static func referenceReport(_ states: [CustomerState], now: EventTime) -> MetricsReport {
        var report = MetricsReport()
        for state in states {
            let single = reference([state], now: now)
            let placement = state.rep.flatMap { F.configuration.organisation.placement(of: $0) }
            report.overall = report.overall + single
            report.byRep[state.rep ?? "unassigned", default: MetricSums()] = report.byRep[state.rep ?? "unassigned", default: MetricSums()] + single
            report.byTeam[placement?.team ?? "unassigned", default: MetricSums()] = report.byTeam[placement?.team ?? "unassigned", default: MetricSums()] + single
            let region = placement?.region ?? state.region ?? "unassigned"
            report.byRegion[region, default: MetricSums()] = report.byRegion[region, default: MetricSums()] + single
        }
        return report
    }

    @Test func overallMetricsInPlaceAreTheDefinitions() {
        var covered = MetricSums()
        for seed in 1...8 as ClosedRange<UInt64> {
            let events = TimerInputsTests.events(seed: seed, count: 400, spacing: 3)
            var projection = FlowProjection(configuration: F.configuration)
            for event in events { projection.apply(event) }
            let states = projection.customersSortedByID()
            let last = events.last!.time
            // Before, at and past the freshness horizon of the last updates.
            for hours in [0.0, 24, 71, 73, 200] {
                let now = last.adding(milliseconds: Int64(hours * Double(F.hour)))
                let expected = Self.reference(states, now: now)
                let inPlace = (0..<ShardedMap<CustomerState>.shardCount).reduce(MetricSums()) { $0 + projection.overallMetrics(now: now, shard: $1) }
                #expect(inPlace == expected, "seed \(seed), \(hours) h after the last event")
                #expect(projection.metrics(now: now) == Self.referenceReport(states, now: now))
                covered = covered + expected
            }
        }
        // Every sum was exercised with something to count.
        #expect(covered.mandatoryDone > 0 && covered.mandatoryDone < covered.mandatoryRequired)
        #expect(covered.freshKeyFields > 0 && covered.freshKeyFields < covered.keyFields)
        #expect(covered.actionExecutions > 0 && covered.leadsDecided > 0 && covered.dealsWon > 0)
    }

    @Test func doneCountCountsTheRequiredActionsCompleted() {
        var visit = StepVisit(step: "visit", enteredAt: F.at(0), required: ["photo", "gps", "sign"])
        #expect(visit.doneCount == 0)
        visit.completed["gps"] = CompletedAction(at: F.at(1), rep: nil, eventID: "e1", evidence: [])
        visit.completed["other"] = CompletedAction(at: F.at(1), rep: nil, eventID: "e2", evidence: [])
        #expect(visit.doneCount == 1)
        visit.completed["photo"] = CompletedAction(at: F.at(2), rep: nil, eventID: "e3", evidence: [])
        visit.completed["sign"] = CompletedAction(at: F.at(2), rep: nil, eventID: "e4", evidence: [])
        #expect(visit.doneCount == 3 && visit.missing.isEmpty)
    }
}
