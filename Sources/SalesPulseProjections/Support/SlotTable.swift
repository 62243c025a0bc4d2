import CPrefetch

/// An open-addressing table (linear probing, backward-shift deletion) of 8-byte slots, each
/// pointing at a position in an array its owner keeps. A slot is 0 when empty; otherwise its
/// high 32 bits are a tag of the key's hash, whose low bits are also the slot's home, and its
/// low 32 bits the position + 1. The table grows and deletes from the tags alone, without
/// reading a key; an entry is read only when its tag matches.
///
/// ``ShardedMap``'s shards find their entries through one, and so does the runtime's table of
/// recent event ids. The owner keeps it at most half full (``needsToGrow(toHold:)``).
public struct SlotTable: Sendable {
    @usableFromInline var slots: [UInt64]
    /// `slots.count - 1`, kept beside the array's address: the first slot to probe is found
    /// without reading the array's header, a cache miss of its own in a table not used lately
    /// (profiles showed a fifth of the customer lookup waiting for it).
    @usableFromInline var mask: Int

    /// An empty table of `slotCount` slots: 0, or a power of two.
    public init(slotCount: Int = 0) {
        precondition(slotCount == 0 || slotCount.nonzeroBitCount == 1, "a slot table's size is 0 or a power of two")
        slots = [UInt64](repeating: 0, count: slotCount)
        mask = slotCount - 1
    }

    /// The slots, empty or not.
    public var slotCount: Int { slots.count }

    /// True when holding `count` entries would make the table more than half full.
    @inlinable
    public func needsToGrow(toHold count: Int) -> Bool { count * 2 > slots.count }

    /// The position of the first entry tagged `tag` for which `matches` holds, if any.
    @inlinable @inline(__always)
    public func position(of tag: UInt32, where matches: (Int) -> Bool) -> Int? {
        guard mask >= 0 else { return nil }
        // Through the buffer: an index into the array is checked against its count, which lies
        // in the array's header, a cache line the slot's may not share. `mask` keeps the index
        // in bounds.
        return slots.withUnsafeBufferPointer { slots in
            var index = Int(truncatingIfNeeded: tag) & mask
            while true {
                let slot = slots[index]
                if slot == 0 { return nil }
                if UInt32(truncatingIfNeeded: slot >> 32) == tag {
                    let position = Self.position(in: slot)
                    if matches(position) { return position }
                }
                index = (index + 1) & mask
            }
        }
    }

    /// Starts loading the slot where `tag`'s probe run begins: a hint for a lookup coming soon,
    /// which changes nothing (`mutating` so that a table held in an array is borrowed in place:
    /// a copy would retain the slot array, a write to its header).
    @inlinable @inline(__always)
    public mutating func prefetchHome(of tag: UInt32) {
        guard mask >= 0 else { return }
        let home = Int(truncatingIfNeeded: tag) & mask
        slots.withUnsafeBufferPointer { salespulse_prefetch_read($0.baseAddress! + home) }
    }

    /// The position of the first entry tagged `tag`, without asking whether its key is the one
    /// sought: the entry a lookup of that tag most likely reads, for prefetching it.
    @inlinable @inline(__always)
    public func likelyPosition(of tag: UInt32) -> Int? {
        position(of: tag) { _ in true }
    }

    /// Points an empty slot of `tag`'s probe run at `position` (the table must have room).
    @inlinable
    public mutating func insert(tag: UInt32, position: Int) {
        slots[emptySlot(from: tag)] = UInt64(tag) << 32 | UInt64(position + 1)
    }

    /// Empties the slot pointing at `position` (tagged `tag`), pulling later members of its
    /// probe run back into the hole. Nothing when no slot points there.
    public mutating func remove(tag: UInt32, position: Int) {
        guard let slot = slot(of: tag, pointingAt: position) else { return }
        var hole = slot
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
    }

    /// Points the slot of the entry tagged `tag` at `old` at `new` instead (the owner moved it).
    public mutating func move(tag: UInt32, from old: Int, to new: Int) {
        guard let slot = slot(of: tag, pointingAt: old) else { return }
        slots[slot] = UInt64(tag) << 32 | UInt64(new + 1)
    }

    /// Doubles the table (to `minimum` slots at first, a power of two), placing every slot
    /// again by its tag.
    public mutating func grow(minimum: Int = 16) {
        let old = slots
        slots = [UInt64](repeating: 0, count: Swift.max(minimum, old.count * 2))
        mask = slots.count - 1
        for slot in old where slot != 0 { slots[emptySlot(from: UInt32(truncatingIfNeeded: slot >> 32))] = slot }
    }

    /// The position an occupied slot points at.
    @inlinable @inline(__always)
    static func position(in slot: UInt64) -> Int { Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: slot)) - 1 }

    /// The first empty slot of the probe run starting at `tag`'s home.
    @inlinable
    func emptySlot(from tag: UInt32) -> Int {
        var index = Int(truncatingIfNeeded: tag) & mask
        while slots[index] != 0 { index = (index + 1) & mask }
        return index
    }

    /// The slot tagged `tag` pointing at `position`, if any.
    private func slot(of tag: UInt32, pointingAt position: Int) -> Int? {
        guard mask >= 0 else { return nil }
        var index = Int(truncatingIfNeeded: tag) & mask
        while slots[index] != 0 {
            if slots[index] == UInt64(tag) << 32 | UInt64(position + 1) { return index }
            index = (index + 1) & mask
        }
        return nil
    }
}
