import SalesPulseKafka
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
        // Room for the whole event at once: most alerts' events are longer than 512 bytes.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1024)
        append(alert, to: &bytes)
        return bytes
    }

    /// Appends ``json(_:)`` of `alert` to `bytes`.
    public static func append(_ alert: Alert, to bytes: inout [UInt8]) {
        let state = alert.state.rawValue
        // The id's suffix as a literal (interpolated, it was a string built per alert).
        let suffix = switch alert.state {
        case .fired: ".fired"
        case .resolved: ".resolved"
        }
        JSONObjectWriter.append(to: &bytes) { event in
            event.object("data") { alert.writeMembers(into: &$0, idKey: "alertId", departmentsWhenEmpty: false) }
            event.field("datacontenttype", "application/json")
            event.field("id", alert.id, suffix)
            event.field("source", "salespulse")
            event.field("specversion", "1.0")
            event.field("subject", alert.customer)
            event.field("time", time: alert.resolvedAt ?? alert.since)
            event.field("type", "salespulse.alert.", state)
        }
    }

    /// The alerts among `outputs`, in order, as records for the alerts topic `topic` (keyed by
    /// customer), written back to back into one buffer.
    public static func records(_ outputs: [FlowOutput], topic: String = topic) -> KafkaRecordBatch {
        var records = KafkaRecordBatch(topic: topic)
        append(outputs, to: &records)
        return records
    }

    /// Appends the alerts among `outputs` to `records` (a batch for the alerts topic) as ``records(_:topic:)``
    /// writes them: a batch emptied and reused keeps its buffer, where a new one for each batch
    /// of outputs wrote into fresh pages (their faults about an eighth of writing the records in
    /// an end-to-end profile; BENCHMARKS.md, session 40).
    public static func append(_ outputs: [FlowOutput], to records: inout KafkaRecordBatch) {
        var alerts = 0
        for case .alert in outputs { alerts += 1 }
        guard alerts > 0 else { return }
        // About what an alert's record takes (key and value), so that the buffer rarely grows.
        records.reserveCapacity(records: alerts, bytesEach: 640)
        for case .alert(let alert) in outputs {
            records.append(key: alert.customer) { append(alert, to: &$0) }
        }
    }
}
