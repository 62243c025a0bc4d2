import Foundation
import SalesPulseProjections

/// A bounded set of recently seen event ids, for idempotent de-duplication: an id seen again
/// while it is among the last `capacity` ids is a duplicate. FIFO eviction, deterministic.
///
/// Ids are kept as 128-bit ``EventFingerprint``s in a ring, in arrival order (for eviction),
/// found through a ``SlotTable`` of 8-byte slots: 32 bits of the fingerprint (its tag) and the
/// id's position in the ring. An insert reads one slot, usually one cache line, and the ring
/// only when a tag matches: a duplicate, or one id in four billion. At most half full, the
/// table takes 16–32 bytes per id and the ring 16; a partition holding a million ids moves
/// 16 MiB of slots once when the table doubles, and smaller partitions never get there. (Slots
/// of whole fingerprints took twice the memory; the probe, which misses the CPU caches, is most
/// of the cost of an insert.)
public struct RecentIDs: Sendable, Equatable {
    public let capacity: Int
    private var order: [EventFingerprint]
    private var head = 0
    private var table = SlotTable(slotCount: 1024)
    public var count: Int { order.count }
    /// How many ids were inserted since this set was created or restored (evicted ones
    /// included): the ids inserted since an earlier moment are the newest `inserted − then`
    /// (all, when that is more than ``count``), as an incremental checkpoint needs. Not part of
    /// equality.
    public private(set) var inserted: Int64 = 0

    /// Creates an empty set holding up to `capacity` ids (at most 2³² − 2).
    public init(capacity: Int = 1_000_000) {
        self.capacity = min(max(1, capacity), Int(UInt32.max) - 1)
        self.order = []
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
            if table.needsToGrow(toHold: order.count) { table.grow() }
        } else {
            position = head
            table.remove(tag: Self.tag(of: order[head]), position: head)
            order[head] = fingerprint
            head = (head + 1) % capacity
        }
        table.insert(tag: Self.tag(of: fingerprint), position: position)
        inserted += 1
        return true
    }

    /// Starts loading the slot an insert or lookup of `fingerprint` reads first: a hint for one
    /// coming soon, which changes nothing (`mutating` so that the set is not copied to give it).
    @inline(__always)
    public mutating func prefetch(_ fingerprint: EventFingerprint) {
        table.prefetchHome(of: Self.tag(of: fingerprint))
    }

    /// True when the id is among the recent ones.
    public func contains(_ id: String) -> Bool { contains(EventFingerprint(id)) }

    /// True when the fingerprint is among the recent ones.
    @inline(__always)
    func contains(_ fingerprint: EventFingerprint) -> Bool {
        table.position(of: Self.tag(of: fingerprint)) { order[$0] == fingerprint } != nil
    }

    /// The fingerprints, oldest first.
    public var oldestFirst: [EventFingerprint] { Array(order[head...] + order[..<head]) }

    /// Restores from fingerprints listed oldest first.
    public init(capacity: Int = 1_000_000, oldestFirst fingerprints: [EventFingerprint]) {
        self.init(capacity: capacity)
        for fingerprint in fingerprints { _ = insert(fingerprint) }
    }

    public static func == (a: RecentIDs, b: RecentIDs) -> Bool { a.capacity == b.capacity && a.oldestFirst == b.oldestFirst }

    /// A fingerprint's slot tag: 32 of its bits (the low ones; the table's home bits among them).
    @inline(__always)
    private static func tag(of fingerprint: EventFingerprint) -> UInt32 { UInt32(truncatingIfNeeded: fingerprint.low) }
}

extension RecentIDs {
    /// The fingerprints oldest first as bytes (16 per id, little endian), for checkpoints.
    /// Written into one buffer: appending 8 bytes at a time to `Data` took a third of a
    /// checkpoint's time (BENCHMARKS.md, session 19); into memory not zeroed first, as the
    /// checkpoint splices it (``SplicedBytes``).
    public var encoded: [UInt8] { encoded(newest: order.count) }

    /// The newest `newest` fingerprints (at most ``count``), oldest first, as ``encoded``
    /// writes them: the ids an incremental checkpoint adds to those of its base.
    public func encoded(newest: Int) -> [UInt8] {
        let newest = min(max(0, newest), order.count)
        // The ring in arrival order is order[head...] then order[..<head]; the newest `newest`
        // are its last ones.
        let skip = order.count - newest
        let ranges: [Range<Int>]
        if skip < order.count - head {
            ranges = [(head + skip)..<order.count, 0..<head]
        } else {
            ranges = [(skip - (order.count - head))..<head]
        }
        return [UInt8](unsafeUninitializedCapacity: newest * 16) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var offset = 0
            for range in ranges {
                for fingerprint in order[range] {
                    raw.storeBytes(of: fingerprint.high.littleEndian, toByteOffset: offset, as: UInt64.self)
                    raw.storeBytes(of: fingerprint.low.littleEndian, toByteOffset: offset + 8, as: UInt64.self)
                    offset += 16
                }
            }
            initialized = offset
        }
    }

    /// Fingerprints read back from ``encoded`` bytes; nil when the length is not a multiple of 16.
    public static func fingerprints(decoding bytes: [UInt8]) -> [EventFingerprint]? {
        guard bytes.count % 16 == 0 else { return nil }
        return bytes.withUnsafeBytes { raw in
            stride(from: 0, to: raw.count, by: 16).map { offset in
                EventFingerprint(high: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
                                 low: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
            }
        }
    }
}
