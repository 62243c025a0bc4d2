import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// ``Alert`` shares its attributes between copies until one changes (copy on write): a copy
/// is a value all the same. Changing any attribute of a copy leaves the others as they were;
/// equality and hashing are by the attributes, however the alerts were made.
@Suite struct AlertCopyOnWriteTests {
    static let since = EventTime(epochMilliseconds: 1_772_413_200_000, offsetMinutes: 480)

    static func alert(customer: String = "c1") -> Alert {
        Alert(rule: "step-sla", customer: customer, rep: "rep-1", organisation: Organisation(), region: "east", flow: "f", step: "s", since: since, reason: "r")
    }

    /// One change to each attribute, made through the attribute's own accessor.
    static let changes: [(name: String, change: @Sendable (inout Alert) -> Void)] = [
        ("id", { $0.id = "0123456789abcdef" }),
        ("rule", { $0.rule += "-x" }),
        ("customer", { $0.customer = "c9" }),
        ("rep", { $0.rep = nil }),
        ("supervisor", { $0.supervisor = "sup-1" }),
        ("director", { $0.director = "dir-1" }),
        ("region", { $0.region?.append("-2") }),
        ("departments", { $0.departments.append("product-dept") }),
        ("flow", { $0.flow = "g" }),
        ("step", { $0.step = nil }),
        ("since", { $0.since = $0.since.adding(milliseconds: 1) }),
        ("reason", { $0.reason.append("!") }),
        ("state", { $0.state = .resolved }),
        ("severity", { $0.severity = "critical" }),
        ("evidence", { $0.evidence = ["c2"] }),
        ("resolvedAt", { $0.resolvedAt = since }),
    ]

    @Test(arguments: 0..<16) func changingACopyLeavesTheOriginalAlone(_ index: Int) {
        let (name, change) = Self.changes[index]
        let original = Self.alert()
        var copy = original
        change(&copy)
        #expect(copy != original, "changing \(name) changed nothing")
        #expect(original == Self.alert(), "changing a copy's \(name) changed the original")
        // And the other way round: the copy keeps its change when the original changes.
        var changedFirst = Self.alert()
        change(&changedFirst)
        let kept = changedFirst
        changedFirst.reason = "another"
        #expect(kept != changedFirst && kept.reason != "another", "\(name)")
    }

    @Test func everyAttributeHasAChange() {
        #expect(Self.changes.count == 16)
        #expect(Set(Self.changes.map(\.name)).count == 16)
    }

    @Test func equalAlertsBuiltApartAreEqualAndHashAlike() {
        var first = Self.alert()
        var second = Self.alert()
        #expect(first == second && first.hashValue == second.hashValue)
        first.departments = ["quality-dept"]
        #expect(first != second)
        second.departments.append("quality-dept")
        #expect(first == second && first.hashValue == second.hashValue)
        #expect(Set([first, second, Self.alert()]).count == 2)
    }

    @Test func aChangeThroughAnotherValueChangesOnlyThatValue() {
        // Alerts held in arrays and outputs are changed in place, through their holders.
        var alerts = [Self.alert(), Self.alert(customer: "c2")]
        let before = alerts
        alerts[0].state = .resolved
        alerts[1].evidence = ["x"]
        #expect(before[0].state == .fired && before[1].evidence == nil)
        #expect(alerts[0].state == .resolved && alerts[1].evidence == ["x"])
        var output = FlowOutput.alert(alerts[0])
        let kept = output
        if case .alert(var alert) = output {
            alert.resolvedAt = Self.since
            output = .alert(alert)
        }
        #expect(output != kept)
        #expect(kept == .alert(alerts[0]))
    }

    @Test func settingTheIDOfACopyKeepsEachCopysDigits() {
        let original = Self.alert()
        var copy = original
        copy.id = Self.alert(customer: "c2").id
        #expect(copy.digits == Self.alert(customer: "c2").digits)
        #expect(original.digits == IdentifierDigits(original.id))
        #expect(original.digits != copy.digits)
    }
}
