import Testing
import SalesPulseModel
@testable import SalesPulseProjections

@Suite struct TimerAndMetricTests {
    typealias F = Fixtures

    static func field(_ name: String, at hours: Double, customer: String = "c1") -> SalesEvent {
        F.event(.fieldUpdated(field: name, value: .string("v"), previous: .null), customer: customer, at: hours)
    }

    @Test func aLeadWithItsThreeFieldsWithin24HoursIsActivated() {
        let (projection, outputs) = F.fold([
            F.event(.leadCreated(channel: "wechat", contactMode: "visit"), at: 0),
            Self.field("first_contact_mode", at: 1), Self.field("core_need", at: 2), Self.field("next_follow_up", at: 24),
        ], until: 30)
        #expect(projection.customers["c1"]!.activation == .activated(at: F.at(24)))
        #expect(F.alerts(outputs).isEmpty)
        #expect(projection.metrics(now: F.at(30)).overall.activationRate == 1)
    }

    @Test func aLeadMissingAFieldAfter24HoursIsToBeActivatedAndAlerts() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.event(.leadCreated(channel: "wechat", contactMode: "visit"), at: 0))
        projection.apply(Self.field("first_contact_mode", at: 1))
        #expect(F.alerts(projection.advance(to: F.at(24))).isEmpty, "exactly at the deadline: still pending")
        let fired = F.alerts(projection.advance(to: F.at(25)))
        #expect(fired.map(\.rule) == ["lead-activation"])
        #expect(fired[0].since == F.at(24))
        #expect(fired[0].reason.contains("core_need, next_follow_up"))
        #expect(projection.customers["c1"]!.activation == .toBeActivated(since: F.at(24)))
        #expect(projection.metrics(now: F.at(25)).overall.activationRate == 0)
        // Filling the fields late resolves the alert but does not count as activated in time.
        projection.apply(Self.field("core_need", at: 30))
        let resolved = F.alerts(projection.apply(Self.field("next_follow_up", at: 31)))
        #expect(resolved.map(\.state) == [.resolved])
        #expect(projection.customers["c1"]!.activation == .activatedLate(at: F.at(31)))
        #expect(projection.metrics(now: F.at(32)).overall.activationRate == 0)
    }

    @Test func inactivityAtNeedConfirmationFiresAfterThreeDaysAndResolvesOnContact() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.enter("pipeline", "need_confirmation", at: 0))
        projection.apply(F.event(.messageSent(channel: "wechat"), at: 10))
        #expect(F.alerts(projection.advance(to: F.at(10 + 72))).isEmpty)
        let fired = F.alerts(projection.advance(to: F.at(10 + 72.5)))
        #expect(fired.map(\.rule) == ["inactivity:silent"])
        #expect(fired[0].since == F.at(82))
        let resolved = F.alerts(projection.apply(F.event(.messageSent(channel: "sms"), at: 83)))
        #expect(resolved.map(\.state) == [.resolved])
    }

    /// Open timer alerts of every kind stay as they were fired while they hold: a customer's
    /// later events and ticks neither fire them again nor resolve them (each of its events
    /// works out the ids of the alerts that hold and finds them among the open ones).
    @Test func openTimerAlertsAreNotFiredAgainWhileTheyHold() {
        var projection = FlowProjection(configuration: F.configuration)
        projection.apply(F.event(.leadCreated(channel: "wechat", contactMode: "visit"), at: 0))
        projection.apply(F.enter("pipeline", "need_confirmation", at: 0))
        projection.apply(F.enter("academic", "visit", at: 1))
        let fired = F.alerts(projection.advance(to: F.at(80)))
        #expect(fired.map(\.rule).sorted() == ["inactivity:silent", "lead-activation", "step-sla"])
        let open = projection.customers["c1"]!.openAlerts
        for hours in [81.0, 90, 150] {
            #expect(F.alerts(projection.apply(Self.field("latest_need", at: hours))).isEmpty, "event at \(hours) h")
            #expect(F.alerts(projection.advance(to: F.at(hours + 0.5))).isEmpty, "tick at \(hours + 0.5) h")
        }
        #expect(projection.customers["c1"]!.openAlerts == open)
        // Contact ends the inactivity alone.
        let resolved = F.alerts(projection.apply(F.event(.messageSent(channel: "sms"), at: 151)))
        #expect(resolved.map(\.rule) == ["inactivity:silent"])
        #expect(resolved.map(\.state) == [.resolved])
    }

    @Test(arguments: [
        ([71.0, 73.0], 0.5),
        ([72.0, 72.0], 1.0),
        ([10.0], 0.5),
        ([Double](), 0.0),
    ])
    func freshnessCountsKeyFieldsUpdatedWithinTheHorizon(_ ages: [Double], _ expected: Double) {
        let now = 100.0
        let names = ["latest_need", "competitor_dynamics"]
        let events = ages.enumerated().map { Self.field(names[$0.offset], at: now - $0.element) }
        let (projection, _) = F.fold(events + [F.event(.messageSent(channel: "x"), at: 0)])
        #expect(projection.metrics(now: F.at(now)).overall.freshness == expected)
    }

    @Test func timeToSignRunsFromFirstContact() {
        let (projection, _) = F.fold([
            F.event(.leadCreated(channel: "store", contactMode: "visit"), at: 0),
            F.event(.dealWon(amount: 1000, currency: "CNY"), at: 48),
        ])
        #expect(projection.customers["c1"]!.timeToSignMilliseconds == 48 * F.hour)
        #expect(projection.metrics(now: F.at(50)).overall.averageTimeToSignMilliseconds == Double(48 * F.hour))
    }

    @Test func healthIndexIsTheWeightedMeanOfItsComponents() {
        var sums = MetricSums()
        sums.mandatoryDone = 9; sums.mandatoryRequired = 10          // 0.9
        sums.freshKeyFields = 8; sums.keyFields = 10                 // 0.8
        sums.ineffectiveExecutions = 1; sums.actionExecutions = 10   // effectiveness 0.9
        let equal = sums.processHealthIndex(weights: HealthWeights())!
        #expect(abs(equal - 86.666_666) < 0.001)
        let weighted = sums.processHealthIndex(weights: HealthWeights(compliance: 2, freshness: 1, effectiveness: 1))!
        #expect(abs(weighted - 87.5) < 0.001)
        var partial = MetricSums()
        partial.freshKeyFields = 1; partial.keyFields = 2
        #expect(partial.processHealthIndex(weights: HealthWeights()) == 50, "components without data are left out")
        #expect(MetricSums().processHealthIndex(weights: HealthWeights()) == nil)
    }

    @Test func metricsGroupByRepTeamAndRegionThroughTheOrganisation() {
        let (projection, _) = F.fold([
            F.event(.messageSent(channel: "x"), customer: "a", rep: "rep-1", at: 0),
            F.event(.messageSent(channel: "x"), customer: "b", rep: "rep-2", at: 0),
            F.event(.messageSent(channel: "x"), customer: "c", rep: "rep-5", at: 0),
            F.event(.messageSent(channel: "x"), customer: "d", rep: "stranger", at: 0),
        ])
        let report = projection.metrics(now: F.at(1))
        #expect(report.overall.customers == 4)
        #expect(report.byRep["rep-1"]?.customers == 1)
        #expect(report.byTeam["east-1"]?.customers == 2)
        #expect(report.byTeam["west-1"]?.customers == 1)
        #expect(report.byRegion["east"]?.customers == 3, "the stranger falls back to the event's region")
        #expect(report.byRegion["west"]?.customers == 1)
    }

    @Test func alertIDsAreDeterministicAcrossFolds() {
        let events = [F.enter("delivery", "receipt", at: 0), F.enter("academic", "visit", "c2", at: 1)]
        let first = F.alerts(F.fold(events, until: 100).1).map(\.id)
        let second = F.alerts(F.fold(events, until: 100).1).map(\.id)
        #expect(first.count == 2)
        #expect(first == second)
    }
}
