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
        var event = JSONObjectWriter()
        event.object("data") { data in
            data.field("alertId", alert.id)
            data.field("customer", alert.customer)
            data.field("departments", alert.departments.isEmpty ? nil : alert.departments)
            data.field("director", alert.director)
            data.field("evidence", alert.evidence)
            data.field("flow", alert.flow)
            data.field("reason", alert.reason)
            data.field("region", alert.region)
            data.field("rep", alert.rep)
            data.field("resolvedAt", alert.resolvedAt?.rfc3339UTC)
            data.field("rule", alert.rule)
            data.field("severity", alert.severity ?? "warning")
            data.field("since", alert.since.rfc3339UTC)
            data.field("state", state)
            data.field("step", alert.step)
            data.field("supervisor", alert.supervisor)
        }
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
