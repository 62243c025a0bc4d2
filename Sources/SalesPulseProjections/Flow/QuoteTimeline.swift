import SalesPulseModel

/// A customer's quotes sent and opened, in order of time: what "sent without being opened"
/// counts from. A quote sent is ineffective when it is the N-th (``ProcessConfiguration/
/// ineffectiveRepeats``) or later sent since the customer last opened one; a send or an open
/// delivered late (a device that was offline) is counted where it happened, so the counts do
/// not depend on the order of delivery. At most ``limit`` are kept (the earliest dropped).
public struct QuoteTimeline: Sendable, Hashable, Codable {
    /// Each event's time in epoch milliseconds, doubled, plus one for an open: sorted, a send
    /// and an open at the same millisecond put the send first.
    public private(set) var events: [Int64] = []

    /// How many are kept.
    public static let limit = 64

    public init() {}

    /// Records a send (`opened` false) or an open at `time`; returns how many more sends count as
    /// ineffective (negative when a late open breaks a run) and how many quotes are sent since
    /// the last open.
    mutating func record(opened: Bool, at time: EventTime, ineffectiveRepeats: Int) -> (ineffective: Int, sentSinceOpened: Int) {
        let packed = time.epochMilliseconds &* 2 &+ (opened ? 1 : 0)
        if events.last.map({ packed >= $0 }) ?? true {
            // In order (nearly always): the run since the last open grows by one, or ends.
            events.append(packed)
            let run = opened ? 0 : Self.sentSinceOpened(events)
            trim()
            return (!opened && run >= ineffectiveRepeats ? 1 : 0, run)
        }
        let before = Self.ineffective(events, repeats: ineffectiveRepeats)
        events.insert(packed, at: events.firstIndex { packed < $0 } ?? events.count)
        let after = Self.ineffective(events, repeats: ineffectiveRepeats)
        trim()
        return (after - before, Self.sentSinceOpened(events))
    }

    private mutating func trim() {
        if events.count > Self.limit { events.removeFirst(events.count - Self.limit) }
    }

    /// Sends after the last open.
    static func sentSinceOpened(_ events: [Int64]) -> Int {
        var count = 0
        for event in events.reversed() {
            if event & 1 == 1 { break }
            count += 1
        }
        return count
    }

    /// Sends that were the `repeats`-th or later since the last open before them.
    static func ineffective(_ events: [Int64], repeats: Int) -> Int {
        var run = 0, count = 0
        for event in events {
            if event & 1 == 1 { run = 0; continue }
            run += 1
            if run >= repeats { count += 1 }
        }
        return count
    }
}

// The positional checkpoint layout (see ``StateWriter``).
extension QuoteTimeline {
    func write(to writer: inout StateWriter) {
        writer.write(count: events.count)
        for event in events { writer.write(event) }
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        let count = try reader.readCount()
        events.reserveCapacity(count)
        for _ in 0..<count { events.append(try reader.readInt64()) }
    }
}
