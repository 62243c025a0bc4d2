import Foundation

/// A bounded set of recently seen event ids, for idempotent de-duplication: an id seen again
/// while it is among the last `capacity` ids is a duplicate. FIFO eviction, deterministic.
///
/// Ids are kept as 128-bit ``EventFingerprint``s in a ring, in arrival order (for eviction),
/// found through an open-addressing table (linear probing, backward-shift deletion) of 8-byte
/// slots: 0 when empty, otherwise 32 bits of the fingerprint (its tag, whose low bits are also
/// the slot's home) and the id's position in the ring + 1. An insert reads one slot, usually
/// one cache line, and the ring only when a tag matches: a duplicate, or one id in four billion.
/// At most half full, the table takes 16–32 bytes per id and the ring 16; a partition holding
/// a million ids moves 16 MiB of slots once when the table doubles, and smaller partitions
/// never get there. (Slots of whole fingerprints took twice the memory, and the probe that
/// misses the CPU caches was most of the cost of an insert.)
public struct RecentIDs: Sendable, Equatable {
    public let capacity: Int
    private var order: [EventFingerprint]
    private var head = 0
    private var slots: [UInt64]
    private var mask: Int
    public private(set) var count = 0

    /// Creates an empty set holding up to `capacity` ids (at most 2³² − 2).
    public init(capacity: Int = 1_000_000) {
        self.capacity = min(max(1, capacity), Int(UInt32.max) - 1)
        self.order = []
        self.slots = [UInt64](repeating: 0, count: 1024)
        self.mask = 1023
    }

    /// Inserts an id; returns false when it was already present (a duplicate).
    public mutating func insert(_ id: String) -> Bool { insert(EventFingerprint(id)) }

    /// Inserts a fingerprint; returns false when it was already present (a duplicate).
    public mutating func insert(_ fingerprint: EventFingerprint) -> Bool {
        guard !contains(fingerprint) else { return false }
        let position: Int
        if order.count < capacity {
            position = order.count
            order.append(fingerprint)
        } else {
            position = head
            removeSlot(of: order[head], at: head)
            order[head] = fingerprint
            head = (head + 1) % capacity
        }
        if (count + 1) * 2 > slots.count { grow() }
        let tag = Self.tag(of: fingerprint)
        slots[emptySlot(from: tag)] = UInt64(tag) << 32 | UInt64(position + 1)
        count += 1
        return true
    }

    /// True when the id is among the recent ones.
    public func contains(_ id: String) -> Bool { contains(EventFingerprint(id)) }

    /// True when the fingerprint is among the recent ones.
    @inline(__always)
    func contains(_ fingerprint: EventFingerprint) -> Bool {
        let tag = Self.tag(of: fingerprint)
        var index = Int(truncatingIfNeeded: tag) & mask
        while true {
            let slot = slots[index]
            if slot == 0 { return false }
            if UInt32(truncatingIfNeeded: slot >> 32) == tag, order[Self.position(in: slot)] == fingerprint { return true }
            index = (index + 1) & mask
        }
    }

    /// The fingerprints, oldest first.
    public var oldestFirst: [EventFingerprint] { Array(order[head...] + order[..<head]) }

    /// Restores from fingerprints listed oldest first.
    public init(capacity: Int = 1_000_000, oldestFirst fingerprints: [EventFingerprint]) {
        self.init(capacity: capacity)
        for fingerprint in fingerprints { _ = insert(fingerprint) }
    }

    public static func == (a: RecentIDs, b: RecentIDs) -> Bool { a.capacity == b.capacity && a.oldestFirst == b.oldestFirst }

    // MARK: - Table

    /// A fingerprint's slot tag: 32 of its bits (the low ones; the table's home bits among them).
    @inline(__always)
    private static func tag(of fingerprint: EventFingerprint) -> UInt32 { UInt32(truncatingIfNeeded: fingerprint.low) }

    /// The ring position an occupied slot points at.
    @inline(__always)
    private static func position(in slot: UInt64) -> Int { Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: slot)) - 1 }

    /// The first empty slot of the probe run starting at `tag`'s home.
    @inline(__always)
    private func emptySlot(from tag: UInt32) -> Int {
        var index = Int(truncatingIfNeeded: tag) & mask
        while slots[index] != 0 { index = (index + 1) & mask }
        return index
    }

    /// Empties the slot pointing at ring position `position` (holding `fingerprint`), pulling
    /// later members of its probe run back into the hole.
    private mutating func removeSlot(of fingerprint: EventFingerprint, at position: Int) {
        var index = Int(truncatingIfNeeded: Self.tag(of: fingerprint)) & mask
        while Self.position(in: slots[index]) != position {
            if slots[index] == 0 { return }
            index = (index + 1) & mask
        }
        var hole = index
        var next = (hole + 1) & mask
        while slots[next] != 0 {
            let home = Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: slots[next] >> 32)) & mask
            // Move when the member's home is not cyclically within (hole, next].
            if (next - home) & mask >= (next - hole) & mask {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = 0
        count -= 1
    }

    /// Doubles the table, placing every slot again by its tag (no fingerprint is read).
    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        for slot in old where slot != 0 { slots[emptySlot(from: UInt32(truncatingIfNeeded: slot >> 32))] = slot }
    }
}

extension RecentIDs {
    /// The fingerprints oldest first as bytes (16 per id, little endian), for checkpoints.
    public var encoded: Data {
        var data = Data(capacity: order.count * 16)
        for fingerprint in oldestFirst {
            withUnsafeBytes(of: fingerprint.high.littleEndian) { data.append(contentsOf: $0) }
            withUnsafeBytes(of: fingerprint.low.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    /// Fingerprints read back from ``encoded`` bytes; nil when the length is not a multiple of 16.
    public static func fingerprints(decoding data: Data) -> [EventFingerprint]? {
        guard data.count % 16 == 0 else { return nil }
        return data.withUnsafeBytes { raw in
            stride(from: 0, to: raw.count, by: 16).map { offset in
                EventFingerprint(high: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
                                 low: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
            }
        }
    }
}
