import Testing
@testable import SalesPulseModel

/// A configuration keeps its fields in one shared box but behaves as a plain value: equal
/// fields make equal configurations (and equal hashes) whatever box holds them, and setting a
/// field of a copy leaves the original as it was.
@Suite struct ProcessConfigurationValueTests {
    static func make() -> ProcessConfiguration {
        var configuration = ProcessConfiguration(
            flows: [FlowDefinition(id: "academic", steps: [StepDefinition(id: "dept_visit"), StepDefinition(id: "literature_review")])],
            ineffectiveRepeats: 4, allowedLatenessMilliseconds: 12_000)
        configuration.absenceRules = [AbsenceRule(id: "silent", after: [.quoteSent], expect: [.messageSent], withinMilliseconds: 60_000)]
        return configuration
    }

    @Test func configurationsBuiltApartWithEqualFieldsAreEqual() {
        let first = Self.make()
        let second = Self.make()
        #expect(first.box !== second.box)
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
    }

    @Test func aDifferentFieldMakesADifferentConfiguration() {
        let base = Self.make()
        var changes: [(inout ProcessConfiguration) -> Void] = []
        changes.append { $0.flows[0].steps.removeLast() }
        changes.append { $0.ineffectiveRepeats = 5 }
        changes.append { $0.allowedLatenessMilliseconds = 0 }
        changes.append { $0.absenceRules = [] }
        changes.append { $0.counters = [CounterDefinition(id: "c", type: .messageSent, windowMilliseconds: 1_000)] }
        changes.append { $0.sequenceRules = [SequenceRule(id: "s", flow: "academic", step: "dept_visit", action: "a", times: 2)] }
        for (index, change) in changes.enumerated() {
            var changed = base
            change(&changed)
            #expect(changed != base, "change \(index)")
        }
    }

    @Test func settingAFieldOfACopyLeavesTheOriginal() {
        let original = Self.make()
        var copy = original
        copy.ineffectiveRepeats = 9
        copy.flows.append(FlowDefinition(id: "second", steps: []))
        #expect(original.ineffectiveRepeats == 4 && original.flows.count == 1)
        #expect(copy.ineffectiveRepeats == 9 && copy.flows.count == 2)
        #expect(copy.allowedLatenessMilliseconds == 12_000 && copy.absenceRules.map(\.id) == ["silent"])
    }
}
