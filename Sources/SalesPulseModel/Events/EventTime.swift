/// An instant with the UTC offset it was written with (RFC 3339 requires one for SalesPulse).
public struct EventTime: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var epochMilliseconds: Int64
    /// The offset from UTC the producer wrote, in minutes (e.g. +480 for +08:00).
    public var offsetMinutes: Int16

    /// Creates a time.
    public init(epochMilliseconds: Int64, offsetMinutes: Int16 = 0) {
        self.epochMilliseconds = epochMilliseconds
        self.offsetMinutes = offsetMinutes
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.epochMilliseconds < rhs.epochMilliseconds }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.epochMilliseconds == rhs.epochMilliseconds }
    public func hash(into hasher: inout Hasher) { hasher.combine(epochMilliseconds) }

    /// This time shifted by a duration in milliseconds.
    public func adding(milliseconds: Int64) -> EventTime {
        EventTime(epochMilliseconds: epochMilliseconds + milliseconds, offsetMinutes: offsetMinutes)
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-03-02T01:15:04.123Z`.
    public var description: String { rfc3339UTC }

    /// RFC 3339 in UTC with milliseconds.
    public var rfc3339UTC: String {
        let parts = utcParts
        guard (0...9999).contains(parts.year) else { return Self.interpolatedRFC3339UTC(parts) }
        // Four-digit years (all but the pathological): the 24 characters written in place.
        // Interpolating seven padded numbers was a third of publishing an alert.
        return String(unsafeUninitializedCapacity: 24) { text in
            Self.writeFourDigitYearRFC3339UTC(parts, to: text)
            return 24
        }
    }

    /// Appends ``rfc3339UTC``'s UTF-8 bytes to `bytes`, without a string in between (alerts
    /// carry two times each, written straight into their record).
    public func appendRFC3339UTC(to bytes: inout [UInt8]) {
        let parts = utcParts
        guard (0...9999).contains(parts.year) else { return bytes.append(contentsOf: Self.interpolatedRFC3339UTC(parts).utf8) }
        // Written on the stack and appended at once (appending 24 zeros to overwrite them went
        // byte by byte).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { text in
            Self.writeFourDigitYearRFC3339UTC(parts, to: text)
            bytes.append(contentsOf: UnsafeBufferPointer(text))
        }
    }

    /// The most bytes ``rfc3339UTC`` takes, with room to spare: 24 for a four-digit year, up to
    /// 30 for the far past and future (a sign and up to nine digits of year).
    public static let rfc3339UTCMaximumLength = 44

    /// Writes ``rfc3339UTC``'s UTF-8 bytes at the start of `buffer` (at least
    /// ``rfc3339UTCMaximumLength`` bytes) and returns how many: a writer that reserved the room
    /// puts the time in place, without a string or an array in between.
    public func writeRFC3339UTC(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let parts = utcParts
        guard (0...9999).contains(parts.year) else {
            let text = Self.interpolatedRFC3339UTC(parts).utf8
            precondition(text.count <= buffer.count, "\(text.count) bytes of time for \(buffer.count) bytes of room")
            _ = buffer.initialize(from: text)
            return text.count
        }
        precondition(buffer.count >= 24, "24 bytes of time for \(buffer.count) bytes of room")
        Self.writeFourDigitYearRFC3339UTC(parts, to: UnsafeMutableBufferPointer(rebasing: buffer[..<24]))
        return 24
    }

    /// The parts of this time in UTC: year, month, day, second of the day, millisecond.
    private var utcParts: UTCParts {
        let millis = Int(((epochMilliseconds % 1000) + 1000) % 1000)
        let seconds = (epochMilliseconds - Int64(millis)) / 1000
        let days = Int(floorDiv(seconds, 86_400))
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let (year, month, day) = civil(fromDays: days)
        return (year, month, day, secondOfDay, millis)
    }

    private typealias UTCParts = (year: Int, month: Int, day: Int, secondOfDay: Int, millis: Int)

    /// ``rfc3339UTC`` of a year outside 0000 – 9999, interpolated.
    private static func interpolatedRFC3339UTC(_ parts: UTCParts) -> String {
        let (year, month, day, secondOfDay, millis) = parts
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
    }

    /// Writes the 24 bytes of ``rfc3339UTC`` of a four-digit year into `text` (24 bytes long).
    private static func writeFourDigitYearRFC3339UTC(_ parts: UTCParts, to text: UnsafeMutableBufferPointer<UInt8>) {
        let (year, month, day, secondOfDay, millis) = parts
        func put(_ value: Int, _ width: Int, at end: Int) {
            var value = value
            for position in stride(from: end - 1, through: end - width, by: -1) {
                text[position] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, 4, at: 4)
        text[4] = UInt8(ascii: "-")
        put(month, 2, at: 7)
        text[7] = UInt8(ascii: "-")
        put(day, 2, at: 10)
        text[10] = UInt8(ascii: "T")
        put(secondOfDay / 3600, 2, at: 13)
        text[13] = UInt8(ascii: ":")
        put(secondOfDay / 60 % 60, 2, at: 16)
        text[16] = UInt8(ascii: ":")
        put(secondOfDay % 60, 2, at: 19)
        text[19] = UInt8(ascii: ".")
        put(millis, 3, at: 23)
        text[23] = UInt8(ascii: "Z")
    }

    /// 2000-01-01T00:00:00Z: events before this are rejected (device clocks reset to 1970).
    public static let earliestAccepted = EventTime(epochMilliseconds: 946_684_800_000)
}

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

private func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}

/// Converts days since 1970-01-01 to a civil date (proleptic Gregorian).
private func civil(fromDays days: Int) -> (Int, Int, Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? y + 1 : y, m, d)
}
