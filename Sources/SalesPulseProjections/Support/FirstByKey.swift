import SalesPulseModel

/// The first `limit` elements by key among many considered, and how many were considered,
/// without making the others: a page of a hundred thousand open alerts copied every alert (a
/// retain of each of its strings), sorted them all and dropped all but sixty; a page of
/// customers would have copied every customer state.
///
/// Elements are kept until twice `limit` are, then sorted and cut back to `limit`; from then on
/// a key that sorts after the last one kept is only counted.
public struct FirstByKey<Element: Sendable>: Sendable {
    /// How many elements to keep (`Int.max`: all).
    public let limit: Int
    /// Elements considered.
    public private(set) var total = 0
    private var kept: [(key: String, element: Element)] = []
    /// Once cut back: the largest key kept; a key after it cannot be among the first `limit`.
    private var bound: String?

    /// Keeps up to `limit` elements (at least one).
    public init(limit: Int) {
        precondition(limit >= 1, "keep at least one element")
        self.limit = limit
    }

    /// Counts an element with this key, and keeps `element()` if it may be among the first
    /// `limit`.
    public mutating func consider(key: String, _ element: () -> Element) {
        total += 1
        if let bound, key >= bound { return }
        kept.append((key, element()))
        if limit <= Int.max / 2, kept.count >= 2 * limit { cut() }
    }

    /// The first `limit` elements considered, sorted by key.
    public var elements: [Element] {
        var result = kept.sorted { $0.key < $1.key }
        if result.count > limit { result.removeLast(result.count - limit) }
        return result.map(\.element)
    }

    private mutating func cut() {
        kept.sort { $0.key < $1.key }
        kept.removeLast(kept.count - limit)
        bound = kept.last?.key
    }
}

extension FirstByKey where Element == Alert {
    /// Counts `alert`, keeping it if it may be among the first `limit` by id.
    public mutating func consider(_ alert: Alert) { consider(key: alert.id) { alert } }
}

extension Alert {
    /// Whether an alert that began (or resolved) at `time` is listed from `since` on (nil:
    /// every alert).
    @inlinable
    public static func began(_ time: EventTime, since: EventTime?) -> Bool {
        guard let since else { return true }
        return time >= since
    }

    /// The first `limit` of `alerts`, in their order, that began (or resolved) at or after
    /// `since`, and how many do: a page of a list already made.
    public static func page(_ alerts: [Alert], since: EventTime?, limit: Int) -> (alerts: [Alert], total: Int) {
        let matching = alerts.filter { began($0.resolvedAt ?? $0.since, since: since) }
        return (Array(matching.prefix(limit)), matching.count)
    }
}
