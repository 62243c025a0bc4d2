import HTTPTypes
import Hummingbird
import SalesPulseProjections

/// `GET /v1/alerts`' body: a JSON array of ``AlertView``s, each written directly as the live
/// stream writes it (``LiveEventHub/jsonBytes(_:)``) — the bytes `JSONEncoder` wrote with
/// `.sortedKeys`, without its cost: encoding was half the time of listing 114,222 open alerts.
enum AlertList {
    /// The array's bytes, in the alerts' order.
    static func body(_ alerts: some Sequence<Alert>) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(alerts.underestimatedCount * 400 + 2)
        buffer.writeInteger(UInt8(ascii: "["))
        var first = true
        for alert in alerts {
            if !first { buffer.writeInteger(UInt8(ascii: ",")) }
            first = false
            buffer.writeBytes(LiveEventHub.jsonBytes(alert))
        }
        buffer.writeInteger(UInt8(ascii: "]"))
        return buffer
    }

    /// The response: the list, with the number of alerts matching before any limit.
    static func response(_ alerts: [Alert], total: Int) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json", HTTPField.Name("SalesPulse-Total-Count")!: String(total)],
                 body: .init(byteBuffer: body(alerts)))
    }
}
