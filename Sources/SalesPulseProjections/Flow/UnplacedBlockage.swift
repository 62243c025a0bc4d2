import SalesPulseModel

/// A blockage of a flow's step that no known visit of the step contained when it arrived, or
/// that a step entry delivered late took out of a visit it ended before the blockage: a step
/// entry delivered later still (a device that was offline syncs hours after the rep reported)
/// may make a visit that contains it, and it then goes there, as it would have in event-time
/// order. Kept per customer, at most ``CustomerState/unplacedLimit`` (the earliest dropped).
/// (A misplaced action is not kept: misplaced actions are common; see
/// ``CustomerState/apply(_:configuration:)``.)
public struct UnplacedBlockage: Sendable, Hashable, Codable {
    /// The flow id.
    public var flow: String
    /// The step id the blockage named.
    public var step: String
    /// The blockage.
    public var blockage: Blockage

    /// The order kept: by time, then flow, step and reason (the same whatever the order of
    /// delivery).
    static func precedes(_ a: UnplacedBlockage, _ b: UnplacedBlockage) -> Bool {
        (a.blockage.at.epochMilliseconds, a.flow, a.step, a.blockage.reason) < (b.blockage.at.epochMilliseconds, b.flow, b.step, b.blockage.reason)
    }
}

extension CustomerState {
    /// How many unplaced blockages a customer keeps (``unplaced``): a rep who keeps reporting
    /// blockages of steps the customer never reaches cannot grow its state without bound.
    public static let unplacedLimit = 32

    /// Keeps a blockage that no visit contains yet, in order; past the limit, the earliest is
    /// dropped.
    mutating func hold(_ blockage: UnplacedBlockage) {
        let index = unplaced.firstIndex { UnplacedBlockage.precedes(blockage, $0) } ?? unplaced.count
        unplaced.insert(blockage, at: index)
        if unplaced.count > Self.unplacedLimit { unplaced.removeFirst() }
    }

    /// Puts the unplaced blockages of `flow` that a visit of their step now contains into that
    /// visit (after a step entry changed the flow's visits), where each stands if it is the
    /// visit's latest. Returns whether one was placed.
    mutating func placeUnplaced(flow: String) -> Bool {
        guard !unplaced.isEmpty, let position = flows.index(forKey: flow) else { return false }
        var placed = false
        unplaced.removeAll { waiting in
            let at = waiting.blockage.at
            guard waiting.flow == flow, let place = flows[valueAt: position].visit(of: waiting.step, containing: at) else { return false }
            if flows[valueAt: position][visitAt: place].blockage.map({ at >= $0.at }) ?? true { flows[valueAt: position][visitAt: place].blockage = waiting.blockage }
            placed = true
            return true
        }
        return placed
    }
}

// The positional checkpoint layout (see ``StateWriter``).
extension UnplacedBlockage {
    func write(to writer: inout StateWriter) {
        writer.write(flow)
        writer.write(step)
        blockage.write(to: &writer)
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        self.init(flow: try reader.readString(), step: try reader.readString(), blockage: try Blockage(reading: &reader))
    }
}
