import SalesPulseModel
import SalesPulseProjections

/// Alerts as CloudEvents JSON on `salespulse.alerts`, keyed by the alert subject (customer).
/// The CloudEvents id is `<alert id>.<state>`: deterministic, so consumers drop duplicates.
public enum AlertEvent {
    /// The output topic.
    public static let topic = "salespulse.alerts"

    /// The CloudEvents JSON of an alert change: compact, members sorted by name (the bytes
    /// `JSONSerialization` wrote with `.sortedKeys` and `.withoutEscapingSlashes`, about a
    /// hundred times faster). Optional attributes are left out when absent, `departments` when
    /// empty; `severity` defaults to `warning`.
    public static func json(_ alert: Alert) -> [UInt8] {
        let state = alert.state.rawValue
        // Room for the whole event at once: most alerts' events are longer than the default
        // 512 bytes, and growing copied them.
        var event = JSONObjectWriter(capacity: 1024)
        event.object("data") { alert.writeMembers(into: &$0, idKey: "alertId", departmentsWhenEmpty: false) }
        event.field("datacontenttype", "application/json")
        event.field("id", "\(alert.id).\(state)")
        event.field("source", "salespulse")
        event.field("specversion", "1.0")
        event.field("subject", alert.customer)
        event.field("time", (alert.resolvedAt ?? alert.since).rfc3339UTC)
        event.field("type", "salespulse.alert.\(state)")
        return event.finish()
    }
}
