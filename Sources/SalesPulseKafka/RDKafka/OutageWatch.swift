import CRdKafka
import Synchronization

/// Whether a client's cluster is gone, for the waits that would otherwise last their whole
/// timeout for answers that cannot come (a stop with the cluster gone took 48 – 51 s, session 57).
///
/// An outage begins when librdkafka reports every broker down (`_ALL_BROKERS_DOWN`, repeated at
/// each failed reconnection) and ends at the first sign of life: an acknowledged record, a
/// broker that answers. A producer keeps one (``KafkaProducer/clusterGone(after:)``): its
/// delivery thread serves librdkafka's reports at once, where a consumer's wait for its next
/// consume call. A wait gives up on it (``clusterGone(after:asking:)``) once it has lasted the
/// wait's limit and no broker answers a metadata request: asked once, the answer holds for
/// ``confirmationLasts`` (a stop's waits — the final checkpoint's, the revocation's, the
/// commit, the closes — each asked again, 2 s each).
final class OutageWatch: Sendable {
    private struct State {
        /// Since when every broker is reported down with no sign of life.
        var since: ContinuousClock.Instant?
        /// When, during this outage, no broker answered a metadata request.
        var confirmedAt: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    /// An outage is under way: a sign of life on the hot path (every delivery report) costs
    /// one load when none is.
    private let active = Atomic<Bool>(false)
    /// Metadata requests sent to learn whether a broker answers.
    let probes = Atomic<Int>(0)

    /// How long a broker that did not answer is taken to stay silent: a wait within it gives
    /// up without asking again.
    static let confirmationLasts = Duration.seconds(10)
    /// How long a metadata request may wait for a broker to answer.
    static let probeLimit = Duration.seconds(2)

    /// librdkafka reported every broker down.
    func allBrokersDown() {
        // The flag changes under the lock with the state, so that a report and a sign of life
        // that cross cannot leave an outage the flag no longer shows.
        state.withLock { state in
            if state.since == nil { state.since = .now }
            active.store(true, ordering: .releasing)
        }
    }

    /// A broker answered, or a record was acknowledged: the outage, if any, is over.
    func signOfLife() {
        guard active.load(ordering: .acquiring) else { return }
        state.withLock { state in
            state = State()
            active.store(false, ordering: .releasing)
        }
    }

    /// How long the current outage has lasted; nil when there is none.
    var duration: Duration? {
        state.withLock { $0.since }.map { ContinuousClock.now - $0 }
    }

    /// Whether no broker answered, during the current outage, within ``confirmationLasts``.
    var isConfirmed: Bool {
        guard let confirmed = state.withLock({ $0.confirmedAt }) else { return false }
        return ContinuousClock.now - confirmed < Self.confirmationLasts
    }

    /// How long the outage has lasted, when it has lasted `limit` and no broker of `handle`'s
    /// cluster answers (asked once per ``confirmationLasts``, waiting up to ``probeLimit``); nil
    /// otherwise, the outage ended if a broker answered. `handle` must stay alive meanwhile.
    func clusterGone(after limit: Duration, asking handle: OpaquePointer) -> Duration? {
        guard let outage = duration, outage >= limit else { return nil }
        if !isConfirmed {
            if Self.clusterAnswers(handle, within: Self.probeLimit, counting: probes) {
                signOfLife()
                return nil
            }
            state.withLock { state in
                if state.since != nil { state.confirmedAt = .now }
            }
        }
        // Nil if a record was acknowledged meanwhile: the cluster is back after all.
        return duration
    }

    /// Whether a broker answers a metadata request within `limit`.
    private static func clusterAnswers(_ handle: OpaquePointer, within limit: Duration, counting probes: borrowing Atomic<Int>) -> Bool {
        probes.add(1, ordering: .relaxed)
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let code = rd_kafka_metadata(handle, 0, nil, &metadata, Int32(limit.milliseconds))
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        return code == RD_KAFKA_RESP_ERR_NO_ERROR
    }
}
