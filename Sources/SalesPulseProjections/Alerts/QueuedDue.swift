/// The due time of an entry's live ``DueHeap`` entry, nil when it has none: a memo of this
/// process kept in the entry, equal to any other and hashing nothing, so that a state that
/// queued its timers equals one that did not (a restored one, say).
struct QueuedDue: Sendable, Hashable {
    var due: Int64?

    static func == (a: QueuedDue, b: QueuedDue) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
}
