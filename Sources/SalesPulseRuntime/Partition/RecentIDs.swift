import Foundation

/// A bounded set of recently seen event ids, for idempotent de-duplication: an id seen again
/// while it is among the last `capacity` ids is a duplicate. FIFO eviction, deterministic.
///
/// Ids are kept as 128-bit ``EventFingerprint``s in an open-addressing table (linear probing,
/// backward-shift deletion) plus a ring of the same fingerprints in arrival order for eviction:
/// 16 bytes per id instead of a string, one hash of the id's bytes and usually one cache line
/// per insert. The table doubles when half full; a partition holding a million ids moves 16 MiB
/// once, and smaller partitions never get there.
public struct RecentIDs: Sendable, Equatable {
    public let capacity: Int
    private var order: [EventFingerprint]
    private var head = 0
    private var slots: [EventFingerprint]
    private var mask: Int
    public private(set) var count = 0

    /// Creates an empty set holding up to `capacity` ids.
    public init(capacity: Int = 1_000_000) {
        self.capacity = max(1, capacity)
        self.order = []
        self.slots = [EventFingerprint](repeating: EventFingerprint(high: 0, low: 0), count: 1024)
        self.mask = 1023
    }

    /// Inserts an id; returns false when it was already present (a duplicate).
    public mutating func insert(_ id: String) -> Bool { insert(EventFingerprint(id)) }

    /// Inserts a fingerprint; returns false when it was already present (a duplicate).
    public mutating func insert(_ fingerprint: EventFingerprint) -> Bool {
        guard add(fingerprint) else { return false }
        if order.count < capacity {
            order.append(fingerprint)
        } else {
            remove(order[head])
            order[head] = fingerprint
            head = (head + 1) % capacity
        }
        return true
    }

    /// True when the id is among the recent ones.
    public func contains(_ id: String) -> Bool {
        let fingerprint = EventFingerprint(id)
        var index = Int(truncatingIfNeeded: fingerprint.low) & mask
        while true {
            let slot = slots[index]
            if slot == fingerprint { return true }
            if slot.high == 0 && slot.low == 0 { return false }
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

    private mutating func add(_ fingerprint: EventFingerprint) -> Bool {
        if (count + 1) * 2 > slots.count { grow() }
        var index = Int(truncatingIfNeeded: fingerprint.low) & mask
        while true {
            let slot = slots[index]
            if slot == fingerprint { return false }
            if slot.high == 0 && slot.low == 0 {
                slots[index] = fingerprint
                count += 1
                return true
            }
            index = (index + 1) & mask
        }
    }

    private mutating func remove(_ fingerprint: EventFingerprint) {
        var index = Int(truncatingIfNeeded: fingerprint.low) & mask
        while slots[index] != fingerprint {
            if slots[index].high == 0 && slots[index].low == 0 { return }
            index = (index + 1) & mask
        }
        // Backward-shift deletion: pull later members of the probe run into the hole.
        var hole = index
        var next = (hole + 1) & mask
        while !(slots[next].high == 0 && slots[next].low == 0) {
            let home = Int(truncatingIfNeeded: slots[next].low) & mask
            // Move when the member's home is not cyclically within (hole, next].
            if (next - home) & mask >= (next - hole) & mask {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = EventFingerprint(high: 0, low: 0)
        count -= 1
    }

    private mutating func grow() {
        let old = slots
        slots = [EventFingerprint](repeating: EventFingerprint(high: 0, low: 0), count: old.count * 2)
        mask = slots.count - 1
        count = 0
        for slot in old where !(slot.high == 0 && slot.low == 0) { _ = add(slot) }
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
