import Testing
@testable import SalesPulseModel

/// The reason texts a configuration writes once for the time-driven alerts follow every change
/// of what they are made of, and are the same for definitions built apart.
@Suite struct AlertReasonTextTests {
    @Test func aStepWithAnSLANamesItselfAndTheSLA() {
        var step = StepDefinition(id: "visit", slaMilliseconds: 72 * 3_600_000)
        #expect(step.stuckReason == "at visit for more than 72h")
        step.id = "dept_visit"
        #expect(step.stuckReason == "at dept_visit for more than 72h")
        step.slaMilliseconds = 90 * 60_000
        #expect(step.stuckReason == "at dept_visit for more than 90m")
        step.slaMilliseconds = nil
        #expect(step.stuckReason == nil)
        #expect(StepDefinition(id: "sign").stuckReason == nil)
    }

    @Test func aFlowFindsAStepsReasonByTheStepsID() {
        let flow = FlowDefinition(id: "academic", steps: [StepDefinition(id: "visit", slaMilliseconds: 3_600_000), StepDefinition(id: "sign")])
        #expect(flow.stuckReason(ofStep: "visit") == "at visit for more than 1h")
        #expect(flow.stuckReason(ofStep: "sign") == nil)
        #expect(flow.stuckReason(ofStep: "nowhere") == nil)
    }

    @Test func anInactivityRulesReasonFollowsItsStepAndDuration() {
        var rule = InactivityRule(id: "silent", flow: "pipeline", step: "need_confirmation", afterMilliseconds: 3 * 86_400_000)
        #expect(rule.reason == "no communication at need_confirmation for more than 72h; supervisor to step in and review")
        rule.step = "proposal"
        rule.afterMilliseconds = 7 * 86_400_000
        #expect(rule.reason == "no communication at proposal for more than 1w; supervisor to step in and review")
    }

    @Test func theActivationRuleWritesItsPrefixAndItsAllMissingText() {
        var rule = ActivationRule(requiredFields: ["first_contact_mode", "core_need"])
        #expect(rule.missingReasonPrefix == "lead not activated within 24h: missing ")
        #expect(rule.allMissingReason == "lead not activated within 24h: missing first_contact_mode, core_need")
        rule.windowMilliseconds = 36 * 3_600_000
        rule.requiredFields.append("next_follow_up")
        #expect(rule.allMissingReason == "lead not activated within 36h: missing first_contact_mode, core_need, next_follow_up")
        #expect(rule == ActivationRule(requiredFields: ["first_contact_mode", "core_need", "next_follow_up"], windowMilliseconds: 36 * 3_600_000))
    }
}
