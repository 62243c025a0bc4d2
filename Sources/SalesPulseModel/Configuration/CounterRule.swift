/// A rule on sliding-window counters, evaluated exactly in event time for every group of the
/// counter: fires an alert when the condition has held for `sustainedMilliseconds` (at once
/// when 0) and resolves it when the condition stops holding.
///
/// The watched value is the counter's value, or the ratio of two counters with the same
/// group-by (`per`: e.g. deals won per quote sent = a conversion rate).
public struct CounterRule: Sendable, Hashable {
    /// What must hold for a group.
    public enum Condition: Sendable, Hashable {
        /// Value ≥ threshold (e.g. the same competitor mentioned by ≥ 5 reps in 24 h).
        case atLeast(Double)
        /// Value < threshold (e.g. conversion rate < 15 %). Groups with no data in the window
        /// (or, for a ratio, fewer than `minimum` in the denominator) are not judged.
        case below(Double)
        /// Value ≥ (1 + increase) × the value one window earlier (e.g. +50 % week on week);
        /// the current value must also reach `minimum`.
        case surge(increase: Double)
        /// Value < fraction × the mean value of the group's team (groups are reps, teams come
        /// from the organisation; e.g. below 70 % of the team mean).
        case belowTeamMean(fraction: Double)
    }

    public var id: String
    /// The counter (by id) the rule watches.
    public var counter: String
    /// Denominator counter (by id) for a ratio, if any.
    public var per: String?
    public var condition: Condition
    /// How long the condition must hold before the alert fires (e.g. 10 minutes, 14 days).
    public var sustainedMilliseconds: Int64
    /// Smallest value (or, for a ratio, denominator) judged: avoids alerts on tiny samples.
    public var minimum: Double
    /// `info`, `warning` or `critical`.
    public var severity: String
    /// Departments to notify (ids from `departments`), besides the organisation routing.
    public var notify: [String]
    /// Customers listed as evidence when the alert fires: the N undecided customers of the
    /// group (a region) waiting longest since first contact, with their follow-up history.
    public var longestWaitingEvidence: Int = 0

    public init(id: String, counter: String, per: String? = nil, condition: Condition, sustainedMilliseconds: Int64 = 0, minimum: Double = 0, severity: String = "warning", notify: [String] = []) {
        self.id = id
        self.counter = counter
        self.per = per
        self.condition = condition
        self.sustainedMilliseconds = sustainedMilliseconds
        self.minimum = minimum
        self.severity = severity
        self.notify = notify
    }

    /// The threshold rule of the first release: value ≥ `atLeast`, at once.
    public init(id: String, counter: String, atLeast: Double, notify: [String] = []) {
        self.init(id: id, counter: counter, condition: .atLeast(atLeast), notify: notify)
    }
}
