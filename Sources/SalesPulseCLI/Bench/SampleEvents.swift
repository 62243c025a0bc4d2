import SalesPulseModel

/// Deterministic sample events for benchmarks: a realistic mix of 200–400-byte events.
enum SampleEvents {
    /// `count` JSON events cycling through the common types, over `customers` customers.
    static func make(count: Int, customers: Int = 100_000, reps: Int = 500) -> [[UInt8]] {
        var result: [[UInt8]] = []
        result.reserveCapacity(count)
        let base: Int64 = 1_772_413_200_000 // 2026-03-02T01:00:00Z
        for index in 0..<count {
            let customer = "cust-\(pad(index * 7919 % customers, 6))"
            let rep = "rep-\(pad(index % reps, 4))"
            let region = ["east", "north", "south", "west"][index % 4]
            let time = EventTime(epochMilliseconds: base + Int64(index) * 10, offsetMinutes: 480)
            let stamp = localStamp(time)
            let id = "\(pad(index, 8))-0d6e-4f0e-9a51-3f7c2a1d9e01"
            let data: String
            let type: String
            switch index % 5 {
            case 0:
                type = "sales.objection.chosen"
                data = #"{"objection":"price_too_high"}"#
            case 1:
                type = "sales.action.completed"
                data = #"{"flow":"academic","step":"dept_visit","action":"photo_badge","evidence":{"photo":{"hash":"sha256:9f86d081884c7d65","capturedAt":"\#(stamp)"},"location":{"lat":31.2304,"lon":121.4737,"accuracyM":18}}}"#
            case 2:
                type = "sales.step.entered"
                data = #"{"flow":"academic","step":"literature_review"}"#
            case 3:
                type = "sales.field.updated"
                data = #"{"field":"latest_need","value":"spinal implants Q3","previous":"unknown"}"#
            default:
                type = "sales.message.sent"
                data = #"{"channel":"wechat"}"#
            }
            let json = #"{"specversion":"1.0","id":"\#(id)","source":"rep-app/android","type":"\#(type)","time":"\#(stamp)","subject":"\#(customer)","repid":"\#(rep)","region":"\#(region)","data":\#(data)}"#
            result.append(Array(json.utf8))
        }
        return result
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// RFC 3339 in the event's own offset, e.g. 2026-03-02T09:15:04.123+08:00.
    static func localStamp(_ time: EventTime) -> String {
        let shifted = EventTime(epochMilliseconds: time.epochMilliseconds + Int64(time.offsetMinutes) * 60_000)
        let utc = shifted.rfc3339UTC.dropLast() // drop Z
        let sign = time.offsetMinutes >= 0 ? "+" : "-"
        let minutes = abs(Int(time.offsetMinutes))
        return "\(utc)\(sign)\(pad(minutes / 60, 2)):\(pad(minutes % 60, 2))"
    }
}
