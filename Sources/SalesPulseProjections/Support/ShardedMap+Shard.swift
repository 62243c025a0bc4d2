extension ShardedMap {
    /// One shard of a ``ShardedMap``: its entries in one array, found through a table of slots
    /// (open addressing, linear probing, backward-shift deletion, at most half full).
    ///
    /// A slot is 0 when empty; otherwise its high 32 bits are the key's ``KeyHash/tag`` and its
    /// low 32 bits the entry's index + 1. The tag's low bits are also the slot's home, so the
    /// table grows and deletes without hashing a key again.
    struct Shard {
        /// A key and its value, side by side.
        struct Entry {
            var key: String
            var value: Value
        }

        /// Where a key is: the index of its entry, or the empty slot where it would go.
        enum Lookup {
            case found(Int)
            case absent(slot: Int)
        }

        var entries: [Entry] = []
        private var slots: [UInt64] = []

        /// The entry index of `key`, if present.
        @inline(__always)
        func index(of key: String, hash: KeyHash) -> Int? {
            guard case .found(let index) = find(key, hash: hash) else { return nil }
            return index
        }

        /// Looks `key` up.
        @inline(__always)
        func find(_ key: String, hash: KeyHash) -> Lookup {
            guard !slots.isEmpty else { return .absent(slot: -1) }
            let mask = slots.count - 1, tag = hash.tag
            var slot = Int(truncatingIfNeeded: tag) & mask
            while true {
                let content = slots[slot]
                if content == 0 { return .absent(slot: slot) }
                if UInt32(truncatingIfNeeded: content >> 32) == tag {
                    let index = Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: content)) - 1
                    if entries[index].key.hasSameUTF8(as: key) { return .found(index) }
                }
                slot = (slot + 1) & mask
            }
        }

        /// The entry index of `key`, inserting `makeValue()` first when absent.
        @inline(__always)
        mutating func findOrInsert(_ key: String, hash: KeyHash, _ makeValue: () -> Value) -> Int {
            switch find(key, hash: hash) {
            case .found(let index): return index
            case .absent(let slot):
                insert(key, makeValue(), hash: hash, at: slot)
                return entries.count - 1
            }
        }

        /// Appends an entry for `key`, absent, whose empty slot ``find(_:hash:)`` returned.
        mutating func insert(_ key: String, _ value: Value, hash: KeyHash, at slot: Int) {
            var slot = slot
            if (entries.count + 1) * 2 > slots.count {
                grow()
                slot = emptySlot(from: hash.tag)
            }
            entries.append(Entry(key: key, value: value))
            slots[slot] = UInt64(hash.tag) << 32 | UInt64(entries.count)
        }

        /// Removes `key`'s entry, if present: the last entry moves into its place.
        mutating func remove(_ key: String, hash: KeyHash) {
            guard !slots.isEmpty else { return }
            let mask = slots.count - 1, tag = hash.tag
            var slot = Int(truncatingIfNeeded: tag) & mask
            var index = -1
            while slots[slot] != 0 {
                let content = slots[slot]
                if UInt32(truncatingIfNeeded: content >> 32) == tag {
                    let candidate = Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: content)) - 1
                    if entries[candidate].key.hasSameUTF8(as: key) { index = candidate; break }
                }
                slot = (slot + 1) & mask
            }
            guard index >= 0 else { return }
            clear(slot)
            let last = entries.count - 1
            if index != last {
                // Point the last entry's slot at the index it moves to.
                let lastTag = KeyHash(entries[last].key).tag
                var probe = Int(truncatingIfNeeded: lastTag) & mask
                while Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: slots[probe])) != last + 1 { probe = (probe + 1) & mask }
                slots[probe] = UInt64(lastTag) << 32 | UInt64(index + 1)
                entries.swapAt(index, last)
            }
            entries.removeLast()
        }

        /// Empties `slot`, pulling later members of its probe run back into the hole.
        private mutating func clear(_ slot: Int) {
            let mask = slots.count - 1
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

        /// The first empty slot of the probe run starting at `tag`'s home.
        private func emptySlot(from tag: UInt32) -> Int {
            let mask = slots.count - 1
            var slot = Int(truncatingIfNeeded: tag) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            return slot
        }

        /// Doubles the table (16 slots at first), placing every slot again by its tag.
        private mutating func grow() {
            let old = slots
            slots = [UInt64](repeating: 0, count: Swift.max(16, old.count * 2))
            for content in old where content != 0 {
                slots[emptySlot(from: UInt32(truncatingIfNeeded: content >> 32))] = content
            }
        }
    }
}

extension ShardedMap.Shard: Sendable where Value: Sendable {}
extension ShardedMap.Shard.Entry: Sendable where Value: Sendable {}
