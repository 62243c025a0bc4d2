/// The due times of a customer's timer conditions as of `now`, and the signature of those that
/// hold then: each condition that holds by its kind (the inactivity rule's index among them),
/// its flow and step where it has them, and the threshold it passed (the alert's `since`) —
/// what its alert's id is made of; and whether the deal is decided.
struct TimerDues {
    static let leadActivation: Int64 = 1
    static let stepSLA: Int64 = 2
    static let inactivity: Int64 = 3

    let now: Int64
    /// The earliest due time of all conditions, and the earliest one after `now`.
    var earliest: Int64?
    var next: Int64?
    /// The signature of the conditions that hold at `now`.
    var holding = TimerInputs.Mixer()
    /// Whether a condition read the time of the last communication.
    var readsLastCommunication = false

    init(now: Int64, closed: Bool) {
        self.now = now
        holding.add(closed ? 1 : 0)
    }

    /// Notes the condition "now > threshold", due at threshold + 1 ms; whether it holds.
    mutating func consider(_ threshold: Int64) -> Bool {
        let due = threshold &+ 1
        if due < (earliest ?? Int64.max) { earliest = due }
        if due > now && due < (next ?? Int64.max) { next = due }
        return due <= now
    }
}
