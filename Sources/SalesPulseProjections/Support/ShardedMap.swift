/// A map keyed by string, split into a fixed number of shards by a stable hash of the key, each
/// shard a flat array of entries found through a ``SlotTable`` (see ``KeyHash`` and
/// `ShardedMap+Shard.swift`).
///
/// Why not `[String: Value]`:
/// - One hash of the key's bytes picks both the shard and the slot. A `Dictionary` keyed by
///   `String` runs SipHash over the key for every lookup, on top of the shard hash.
/// - A key and its value sit next to each other in one array of entries. The slot table holds
///   8 bytes per slot: a 32-bit tag of the hash and the entry's index. Keys whose tags differ
///   are passed over without reading them; a hit reads one entry.
/// - Growth never rehashes more than one shard at a time, and rebuilding a shard's slots reads
///   only the tags, never a key. A single `Dictionary` of 1,000,000 customer states stalls its
///   owner for about half a second when it doubles; here the same growth is spread over 64 small
///   ones, which keeps publish-to-dashboard latency flat while the customer base grows.
///
/// Keys are told apart by their UTF-8 bytes (see ``KeyHash``), as Kafka tells record keys apart.
///
/// Iteration order is the shard order, then each shard's entry order: the order of insertion,
/// except that a removal moves the shard's last entry into the hole. Sort when the order
/// matters. Equality and hashing do not depend on it.
///
/// Each entry notes the map's ``stamp`` as of its last insertion or change (any lending of
/// its value for a change counts, whether or not the value changed): an owner that sets the
/// stamp to a rising number (a generation of changes) finds the entries changed since any
/// position (``countChanged(since:)``, ``forEachValueAddressSortedByKey(changedSince:_:)``), as
/// an incremental checkpoint needs. Stamps take no part in equality or hashing.
public struct ShardedMap<Value>: Sequence {
    /// Shards per map.
    public static var shardCount: Int { 64 }

    private var shards: [Shard]

    /// What an entry inserted or changed from now on notes (see the type's notes); 0 at first.
    /// Setting it never copies the entries of a map that shares them.
    public var stamp: UInt32 = 0

    /// Creates an empty map.
    public init() {
        shards = Array(repeating: Shard(), count: Self.shardCount)
    }

    /// Creates a map holding `values`, keyed by `key`.
    public init<S: Sequence>(_ values: S, key: (Value) -> String) where S.Element == Value {
        self.init()
        for value in values { self[key(value)] = value }
    }

    /// The shard of a key (`0..<shardCount`), stable across processes.
    @inline(__always)
    static func shard(of hash: KeyHash) -> Int { Int(truncatingIfNeeded: hash.value) & (shardCount - 1) }

    /// The value for `key`, if any; assigning nil removes it.
    public subscript(key: String) -> Value? {
        get {
            let hash = KeyHash(key)
            let shard = Self.shard(of: hash)
            guard let index = shards[shard].index(of: key, hash: hash) else { return nil }
            return shards[shard].entries[index].value
        }
        set {
            let hash = KeyHash(key)
            let shard = Self.shard(of: hash)
            if let newValue {
                if let index = shards[shard].index(of: key, hash: hash) {
                    shards[shard].entries[index].value = newValue
                    shards[shard].entries[index].stamp = stamp
                } else {
                    shards[shard].insert(key, newValue, hash: hash, stamp: stamp)
                }
            } else {
                shards[shard].remove(key, hash: hash)
            }
        }
    }

    /// The value for `key`, inserting `defaultValue` first if absent; mutated in place.
    public subscript(key: String, default defaultValue: @autoclosure () -> Value) -> Value {
        get { self[key] ?? defaultValue() }
        _modify {
            let hash = KeyHash(key)
            let shard = Self.shard(of: hash)
            let index = shards[shard].findOrInsert(key, hash: hash, stamp: stamp, defaultValue)
            shards[shard].entries[index].stamp = stamp
            yield &shards[shard].entries[index].value
        }
    }

    /// Inserts `value` unless `key` is present (one lookup); true if it was inserted.
    public mutating func insertIfAbsent(_ key: String, _ value: @autoclosure () -> Value) -> Bool {
        let hash = KeyHash(key)
        let shard = Self.shard(of: hash)
        guard shards[shard].index(of: key, hash: hash) == nil else { return false }
        shards[shard].insert(key, value(), hash: hash, stamp: stamp)
        return true
    }

    /// Mutates the value for `key` in place, inserting `makeValue()` first when absent; returns
    /// the closure's result. Unlike the defaulting subscript (a `_modify` coroutine, whose
    /// default closure — and whatever it captures — is boxed on the heap for every call), the
    /// closures here stay on the stack.
    @inline(__always)
    public mutating func modify<R>(_ key: String, inserting makeValue: () -> Value, _ body: (inout Value) -> R) -> R {
        let hash = KeyHash(key)
        let shard = Self.shard(of: hash)
        let index = shards[shard].findOrInsert(key, hash: hash, stamp: stamp, makeValue)
        return Self.modifyEntry(&shards[shard].entries[index], stamp: stamp, body)
    }

    /// Mutates the value for `key` in place, if present; returns the closure's result.
    public mutating func modify<R>(_ key: String, _ body: (inout Value) -> R) -> R? {
        let hash = KeyHash(key)
        let shard = Self.shard(of: hash)
        guard let index = shards[shard].index(of: key, hash: hash) else { return nil }
        return Self.modifyEntry(&shards[shard].entries[index], stamp: stamp, body)
    }

    /// Stamps an entry and lends its value to `body` for a change, in one access.
    @inline(__always)
    private static func modifyEntry<R>(_ entry: inout Shard.Entry, stamp: UInt32, _ body: (inout Value) -> R) -> R {
        entry.stamp = stamp
        return body(&entry.value)
    }

    /// Starts loading the slot where a lookup of the key with UTF-8 bytes `key` begins: a hint
    /// for a lookup coming soon, which changes nothing. With ``prefetchEntry(forKey:)`` a
    /// caller that knows its next keys pipelines the lookups' cache misses (the slot, then the
    /// entry it points at), which otherwise wait one for the other.
    @inline(__always)
    public mutating func prefetchSlot(forKey key: UnsafeRawBufferPointer) { prefetchSlot(of: KeyHash(bytes: key)) }

    /// Starts loading the entry (key and value) of the key with UTF-8 bytes `key`, if present,
    /// reading its slot: best a little after ``prefetchSlot(forKey:)``, once the slot is in
    /// cache. A hint, which changes nothing.
    @inline(__always)
    public mutating func prefetchEntry(forKey key: UnsafeRawBufferPointer) { prefetchEntry(of: KeyHash(bytes: key)) }

    /// ``prefetchSlot(forKey:)-(UnsafeRawBufferPointer)`` for a key held as a string.
    @inline(__always)
    mutating func prefetchSlot(forKey key: String) { prefetchSlot(of: KeyHash(key)) }

    /// ``prefetchEntry(forKey:)-(UnsafeRawBufferPointer)`` for a key held as a string.
    @inline(__always)
    mutating func prefetchEntry(forKey key: String) { prefetchEntry(of: KeyHash(key)) }

    @inline(__always)
    private mutating func prefetchSlot(of hash: KeyHash) { shards[Self.shard(of: hash)].prefetchSlot(of: hash) }

    @inline(__always)
    private mutating func prefetchEntry(of hash: KeyHash) { shards[Self.shard(of: hash)].prefetchEntry(of: hash) }

    /// Mutates every value in place.
    public mutating func modifyEach(_ body: (inout Value) -> Void) {
        for shard in shards.indices {
            for index in shards[shard].entries.indices {
                shards[shard].entries[index].stamp = stamp
                body(&shards[shard].entries[index].value)
            }
        }
    }

    /// Calls `body` with every value of one shard (`0..<shardCount`) in turn, lent in place: a
    /// closure that reads a field itself copies no value, where iterating ``values(inShard:)``
    /// copies each (for a customer state, a retain of every field). A closure that passes the
    /// value on to a function that is not inlined copies it whole: such scans take each value's
    /// address instead (``forEachValueAddress(inShard:_:)``).
    @inline(__always)
    public func forEachValue(inShard shard: Int, _ body: (borrowing Value) -> Void) {
        shards[shard].entries.withUnsafeBufferPointer { entries in
            for index in entries.indices { body(entries[index].value) }
        }
    }

    /// Calls `body` with the address of every value of one shard (`0..<shardCount`) in turn,
    /// valid during the call: for a scan that reads a few fields of each, in place. A value
    /// lent to a closure (``forEachValue(inShard:_:)``) is copied first when the closure passes
    /// it on to a function that is not inlined (for a customer state, a retain and a release of
    /// every field: half the time of computing PHI over every customer).
    @inline(__always)
    public func forEachValueAddress(inShard shard: Int, _ body: (UnsafePointer<Value>) -> Void) {
        shards[shard].entries.withUnsafeBufferPointer { entries in
            guard let base = entries.baseAddress else { return }
            for index in entries.indices { body((base + index).pointer(to: \.value)!) }
        }
    }

    /// The values of one shard (`0..<shardCount`), for work done a shard at a time.
    public func values(inShard shard: Int) -> some Collection<Value> { shards[shard].entries.lazy.map { $0.value } }

    /// Number of entries.
    public var count: Int {
        // By index, in place: `reduce` passed each shard by value, a retain and a release of
        // its arrays (the status, which `/metrics` reads, counts every partition's customers).
        shards.withUnsafeBufferPointer { shards in
            var count = 0
            for shard in shards.indices { count += shards[shard].entries.count }
            return count
        }
    }

    /// True when the map holds nothing.
    public var isEmpty: Bool { shards.allSatisfy { $0.entries.isEmpty } }

    /// The values, shard by shard.
    public var values: some Sequence<Value> { shards.lazy.flatMap { $0.entries.lazy.map { $0.value } } }

    /// The values in the order of their keys (`String`'s `<`): their positions are sorted by
    /// key and each value is copied once, into its place.
    public func valuesSortedByKey() -> [Value] {
        positionsSortedByKey().map { shards[Int($0.shard)].entries[Int($0.index)].value }
    }

    /// Every entry's key and position (of those stamped `since` or later, when given), sorted by
    /// key. The keys are read where they lie: `entries[index].key` on the array copied the whole
    /// entry (a customer state's every field retained and released) to read its key.
    private func positionsSortedByKey(changedSince since: UInt32? = nil) -> [(key: String, shard: Int32, index: Int32)] {
        var positions: [(key: String, shard: Int32, index: Int32)] = []
        positions.reserveCapacity(since == nil ? count : 0)
        for shard in shards.indices {
            shards[shard].entries.withUnsafeBufferPointer { entries in
                for index in entries.indices where since == nil || entries[index].stamp >= since! {
                    positions.append((entries[index].key, Int32(shard), Int32(index)))
                }
            }
        }
        positions.sort { $0.key < $1.key }
        return positions
    }

    /// The number of entries inserted or changed with a ``stamp`` of `since` or later.
    public func countChanged(since: UInt32) -> Int {
        shards.withUnsafeBufferPointer { shards in
            var count = 0
            for shard in shards.indices {
                shards[shard].entries.withUnsafeBufferPointer { entries in
                    for index in entries.indices where entries[index].stamp >= since { count += 1 }
                }
            }
            return count
        }
    }

    /// Calls `body` with the address of every value (of those inserted or changed with a
    /// ``stamp`` of `since` or later, when given) in the order of their keys (`String`'s `<`),
    /// valid during the call: for writing values in a deterministic order without copying any
    /// (``valuesSortedByKey()`` copies each into a new array).
    public func forEachValueAddressSortedByKey(changedSince since: UInt32? = nil, _ body: (UnsafePointer<Value>) -> Void) {
        let positions = positionsSortedByKey(changedSince: since)
        shards.withUnsafeBufferPointer { shards in
            for position in positions {
                shards[Int(position.shard)].entries.withUnsafeBufferPointer { entries in
                    body((entries.baseAddress! + Int(position.index)).pointer(to: \.value)!)
                }
            }
        }
    }

    /// The keys, shard by shard.
    public var keys: some Sequence<String> { shards.lazy.flatMap { $0.entries.lazy.map { $0.key } } }

    public func makeIterator() -> some IteratorProtocol<(key: String, value: Value)> {
        shards.lazy.flatMap { $0.entries.lazy.map { (key: $0.key, value: $0.value) } }.makeIterator()
    }
}

extension ShardedMap: Sendable where Value: Sendable {}

extension ShardedMap: Equatable where Value: Equatable {
    /// Equal when both hold the same keys with equal values, whatever the order they were
    /// inserted in.
    public static func == (a: ShardedMap, b: ShardedMap) -> Bool {
        guard a.count == b.count else { return false }
        for (key, value) in a {
            guard let other = b[key], other == value else { return false }
        }
        return true
    }
}

extension ShardedMap: Hashable where Value: Hashable {
    /// Hashes the entries independently of their order (as `Dictionary` does): each entry's hash
    /// is computed alone and the results are added.
    public func hash(into hasher: inout Hasher) {
        var sum = 0
        for (key, value) in self {
            var entry = Hasher()
            entry.combine(key)
            entry.combine(value)
            sum &+= entry.finalize()
        }
        hasher.combine(count)
        hasher.combine(sum)
    }
}
