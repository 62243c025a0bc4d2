import SalesPulseModel

/// What a customer's timers read when they were last reconciled in full, as a 64-bit
/// signature: lets ``CustomerState/reconcile(now:configuration:)`` skip the work of finding the
/// alerts that hold (their ids hashed and looked up among the open ones) when an event changed
/// none of it and no timer came due since. The open alerts are then exactly those that hold.
/// Also where the customer stands in its projection's timer heap (``queuedDue``).
///
/// The inputs are those the timer conditions read: the activation, whether the deal is
/// decided, each flow's current step and when it was entered, and the last communication where
/// an inactivity rule watches the current step. Alert ids and due times are functions of them
/// (and of the configuration), so equal inputs and no due time passed give the same alerts.
///
/// Kept in memory only: a restored customer starts with no signature (the first reconciliation
/// is a full one, under the configuration of this run), checkpoints do not hold it, and it takes
/// no part in equality or hashing, so a projection that skipped equals one that did not. Two
/// different inputs share a signature with a chance of about 2⁻⁶⁴ per comparison.
struct TimerInputs: Sendable, Hashable, Codable {
    /// The signature; 0 when unknown (never reconciled in full, or changed since).
    var signature: UInt64 = 0
    /// The due time of the customer's live entry in its flow projection's timer heap, nil when
    /// it has none: an entry popped with another due time is stale. Kept here, in the state the
    /// fold holds, rather than in a map of its own beside the heap: looking the customer up in
    /// that map whenever its due time moved waited for memory, 3 % of the per-record work on
    /// the soak's events (BENCHMARKS.md, session 37). Like the signature, a memo of this
    /// process: a restored projection pushes every customer's next due time again.
    var queuedDue: Int64?

    /// No signature: the next reconciliation is a full one.
    init() {}

    /// Always equal: a memo, not part of the state.
    static func == (a: TimerInputs, b: TimerInputs) -> Bool { true }
    func hash(into hasher: inout Hasher) {}

    /// Encoded as null and decoded as unknown: a memo, not part of the state.
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encodeNil()
    }

    /// The signature of the timer inputs of a customer (never 0).
    static func signature(activation: Activation, closed: Bool, flows: borrowing SmallMap<FlowState>, lastCommunicationAt: EventTime?,
                          inactivity: [InactivityRule]) -> UInt64 {
        var mixer = Mixer()
        switch activation {
        case .notALead: mixer.add(1)
        case .pending(let deadline): mixer.add(2); mixer.add(deadline.epochMilliseconds)
        case .activated(let at): mixer.add(3); mixer.add(at.epochMilliseconds)
        case .toBeActivated(let since): mixer.add(4); mixer.add(since.epochMilliseconds)
        case .activatedLate(let at): mixer.add(5); mixer.add(at.epochMilliseconds)
        }
        mixer.add(closed ? 1 : 0)
        if !closed {
            // By index, reading the current step where it lies (as the due times are worked out).
            for index in flows.entries.indices {
                guard let enteredAt = flows.entries[index].value.current?.enteredAt else { continue }
                mixer.add(flows.entries[index].key)
                let step = flows.entries[index].value.current!.step
                mixer.add(step)
                mixer.add(enteredAt.epochMilliseconds)
                for rule in inactivity.indices where inactivity[rule].flow == flows.entries[index].key && inactivity[rule].step == step {
                    mixer.add(Int64(rule))
                    mixer.add(lastCommunicationAt?.epochMilliseconds ?? Int64.min)
                }
            }
        }
        return mixer.value | 1
    }

    /// Mixes values into 64 bits: a multiply and xor-shift per word; a string by its
    /// ``KeyHash`` (its UTF-8 bytes eight at a time, its length included).
    private struct Mixer {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325

        mutating func add(_ word: Int64) { add(bits: UInt64(bitPattern: word)) }

        mutating func add(_ text: String) { add(bits: KeyHash(text).value) }

        private mutating func add(bits: UInt64) {
            value = (value ^ bits) &* 0x9E37_79B9_7F4A_7C15
            value ^= value >> 29
        }
    }
}
