import Foundation
import Testing
@testable import SalesPulseModel

@Suite struct ConfigurationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theShippedConfigurationReproducesTheSeedProcesses() throws {
        let configuration = try ConfigurationLoader.load(path: Self.repository.appendingPathComponent("deploy/config/salespulse.yaml").path)
        #expect(configuration.flows.map(\.id) == ["academic", "delivery", "compliance", "home_decoration", "industrial", "lead_pipeline"])
        let academic = configuration.flow(named: "academic")!
        #expect(academic.steps.map(\.id) == ["dept_visit", "literature_review", "observe_surgery", "trial_samples", "sign_agreement"])
        let visit = academic.step(named: "dept_visit")!
        #expect(visit.slaMilliseconds == Int64(259_200_000))
        #expect(visit.mandatoryActions.map(\.id) == ["photo_badge", "upload_proposal", "pain_points", "sku_refs"])
        #expect(visit.action(named: "photo_badge")!.evidence.locationMaxAccuracyMeters == 50)
        #expect(visit.action(named: "pain_points")!.evidence.textLength == 10...200)
        #expect(visit.blockageReasons == ["doctor_abroad", "procurement_change", "trace_system_fault"])
        #expect(configuration.flow(named: "home_decoration")!.steps.count == 5)
        #expect(configuration.flow(named: "delivery")!.step(named: "hospital_receipt") != nil)
        #expect(configuration.activation.windowMilliseconds == 24 * 3_600_000)
        #expect(configuration.activation.requiredFields.count == 3)
        #expect(configuration.inactivity.first?.afterMilliseconds == Int64(259_200_000))
        #expect(configuration.freshness.horizonMilliseconds == 72 * 3_600_000)
        #expect(configuration.ineffectiveRepeats == 3)
        #expect(configuration.organisation.allReps.count == 320)
        #expect(configuration.organisation.placement(of: "rep-0041")?.supervisor == "sup-east-2")
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let yaml: String
        let line: Int?
        let path: String
        let fragment: String
        var testDescription: String { fragment }
    }

    static let bad: [Bad] = [
        Bad(yaml: "flows:\n  - id: a\n    stepz: []\n", line: 3, path: "flows[0].stepz", fragment: "unknown key 'stepz'"),
        Bad(yaml: "flows:\n  - id: a\n    steps:\n      - {id: s, sla: 72 hours}\n", line: 4, path: "flows[0].steps[0].sla", fragment: "not a duration"),
        Bad(yaml: "flows:\n  - id: a\n    steps: [{id: s}]\ninactivity:\n  - {id: x, flow: nope, step: s, after: 3d}\n", line: 5, path: "inactivity[0].flow", fragment: "unknown flow 'nope'"),
        Bad(yaml: "flows:\n  - id: a\n    steps: [{id: s}]\ninactivity:\n  - {id: x, flow: a, step: t, after: 3d}\n", line: 5, path: "inactivity[0].step", fragment: "has no step 't'"),
        Bad(yaml: "flows:\n  - id: a\n    steps: [{id: s}, {id: s}]\n", line: 3, path: "flows[0].steps[1]", fragment: "duplicate step id 's'"),
        Bad(yaml: "flows:\n  - id: a\n    steps:\n      - id: s\n        actions:\n          - {id: p, evidence: {location: {}}}\n", line: 6, path: "flows[0].steps[0].actions[0].evidence.location", fragment: "maxAccuracyM"),
        Bad(yaml: "flows:\n  - id: a\n    steps:\n      - id: s\n        actions:\n          - {id: p, evidence: {text: {min: 50, max: 10}}}\n", line: 6, path: "flows[0].steps[0].actions[0].evidence.text", fragment: "greater than max"),
        Bad(yaml: "freshness: {horizon: 72h}\n", line: 1, path: "flows", fragment: "required"),
        Bad(yaml: "flows: [\n", line: 2, path: "", fragment: "invalid YAML"),
        Bad(yaml: "flows:\n  - id: a\n    steps: [{id: s}]\norganisation:\n  regions:\n    - id: r\n      director: d\n      teams:\n        - {id: t, supervisor: s, reps: [r-1..r-3, r-2]}\n", line: 9, path: "organisation.regions[0].teams[0].reps[1]", fragment: "in two teams"),
        Bad(yaml: "flows:\n  - id: 'has space'\n    steps: [{id: s}]\n", line: 2, path: "flows[0].id", fragment: "is not an id"),
    ]

    @Test(arguments: bad)
    func badConfigurationsAreRejectedWithFileLineAndPath(_ testCase: Bad) {
        do {
            _ = try ConfigurationLoader.parse(yaml: testCase.yaml, file: "test.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.file == "test.yaml")
            #expect(error.line == testCase.line)
            #expect(error.path == testCase.path)
            #expect(error.message.contains(testCase.fragment), "\(error)")
        }
    }

    /// The in-place lookups the fold uses agree with the copying ones for every step of every
    /// shipped flow, and answer nothing for steps, actions and flows that do not exist.
    @Test func inPlaceStepLookupsAgreeWithTheDefinitions() throws {
        let configuration = try ConfigurationLoader.load(path: Self.repository.appendingPathComponent("deploy/config/salespulse.yaml").path)
        var withSLA = 0
        for flow in configuration.flows {
            for step in flow.steps {
                #expect(flow.slaMilliseconds(ofStep: step.id) == step.slaMilliseconds)
                #expect(configuration.slaMilliseconds(flow: flow.id, step: step.id) == step.slaMilliseconds)
                #expect(flow.mandatoryActionIDs(ofStep: step.id) == step.mandatoryActions.map(\.id))
                for action in step.actions { #expect(flow.action(named: action.id, inStep: step.id) == action) }
                #expect(flow.action(named: "no_such_action", inStep: step.id) == nil)
                if step.slaMilliseconds != nil { withSLA += 1 }
            }
            #expect(flow.slaMilliseconds(ofStep: "no_such_step") == nil)
            #expect(flow.mandatoryActionIDs(ofStep: "no_such_step").isEmpty)
            #expect(flow.action(named: flow.steps[0].actions.first?.id ?? "x", inStep: "no_such_step") == nil)
        }
        #expect(withSLA > 0)
        #expect(configuration.slaMilliseconds(flow: "no_such_flow", step: "dept_visit") == nil)
    }

    @Test func durationsParseAndPrint() {
        #expect(DurationText.milliseconds("72h") == 259_200_000)
        #expect(DurationText.milliseconds("3d") == 259_200_000)
        #expect(DurationText.milliseconds("500ms") == 500)
        #expect(DurationText.milliseconds("10m") == 600_000)
        #expect(DurationText.milliseconds("2w") == 1_209_600_000)
        #expect(DurationText.milliseconds("72") == nil)
        #expect(DurationText.milliseconds("-1h") == nil)
        #expect(DurationText.text(259_200_000) == "72h")
        #expect(DurationText.text(1_209_600_000) == "2w")
    }

    @Test func repRangesExpandKeepingWidth() {
        #expect(Organisation.expand("rep-0008..rep-0011") == ["rep-0008", "rep-0009", "rep-0010", "rep-0011"])
        #expect(Organisation.expand("rep-7") == ["rep-7"])
        #expect(Organisation.expand("a-3..b-5") == nil)
    }
}
