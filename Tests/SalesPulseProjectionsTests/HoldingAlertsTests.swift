import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// ``HoldingAlerts``: what a full reconciliation of a customer's timers notes as holding, and
/// which of those alerts it must build (not open yet), in many small cases.
@Suite struct HoldingAlertsTests {
    typealias F = Fixtures

    /// An alert of the fixture's configuration whose id is the hash of `hash`.
    static func alert(_ hash: UInt64, reason: String = "r") -> Alert {
        Alert(rule: "step-sla", customer: "c1", rep: nil, organisation: F.configuration.organisation, region: nil, since: EventTime(epochMilliseconds: 0), reason: reason,
              identifierHash: hash)
    }

    /// Open alerts holding these hashes' ids, by id.
    static func open(_ hashes: [UInt64]) -> SmallMap<Alert> {
        var open: SmallMap<Alert> = [:]
        for hash in hashes {
            let alert = alert(hash)
            open[alert.id] = alert
        }
        return open
    }

    @Test func startsEmptyAndHoldsNothing() {
        let holding = HoldingAlerts()
        #expect(holding.isEmpty)
        #expect(!holding.contains(IdentifierDigits(hash: 1)))
        #expect(holding.fired.isEmpty)
    }

    @Test func anAlertNotOpenMustBeBuilt() {
        var holding = HoldingAlerts()
        let mustBuild = holding.mustBuild(7, open: Self.open([]))
        #expect(mustBuild)
        #expect(!holding.isEmpty)
        #expect(holding.contains(IdentifierDigits(hash: 7)))
        #expect(holding.buildingHash == 7)
    }

    @Test func anOpenAlertIsNotBuiltAgainButHolds() {
        var holding = HoldingAlerts()
        let mustBuild = holding.mustBuild(7, open: Self.open([3, 7, 9]))
        #expect(!mustBuild)
        #expect(holding.contains(IdentifierDigits(hash: 7)))
        #expect(!holding.contains(IdentifierDigits(hash: 3)))
    }

    /// Ids past the first are kept too (the first is held inline, the others in an array).
    @Test func everyIdNotedIsHeld() {
        var holding = HoldingAlerts()
        for hash: UInt64 in [5, 1, 9, 4] { _ = holding.mustBuild(hash, open: Self.open([9])) }
        for hash: UInt64 in [5, 1, 9, 4] { #expect(holding.contains(IdentifierDigits(hash: hash))) }
        for hash: UInt64 in [0, 2, 3, 6] { #expect(!holding.contains(IdentifierDigits(hash: hash))) }
    }

    /// A second condition with the id of one already noted is built only if the first was (the
    /// later alert replaces the earlier one), and the id is held once.
    @Test func aRepeatedIdIsBuiltOnlyIfTheFirstWas() {
        var notOpen = HoldingAlerts()
        let first = notOpen.mustBuild(7, open: Self.open([]))
        #expect(first)
        notOpen.fire(Self.alert(7, reason: "first"))
        let second = notOpen.mustBuild(7, open: Self.open([]))
        #expect(second)
        notOpen.fire(Self.alert(7, reason: "second"))
        #expect(notOpen.fired.count == 1)
        #expect(notOpen.fired.first?.alert.reason == "second")

        var open = HoldingAlerts()
        let firstOpen = open.mustBuild(7, open: Self.open([7]))
        #expect(!firstOpen)
        let secondOpen = open.mustBuild(7, open: Self.open([7]))
        #expect(!secondOpen)
        #expect(open.fired.isEmpty)
    }

    @Test func firedAlertsAreTakenInIDOrderAndOnce() {
        var holding = HoldingAlerts()
        for hash: UInt64 in [0xF0, 0x0A, 0x7B] {
            let mustBuild = holding.mustBuild(hash, open: Self.open([]))
            #expect(mustBuild)
            holding.fire(Self.alert(hash))
        }
        var taken: [String] = []
        holding.takeFiredInIDOrder { taken.append($0.id) }
        #expect(taken == taken.sorted())
        #expect(taken == [0x0A, 0x7B, 0xF0].map { Self.alert($0).id })
        #expect(holding.fired.isEmpty)
        holding.takeFiredInIDOrder { _ in Issue.record("taken twice") }
    }
}
