import Foundation
import SalesPulseProjections

/// Alerts as CloudEvents JSON on `salespulse.alerts`, keyed by the alert subject (customer).
/// The CloudEvents id is `<alert id>.<state>`: deterministic, so consumers drop duplicates.
public enum AlertEvent {
    /// The output topic.
    public static let topic = "salespulse.alerts"

    /// The CloudEvents JSON of an alert change.
    public static func json(_ alert: Alert) -> [UInt8] {
        var object: [String: Any] = [
            "specversion": "1.0",
            "id": "\(alert.id).\(alert.state.rawValue)",
            "source": "salespulse",
            "type": "salespulse.alert.\(alert.state.rawValue)",
            "time": (alert.resolvedAt ?? alert.since).rfc3339UTC,
            "subject": alert.customer,
            "datacontenttype": "application/json",
        ]
        var data: [String: Any] = [
            "alertId": alert.id, "rule": alert.rule, "customer": alert.customer,
            "since": alert.since.rfc3339UTC, "reason": alert.reason, "state": alert.state.rawValue,
        ]
        for (key, value) in [("rep", alert.rep), ("supervisor", alert.supervisor), ("director", alert.director), ("region", alert.region), ("flow", alert.flow), ("step", alert.step)] {
            if let value { data[key] = value }
        }
        if let resolvedAt = alert.resolvedAt { data["resolvedAt"] = resolvedAt.rfc3339UTC }
        if !alert.departments.isEmpty { data["departments"] = alert.departments }
        data["severity"] = alert.severity ?? "warning"
        if let evidence = alert.evidence { data["evidence"] = evidence }
        object["data"] = data
        return Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }
}
