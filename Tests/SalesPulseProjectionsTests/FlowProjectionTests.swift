import Testing
import SalesPulseModel
@testable import SalesPulseProjections

@Suite struct FlowProjectionTests {
    typealias F = Fixtures

    @Test func enteringAStepMakesItCurrent() {
        let (projection, outputs) = F.fold([F.enter("academic", "visit", at: 0)])
        let flow = projection.customers["c1"]!.flows["academic"]!
        #expect(flow.current?.step == "visit")
        #expect(flow.current?.enteredAt == F.at(0))
        #expect(flow.current?.missing == ["photo", "notes"])
        #expect(outputs == [.stepChanged(customer: "c1", flow: "academic", from: nil, to: "visit", at: F.at(0))])
    }

    @Test func advancingWithMandatoryActionsMissingIsAViolationButStillAdvances() {
        let (projection, outputs) = F.fold([
            F.enter("academic", "visit", at: 0),
            F.act("academic", "visit", "notes", Evidence(text: "three pains"), at: 1),
            F.enter("academic", "review", at: 2),
        ])
        let flow = projection.customers["c1"]!.flows["academic"]!
        #expect(flow.current?.step == "review")
        #expect(flow.history.map(\.step) == ["visit"])
        #expect(flow.history[0].dwellMilliseconds == 2 * F.hour)
        #expect(flow.violations.map(\.missing) == [["photo"]])
        #expect(outputs.contains(.complianceViolation(customer: "c1", flow: "academic", step: "visit", missing: ["photo"], at: F.at(2), rep: "rep-1")))
        let metrics = projection.metrics(now: F.at(2)).overall
        #expect(metrics.mandatoryDone == 1 && metrics.mandatoryRequired == 2)
        #expect(metrics.complianceRate == 0.5)
    }

    @Test func completeChecklistGivesFullCompliance() {
        let (projection, outputs) = F.fold([
            F.enter("academic", "visit", at: 0),
            F.act("academic", "visit", "photo", F.goodPhoto, at: 1),
            F.act("academic", "visit", "notes", Evidence(text: "three pains"), at: 1.5),
            F.enter("academic", "review", at: 2),
        ])
        #expect(!outputs.contains { if case .complianceViolation = $0 { true } else { false } })
        #expect(projection.metrics(now: F.at(2)).overall.complianceRate == 1)
        let done = projection.customers["c1"]!.flows["academic"]!.history[0].completed["photo"]!
        #expect(done.evidence.count == 2)
    }

    struct EvidenceCase: Sendable, CustomTestStringConvertible {
        let name: String
        let evidence: Evidence
        let action: String
        let reasons: [String]
        var testDescription: String { name }
    }

    static let evidenceCases: [EvidenceCase] = [
        EvidenceCase(name: "accuracy 120 m over 50 m", evidence: Evidence(photo: F.goodPhoto.photo, location: .init(latitude: 1, longitude: 1, accuracyMeters: 120)), action: "photo", reasons: ["location accuracy 120 m > 50 m allowed"]),
        EvidenceCase(name: "accuracy exactly 50 m", evidence: Evidence(photo: F.goodPhoto.photo, location: .init(latitude: 1, longitude: 1, accuracyMeters: 50)), action: "photo", reasons: []),
        EvidenceCase(name: "photo missing", evidence: Evidence(location: F.goodPhoto.location), action: "photo", reasons: ["photo missing"]),
        EvidenceCase(name: "nothing", evidence: .none, action: "photo", reasons: ["photo missing", "location missing"]),
        EvidenceCase(name: "text 4 < 5", evidence: Evidence(text: "abcd"), action: "notes", reasons: ["text has 4 characters, at least 5 required"]),
        EvidenceCase(name: "text exactly 5", evidence: Evidence(text: "abcde"), action: "notes", reasons: []),
        EvidenceCase(name: "text exactly 200", evidence: Evidence(text: String(repeating: "字", count: 200)), action: "notes", reasons: []),
        EvidenceCase(name: "text 201", evidence: Evidence(text: String(repeating: "字", count: 201)), action: "notes", reasons: ["text has 201 characters, at most 200 allowed"]),
    ]

    @Test(arguments: evidenceCases)
    func evidenceIsCheckedAgainstTheRequirement(_ testCase: EvidenceCase) {
        let (projection, outputs) = F.fold([
            F.enter("academic", "visit", at: 0),
            F.act("academic", "visit", testCase.action, testCase.evidence, at: 1),
        ])
        let visit = projection.customers["c1"]!.flows["academic"]!.current!
        if testCase.reasons.isEmpty {
            #expect(visit.completed[testCase.action] != nil)
            #expect(visit.invalidEvidence.isEmpty)
        } else {
            #expect(visit.completed[testCase.action] == nil)
            #expect(visit.invalidEvidence.map(\.reasons) == [testCase.reasons])
            #expect(outputs.contains(.evidenceRejected(customer: "c1", flow: "academic", step: "visit", action: testCase.action, reasons: testCase.reasons, at: F.at(1))))
        }
    }

    @Test func anActionAtTheWrongStepIsRecordedNotApplied() {
        let (projection, outputs) = F.fold([
            F.enter("academic", "visit", at: 0),
            F.act("academic", "review", "send", Evidence(attachment: .init(name: "a", version: "1")), at: 1),
            F.act("academic", "visit", "no_such_action", at: 1.5),
        ])
        let state = projection.customers["c1"]!
        #expect(state.misplacedActions == 2)
        #expect(state.flows["academic"]!.current!.completed.isEmpty)
        #expect(outputs.filter { if case .misplacedAction = $0 { true } else { false } }.count == 2)
        #expect(outputs.compactMap(\.detail) == ["the customer is at visit, not review", "step visit has no action no_such_action in flow academic"])
        let (_, notEntered) = F.fold([F.act("academic", "visit", "badge_photo", F.goodPhoto, at: 0)])
        #expect(notEntered.compactMap(\.detail) == ["the customer has not entered flow academic"])
    }

    @Test func reEnteringTheCurrentStepChangesNothingButLoopingBackStartsANewVisit() {
        let (projection, _) = F.fold([
            F.enter("academic", "visit", at: 0),
            F.act("academic", "visit", "photo", F.goodPhoto, at: 1),
            F.enter("academic", "visit", at: 2),
            F.enter("academic", "review", at: 3),
            F.enter("academic", "visit", at: 4),
        ])
        let flow = projection.customers["c1"]!.flows["academic"]!
        #expect(flow.history.map(\.step) == ["visit", "review"])
        #expect(flow.history[0].enteredAt == F.at(0))
        #expect(flow.history[0].completed["photo"] != nil)
        #expect(flow.current?.step == "visit")
        #expect(flow.current?.completed.isEmpty == true)
    }

    @Test(arguments: [(2, 0), (3, 1), (4, 2), (5, 3)])
    func repeatingAnActionWithoutAdvancingBecomesIneffective(_ repeats: Int, _ ineffective: Int) {
        var events = [F.enter("academic", "visit", at: 0)]
        for index in 0..<repeats { events.append(F.act("academic", "visit", "notes", Evidence(text: "same again"), at: 1 + Double(index) / 10)) }
        let (projection, _) = F.fold(events)
        let state = projection.customers["c1"]!
        #expect(state.actionExecutions == repeats)
        #expect(state.ineffectiveExecutions == ineffective)
        #expect(projection.metrics(now: F.at(2)).overall.ineffectiveRate == Double(ineffective) / Double(repeats))
    }

    @Test func quotesSentWithoutBeingOpenedAreIneffective() {
        let (projection, _) = F.fold([
            F.event(.quoteSent(quote: "q", amount: nil, currency: nil), at: 0),
            F.event(.quoteSent(quote: "q", amount: nil, currency: nil), at: 1),
            F.event(.quoteSent(quote: "q", amount: nil, currency: nil), at: 2),
            F.event(.quoteOpened(quote: "q"), at: 3),
            F.event(.quoteSent(quote: "q", amount: nil, currency: nil), at: 4),
        ])
        #expect(projection.customers["c1"]!.ineffectiveExecutions == 1)
        #expect(projection.customers["c1"]!.actionExecutions == 4)
    }

    @Test(arguments: [(72 * F.hour, false), (72 * F.hour + 1, true), (73 * F.hour, true)])
    func stuckBeyondTheSLAFiresAnAlert(_ milliseconds: Int64, _ stuck: Bool) {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.enter("delivery", "receipt", at: 0))
        let alerts = F.alerts(projection.advance(to: F.t0.adding(milliseconds: milliseconds)))
        #expect(alerts.count == (stuck ? 1 : 0))
        if stuck {
            #expect(alerts[0].rule == "step-sla")
            #expect(alerts[0].since == F.at(72))
            #expect(alerts[0].step == "receipt")
            #expect(alerts[0].supervisor == "sup-1" && alerts[0].director == "dir-east")
        }
    }

    @Test func aStuckAlertResolvesWhenTheStepChanges() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.enter("delivery", "receipt", at: 0))
        let fired = F.alerts(projection.advance(to: F.at(73)))
        #expect(fired.count == 1)
        #expect(projection.advance(to: F.at(74)).isEmpty, "idempotent: no second firing")
        let resolved = F.alerts(projection.apply(F.enter("delivery", "invoice", at: 75)))
        #expect(resolved.count == 1)
        #expect(resolved[0].id == fired[0].id)
        #expect(resolved[0].state == .resolved)
        #expect(resolved[0].resolvedAt == F.at(75))
        #expect(projection.customers["c1"]!.openAlerts.isEmpty)
    }

    @Test func aCustomerInTwoFlowsIsTrackedInBoth() {
        let (projection, outputs) = F.fold([
            F.enter("academic", "visit", at: 0),
            F.enter("delivery", "receipt", at: 10),
            F.enter("academic", "review", at: 20),
        ], until: 83)
        let state = projection.customers["c1"]!
        #expect(state.flows["academic"]!.current?.step == "review")
        #expect(state.flows["delivery"]!.current?.step == "receipt")
        let alerts = F.alerts(outputs).filter { $0.state == .fired }
        #expect(alerts.map(\.flow) == ["delivery"], "only delivery is beyond 72h at 83h (academic review entered at 20h)")
    }

    @Test func aLateActionForThePreviousVisitCorrectsCompliance() {
        let (projection, _) = F.fold([
            F.enter("academic", "visit", at: 0),
            F.act("academic", "visit", "notes", Evidence(text: "three pains"), at: 1),
            F.enter("academic", "review", at: 2),
            F.act("academic", "visit", "photo", F.goodPhoto, at: 1.5), // arrives late, happened during the visit
        ])
        let flow = projection.customers["c1"]!.flows["academic"]!
        #expect(flow.violations.isEmpty)
        #expect(projection.metrics(now: F.at(3)).overall.complianceRate == 1)
    }

    @Test func aLateEntryOfTheCurrentStepMovesItsEntryBackAndOneAtTheSameTimeChangesNothing() {
        let (projection, outputs) = F.fold([
            F.enter("academic", "review", at: 5),
            F.enter("academic", "review", at: 5), // the same time: nothing changes
            F.enter("academic", "review", at: 1), // late: the stay at review began earlier
        ])
        let flow = projection.customers["c1"]!.flows["academic"]!
        // In event time the entry at 5 re-entered the step the customer had been at since 1.
        #expect(flow.current?.step == "review")
        #expect(flow.current?.enteredAt == F.at(1))
        #expect(flow.history.isEmpty)
        #expect(outputs == [.stepChanged(customer: "c1", flow: "academic", from: nil, to: "review", at: F.at(5))])
    }

    @Test func aLateEntryOfTheStepTheCustomerWasAtThenChangesNothing() {
        let (projection, _) = F.fold([
            F.enter("academic", "visit", at: 1),
            F.enter("academic", "review", at: 5),
            F.enter("academic", "visit", at: 3), // late: the customer was at visit from 1 to 5
        ])
        let flow = projection.customers["c1"]!.flows["academic"]!
        #expect(flow.history.map(\.step) == ["visit"])
        #expect(flow.history[0].enteredAt == F.at(1))
        #expect(flow.history[0].exitedAt == F.at(5))
        #expect(flow.current?.step == "review" && flow.current?.enteredAt == F.at(5))
    }

    @Test func aLateEntryOfTheStepThatFollowsBeginsThatStay() {
        let (projection, _) = F.fold([
            F.enter("academic", "visit", at: 1),
            F.enter("academic", "review", at: 5),
            F.enter("academic", "sign", at: 8),
            F.enter("academic", "review", at: 3), // late: the stay at review began at 3
            F.enter("academic", "sign", at: 7), // late: the one at sign at 7
        ])
        let flow = projection.customers["c1"]!.flows["academic"]!
        #expect(flow.history.map(\.step) == ["visit", "review"])
        #expect(flow.history.map(\.enteredAt) == [F.at(1), F.at(3)])
        #expect(flow.history.map(\.exitedAt) == [F.at(3), F.at(7)])
        #expect(flow.current?.step == "sign" && flow.current?.enteredAt == F.at(7))
    }

    @Test func aLateStepEntryIsPlacedInHistory() {
        let (projection, _) = F.fold([
            F.enter("academic", "review", at: 5),
            F.enter("academic", "visit", at: 1), // late: happened before review
        ])
        let flow = projection.customers["c1"]!.flows["academic"]!
        #expect(flow.current?.step == "review")
        #expect(flow.history.map(\.step) == ["visit"])
        #expect(flow.history[0].exitedAt == F.at(5))
    }

    @Test func blockageReasonIsRecordedWithWhetherItIsConfigured() {
        let (projection, _) = F.fold([
            F.enter("academic", "visit", at: 0),
            F.event(.stepBlocked(flow: "academic", step: "visit", reason: "doctor_abroad"), at: 1),
        ])
        #expect(projection.customers["c1"]!.flows["academic"]!.current?.blockage == Blockage(reason: "doctor_abroad", at: F.at(1), isConfiguredReason: true))
        let (other, _) = F.fold([
            F.enter("academic", "visit", at: 0),
            F.event(.stepBlocked(flow: "academic", step: "visit", reason: "weather"), at: 1),
        ])
        #expect(other.customers["c1"]!.flows["academic"]!.current?.blockage?.isConfiguredReason == false)
    }

    @Test func unknownFlowsAreReportedNotTracked() {
        let (projection, outputs) = F.fold([F.enter("nope", "x", at: 0)])
        #expect(projection.customers["c1"]!.flows.isEmpty)
        #expect(outputs == [.unknownFlow(customer: "c1", flow: "nope", at: F.at(0))])
        // Blockages and actions in an unknown flow too, also for a customer in a known one.
        let (other, more) = F.fold([
            F.enter("academic", "visit", at: 0),
            F.event(.stepBlocked(flow: "nope", step: "visit", reason: "doctor_abroad"), at: 1),
            F.act("nope", "visit", "badge_photo", F.goodPhoto, at: 2),
        ])
        #expect(Array(other.customers["c1"]!.flows.keys) == ["academic"])
        #expect(other.customers["c1"]!.flows["academic"]!.current?.blockage == nil)
        #expect(other.customers["c1"]!.misplacedActions == 0)
        #expect(Array(more.dropFirst()) == [.unknownFlow(customer: "c1", flow: "nope", at: F.at(1)), .unknownFlow(customer: "c1", flow: "nope", at: F.at(2))])
    }
}
