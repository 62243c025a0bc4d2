import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// The reason texts of the time-driven alerts, word for word: they are part of every alert the
/// projections keep, checkpoint and publish, so the same events must give the same text
/// however the text is put together.
@Suite struct TimerReasonTests {
    typealias F = Fixtures

    static func field(_ name: String, at hours: Double) -> SalesEvent {
        F.event(.fieldUpdated(field: name, value: .string("v"), previous: .null), at: hours)
    }

    static func fired(_ outputs: [FlowOutput], rule: String) -> [String] {
        F.alerts(outputs).filter { $0.rule == rule && $0.state == .fired }.map(\.reason)
    }

    @Test func aStuckStepSaysWhereAndForHowLong() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.enter("academic", "visit", at: 0))
        #expect(Self.fired(projection.advance(to: F.at(73)), rule: "step-sla") == ["at visit for more than 72h"])
    }

    @Test func aStuckStepThatIsBlockedSaysWhy() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.enter("academic", "visit", at: 0))
        projection.apply(F.event(.stepBlocked(flow: "academic", step: "visit", reason: "doctor_abroad"), at: 1))
        #expect(Self.fired(projection.advance(to: F.at(73)), rule: "step-sla") == ["at visit for more than 72h; blocked: doctor_abroad"])
    }

    @Test func aStuckStepOfAnotherFlowGivesItsOwnStep() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.enter("delivery", "receipt", at: 0))
        projection.apply(F.enter("academic", "review", at: 0))
        #expect(Self.fired(projection.advance(to: F.at(73)), rule: "step-sla").sorted() == ["at receipt for more than 72h", "at review for more than 72h"])
    }

    @Test func inactivityNamesTheStepAndTheSilence() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.enter("pipeline", "need_confirmation", at: 0))
        #expect(Self.fired(projection.advance(to: F.at(73)), rule: "inactivity:silent")
            == ["no communication at need_confirmation for more than 72h; supervisor to step in and review"])
    }

    @Test func anUnactivatedLeadListsEveryMissingFieldInConfiguredOrder() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.event(.leadCreated(channel: "wechat", contactMode: "visit"), at: 0))
        #expect(Self.fired(projection.advance(to: F.at(25)), rule: "lead-activation")
            == ["lead not activated within 24h: missing first_contact_mode, core_need, next_follow_up"])
    }

    @Test func anUnactivatedLeadListsOnlyTheFieldsStillMissing() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.event(.leadCreated(channel: "wechat", contactMode: "visit"), at: 0))
        projection.apply(Self.field("core_need", at: 1))
        #expect(Self.fired(projection.advance(to: F.at(25)), rule: "lead-activation") == ["lead not activated within 24h: missing first_contact_mode, next_follow_up"])
    }

    @Test func aFieldFilledAfterTheDeadlineStillCountsAsMissing() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.event(.leadCreated(channel: "wechat", contactMode: "visit"), at: 0))
        projection.apply(Self.field("first_contact_mode", at: 1))
        projection.apply(Self.field("core_need", at: 2))
        // The next event comes after the deadline: the alert fires at its due time, before the
        // event is applied, then the event's field is late.
        let outputs = projection.apply(Self.field("next_follow_up", at: 30))
        #expect(Self.fired(outputs, rule: "lead-activation") == ["lead not activated within 24h: missing next_follow_up"])
    }

    @Test func theReasonsFollowTheConfiguration() throws {
        var configuration = F.configuration
        configuration.activation.windowMilliseconds = 36 * 3_600_000
        configuration.activation.requiredFields = ["core_need"]
        configuration.inactivity[0].afterMilliseconds = 2 * 86_400_000
        configuration.flows[0].steps[0].slaMilliseconds = 5 * 86_400_000
        var projection = FlowProjection(configuration: configuration)
        projection.apply(F.event(.leadCreated(channel: "wechat", contactMode: "visit"), at: 0))
        projection.apply(F.enter("academic", "visit", at: 0))
        projection.apply(F.enter("pipeline", "need_confirmation", at: 0))
        let outputs = projection.advance(to: F.at(121))
        #expect(Self.fired(outputs, rule: "lead-activation") == ["lead not activated within 36h: missing core_need"])
        #expect(Self.fired(outputs, rule: "inactivity:silent") == ["no communication at need_confirmation for more than 48h; supervisor to step in and review"])
        #expect(Self.fired(outputs, rule: "step-sla") == ["at visit for more than 5d"])
    }
}
