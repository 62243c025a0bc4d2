/// A rule on a counter: an alert for every group whose value reaches `atLeast` (e.g. the same
/// competitor mentioned by ≥ 5 reps within 24 h), resolved when it falls below again.
public struct CounterRule: Sendable, Hashable {
    public var id: String
    /// The counter (by id) the rule watches.
    public var counter: String
    /// The threshold, inclusive.
    public var atLeast: Double
    /// Departments to notify (ids from `departments`), besides the organisation routing.
    public var notify: [String]

    public init(id: String, counter: String, atLeast: Double, notify: [String] = []) {
        self.id = id
        self.counter = counter
        self.atLeast = atLeast
        self.notify = notify
    }
}
