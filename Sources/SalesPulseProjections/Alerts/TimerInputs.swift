import SalesPulseModel

/// Which of a customer's timer conditions held when they were last reconciled in full, as a
/// 64-bit signature: lets ``CustomerState/reconcile(now:configuration:)`` skip the work of
/// finding the alerts that hold (their ids hashed and looked up among the open ones) when the
/// same conditions hold now. A full reconciliation leaves the open alerts exactly those of the
/// conditions that hold, and only reconciliations change them, so the open ones are then the
/// ones that hold. Also where the customer stands in its projection's timer heap (``queuedDue``).
///
/// The signature covers each condition that holds by what its alert's id is made of: its kind
/// (lead activation, a step's SLA, an inactivity rule), its flow and step where it has them,
/// and the threshold it passed (the alert's `since`); and whether the deal is decided (a lead
/// to be activated counts whether it is or not; its alert holds only while it is not). A
/// condition starts to hold only as time passes its threshold, and stops only when an event
/// changes what it reads, and either changes the signature. (Until session 38 it covered the
/// inputs of every condition instead, whether it held or not: a message at a watched step, an
/// entry time moved by a late event, changed it with no alert to fire or resolve, and two
/// thirds of the full reconciliations on the soak's events changed nothing; BENCHMARKS.md,
/// session 39.)
///
/// Kept in memory only: a restored customer starts with no signature (the first reconciliation
/// is a full one, under the configuration of this run), checkpoints do not hold it, and it takes
/// no part in equality or hashing, so a projection that skipped equals one that did not. Two
/// different sets of conditions share a signature with a chance of about 2⁻⁶⁴ per comparison.
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
    /// Whether the last reconciliation read the time of the last communication (an inactivity
    /// rule watches a current step); nil when no reconciliation ran since this memo was made.
    /// Lets ``CustomerState/applyAndReconcile(_:configuration:)`` tell that an event changed
    /// nothing a timer reads without reading the flows.
    var readsLastCommunication: Bool?

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

    /// Mixes values into 64 bits: a multiply and xor-shift per word; a string by its
    /// ``KeyHash`` (its UTF-8 bytes eight at a time, its length included).
    struct Mixer {
        private var state: UInt64 = 0xCBF2_9CE4_8422_2325

        /// The signature of what was added (never 0).
        var value: UInt64 { state | 1 }

        mutating func add(_ word: Int64) { add(bits: UInt64(bitPattern: word)) }

        mutating func add(_ text: String) { add(bits: KeyHash(text).value) }

        /// A condition of `kind` that passed `threshold`, on a flow's step if it has one.
        mutating func add(_ kind: Int64, _ threshold: Int64, flow: String? = nil, step: String? = nil) {
            add(kind)
            add(threshold)
            if let flow { add(flow) }
            if let step { add(step) }
        }

        private mutating func add(bits: UInt64) {
            state = (state ^ bits) &* 0x9E37_79B9_7F4A_7C15
            state ^= state >> 29
        }
    }
}
