import Foundation
import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// The keyed rules' positional checkpoint layout: pending absences (armed and fired) and reps'
/// exits come back equal, with their timers; the bytes do not depend on the order the state was
/// built in; damaged bytes throw.
@Suite struct KeyedRuleStateCodingTests {
    static let configuration: ProcessConfiguration = {
        var configuration = AbsenceRuleTests.configuration
        configuration.sequenceRules = [SequenceRule(id: "skipped", flow: "f", step: "s", action: "a", times: 3)]
        return configuration
    }()

    static func exit(_ rep: String, _ customer: String, at seconds: Int64, missed: Bool) -> KeyedRuleProjection.RepExit {
        KeyedRuleProjection.RepExit(rule: "skipped", rep: rep, exit: KeyedRuleProjection.StepExit(at: EventTime(epochMilliseconds: seconds * 1000), customer: customer, missed: missed))
    }

    /// Messages to customers a–e at different times (two rules each), then a tick that fires
    /// the alerts of some; exits of two reps. `reversed` builds the same state in the opposite
    /// order.
    static func state(reversed: Bool = false) -> KeyedRuleProjection {
        var rules = KeyedRuleProjection()
        var events = ["a", "b", "c", "d", "e"].enumerated().map { index, customer in AbsenceRuleTests.event(.messageSent, customer, at: Int64(index) * 4_000) }
        var exits = [exit("rep-1", "a", at: 1, missed: true), exit("rep-1", "b", at: 2, missed: true), exit("rep-2", "c", at: 3, missed: false), exit("rep-2", "d", at: 4, missed: true)]
        if reversed { events.reverse(); exits.reverse() }
        for event in events { _ = rules.apply(event, outputs: [], configuration: configuration) }
        for exit in exits { rules.record(exit, configuration: configuration) }
        _ = rules.advance(to: EventTime(epochMilliseconds: 14_500), configuration: configuration)
        return rules
    }

    static func bytes(_ rules: KeyedRuleProjection) -> [UInt8] { StateWriter.bytes(rules.write) }

    static func read(_ bytes: [UInt8]) throws(StateReadError) -> KeyedRuleProjection {
        try StateReader.read(bytes) { reader throws(StateReadError) in try KeyedRuleProjection(reading: &reader) }
    }

    @Test func pendingAbsencesFiredAlertsAndExitsRoundTrip() throws {
        let rules = Self.state()
        #expect(rules.openAlerts.count == 2, "a and b are past the silent rule's 10 s")
        #expect(rules.pending["silent"]?.count == 5 && rules.pending["no-visit"]?.count == 5)
        #expect(rules.exits.count == 2)
        #expect(try Self.read(Self.bytes(rules)) == rules)
    }

    /// The timers are rebuilt: a restored state fires and resolves exactly what the original
    /// does from there on.
    @Test func aRestoredStateFiresLikeTheOriginal() throws {
        var original = Self.state()
        var restored = try Self.read(Self.bytes(original))
        for millis: Int64 in [18_001, 24_001, 40_000] {
            let now = EventTime(epochMilliseconds: millis)
            let expected = AbsenceRuleTests.fired(original.advance(to: now, configuration: Self.configuration))
            #expect(!expected.isEmpty)
            #expect(AbsenceRuleTests.fired(restored.advance(to: now, configuration: Self.configuration)) == expected)
        }
        let visit = AbsenceRuleTests.event(.visitCheckedIn, "a", at: 41_000)
        #expect(AbsenceRuleTests.fired(restored.apply(visit, outputs: [], configuration: Self.configuration)) == AbsenceRuleTests.fired(original.apply(visit, outputs: [], configuration: Self.configuration)))
        #expect(restored == original)
    }

    @Test func bytesDoNotDependOnTheOrderTheStateWasBuiltIn() {
        #expect(Self.state(reversed: true) == Self.state())
        #expect(Self.bytes(Self.state(reversed: true)) == Self.bytes(Self.state()))
    }

    @Test func everyTruncationThrowsAndDamageNeverTraps() {
        DamagedStateBytes.expectRefused(Self.bytes(Self.state()), read: Self.read)
    }
}
