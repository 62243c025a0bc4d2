import SalesPulseModel

/// The first `limit` alerts by id among many considered, and how many were considered, without
/// copying the others: a page of a hundred thousand open alerts copied every alert (a retain of
/// each of its strings), sorted them all and dropped all but sixty.
///
/// Alerts are kept until twice `limit` are, then sorted and cut back to `limit`; from then on an
/// alert whose id sorts after the last one kept is only counted.
public struct FirstAlertsByID: Sendable {
    /// How many alerts to keep (`Int.max`: all).
    public let limit: Int
    /// Alerts considered.
    public private(set) var total = 0
    private var kept: [Alert] = []
    /// Once cut back: the largest id kept; an id after it cannot be among the first `limit`.
    private var bound: String?

    /// Keeps up to `limit` alerts (at least one).
    public init(limit: Int) {
        precondition(limit >= 1, "keep at least one alert")
        self.limit = limit
    }

    /// Counts an alert with this id, and keeps `alert()` if it may be among the first `limit`.
    public mutating func consider(id: String, _ alert: () -> Alert) {
        total += 1
        if let bound, id >= bound { return }
        kept.append(alert())
        if limit <= Int.max / 2, kept.count >= 2 * limit { cut() }
    }

    /// Counts `alert`, keeping it if it may be among the first `limit`.
    public mutating func consider(_ alert: Alert) { consider(id: alert.id) { alert } }

    /// The first `limit` alerts considered, sorted by id.
    public var alerts: [Alert] {
        var result = kept.sorted { $0.id < $1.id }
        if result.count > limit { result.removeLast(result.count - limit) }
        return result
    }

    private mutating func cut() {
        kept.sort { $0.id < $1.id }
        kept.removeLast(kept.count - limit)
        bound = kept.last?.id
    }
}

extension Alert {
    /// Whether an alert that began (or resolved) at `time` is listed from `since` on (nil:
    /// every alert).
    @inlinable
    public static func began(_ time: EventTime, since: EventTime?) -> Bool {
        guard let since else { return true }
        return time >= since
    }
}
