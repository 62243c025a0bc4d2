import CPrefetch

extension ShardedMap {
    /// One shard of a ``ShardedMap``: its entries in one array, found through a ``SlotTable``
    /// tagged with the high 32 bits of each key's ``KeyHash``. A removal moves the last entry
    /// into the hole.
    struct Shard {
        /// A key and its value, side by side, with the map's ``ShardedMap/stamp`` when the
        /// entry was last inserted or lent for a change (32 bits: for a customer state, in the
        /// tail padding of the value, so an entry takes no more memory than without it).
        struct Entry {
            var key: String
            var value: Value
            var stamp: UInt32
        }

        var entries: [Entry] = []
        private var table = SlotTable()

        /// The entry index of `key`, if present.
        @inline(__always)
        func index(of key: String, hash: KeyHash) -> Int? {
            table.position(of: hash.tag) { entries[$0].key.hasSameUTF8(as: key) }
        }

        /// Starts loading the slot where a lookup of `hash` begins.
        @inline(__always)
        mutating func prefetchSlot(of hash: KeyHash) {
            table.prefetchHome(of: hash.tag)
        }

        /// Starts loading every cache line of the entry a lookup of `hash` most likely reads
        /// (found by its tag alone): best once the slot is in cache.
        @inline(__always)
        mutating func prefetchEntry(of hash: KeyHash) {
            guard let index = table.likelyPosition(of: hash.tag) else { return }
            entries.withUnsafeBufferPointer { entries in
                // The array's header (its reference count and count, which every change through
                // the array reads) ends where the first entry starts.
                salespulse_prefetch_read(UnsafeRawPointer(entries.baseAddress!) - 24)
                let start = UnsafeRawPointer(entries.baseAddress! + index)
                var offset = 0
                while offset < MemoryLayout<Entry>.stride {
                    salespulse_prefetch_read(start + offset)
                    offset += 64
                }
                // The entry's last line, when it starts in the middle of a line.
                salespulse_prefetch_read(start + (MemoryLayout<Entry>.stride - 1))
            }
        }

        /// The entry index of `key`, inserting `makeValue()` first when absent.
        @inline(__always)
        mutating func findOrInsert(_ key: String, hash: KeyHash, stamp: UInt32, _ makeValue: () -> Value) -> Int {
            if let index = index(of: key, hash: hash) { return index }
            insert(key, makeValue(), hash: hash, stamp: stamp)
            return entries.count - 1
        }

        /// Appends an entry for `key`, which is absent.
        mutating func insert(_ key: String, _ value: Value, hash: KeyHash, stamp: UInt32) {
            if table.needsToGrow(toHold: entries.count + 1) { table.grow() }
            entries.append(Entry(key: key, value: value, stamp: stamp))
            table.insert(tag: hash.tag, position: entries.count - 1)
        }

        /// Removes `key`'s entry, if present: the last entry moves into its place.
        mutating func remove(_ key: String, hash: KeyHash) {
            guard let index = index(of: key, hash: hash) else { return }
            table.remove(tag: hash.tag, position: index)
            let last = entries.count - 1
            if index != last {
                table.move(tag: KeyHash(entries[last].key).tag, from: last, to: index)
                entries.swapAt(index, last)
            }
            entries.removeLast()
        }
    }
}

extension ShardedMap.Shard: Sendable where Value: Sendable {}
extension ShardedMap.Shard.Entry: Sendable where Value: Sendable {}
