import ArgumentParser

/// Gives up on a kafka-stage measurement that has stopped making progress, instead of waiting
/// forever: a consumer waiting for records its topic no longer holds (the broker's retention
/// removed them meanwhile) or for a cluster that went away.
struct StallWatch {
    /// How long a count may stay the same before the measurement is given up.
    static let limit = Duration.seconds(60)

    /// Who is measured, for the message ("the raw consumer").
    let what: String
    /// The records of the topic the measurement waits for.
    let total: Int
    let topic: String
    private var last = -1
    private var since = ContinuousClock.now

    init(what: String, of total: Int, topic: String) {
        self.what = what
        self.total = total
        self.topic = topic
    }

    /// Notes the count of records read so far; throws once it has not moved for ``limit``.
    mutating func note(_ count: Int, now: ContinuousClock.Instant = .now) throws {
        if count != last {
            last = count
            since = now
            return
        }
        guard now - since > Self.limit else { return }
        throw ValidationError("\(what) made no progress for \(Self.limit) at \(count) records read, of the \(total) that \(topic) held when the stage began: the broker may have removed records meanwhile (retention), or the cluster is gone")
    }
}
