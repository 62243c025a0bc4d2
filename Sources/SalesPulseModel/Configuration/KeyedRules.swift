/// Absence / deadline: after an event of one of the `after` types for a customer, an event of
/// one of the `expect` types must follow within the duration (e.g. 30 days without follow-up
/// after a quote). Keyed by customer, in event time; resolved by the expected event.
public struct AbsenceRule: Sendable, Hashable {
    public var id: String
    /// The trigger types, in the order configured.
    public var after: [SalesEventType] { didSet { afterTypes = SalesEventTypeSet(after) } }
    /// The types that answer a trigger, in the order configured.
    public var expect: [SalesEventType] { didSet { expectTypes = SalesEventTypeSet(expect) } }
    /// `after` as a set, kept with it: what the fold asks for every event.
    public private(set) var afterTypes: SalesEventTypeSet
    /// `expect` as a set, kept with it.
    public private(set) var expectTypes: SalesEventTypeSet
    /// Whether every trigger also answers (e.g. "no interaction for 90 days"): a pending
    /// trigger then answers any earlier one, however late that one arrives.
    public var triggersAnswer: Bool { after.allSatisfy { expectTypes.contains($0) } }
    public var withinMilliseconds: Int64
    public var severity: String
    public var notify: [String]

    public init(id: String, after: [SalesEventType], expect: [SalesEventType], withinMilliseconds: Int64, severity: String = "warning", notify: [String] = []) {
        self.id = id
        self.after = after
        self.expect = expect
        self.afterTypes = SalesEventTypeSet(after)
        self.expectTypes = SalesEventTypeSet(expect)
        self.withinMilliseconds = withinMilliseconds
        self.severity = severity
        self.notify = notify
    }
}

/// N in a row per rep: the rep left step `step` of `flow` without action `action` `times`
/// times in a row (by event time), e.g. skipped the badge photo at department visits three
/// times running. Resolved when the rep next leaves the step with the action done.
public struct SequenceRule: Sendable, Hashable {
    public var id: String
    public var flow: String
    public var step: String
    public var action: String
    public var times: Int
    public var severity: String
    public var notify: [String]

    public init(id: String, flow: String, step: String, action: String, times: Int, severity: String = "warning", notify: [String] = []) {
        self.id = id
        self.flow = flow
        self.step = step
        self.action = action
        self.times = times
        self.severity = severity
        self.notify = notify
    }
}
