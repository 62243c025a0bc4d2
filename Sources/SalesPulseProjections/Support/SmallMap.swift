import CPrefetch

/// A map from string keys to values, for the handful of entries one customer holds (its flows,
/// fields, open alerts, a visit's completed actions): the entries in one array, sorted by key.
///
/// A customer's state is touched once per event, and each of its `Dictionary`s cost a separate
/// heap block, a seeded hash of the key and a probe of buckets that are rarely in cache. Here a
/// lookup compares a few keys in one contiguous block, iteration is in key order (so nothing
/// needs sorting for checkpoints or output), and two maps with the same entries are equal and
/// hash the same whatever order they were filled in.
///
/// Lookups scan the entries while there are few and search by halves beyond that, so a map that
/// does grow large (fields of a heavily edited customer) stays logarithmic.
public struct SmallMap<Value>: RandomAccessCollection, ExpressibleByDictionaryLiteral {
    /// One entry.
    public typealias Element = (key: String, value: Value)

    /// One stored entry (``keys`` and ``values`` are views of them).
    public struct Entry {
        public var key: String
        public var value: Value

        @inlinable public init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    @usableFromInline var entries: [Entry]

    /// Up to this many entries a lookup compares keys one by one.
    @usableFromInline static var scanLimit: Int { 8 }

    /// Creates an empty map.
    @inlinable public init() { entries = [] }

    /// Creates a map from literal pairs; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }

    /// Creates a map holding a dictionary's entries.
    public init(_ dictionary: [String: Value]) {
        entries = dictionary.map { Entry(key: $0.key, value: $0.value) }
        entries.sort { $0.key < $1.key }
    }

    // MARK: Collection

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { entries.count }
    @inlinable public subscript(position: Int) -> Element { (entries[position].key, entries[position].value) }

    /// The keys, in order. (Closures, not key paths, here and below: a key path into a generic
    /// type is instantiated by the runtime at every call, about a microsecond each; it was a
    /// quarter of `CustomerState.reconcile` for customers with open alerts.)
    @inlinable public var keys: LazyMapCollection<[Entry], String> { entries.lazy.map { $0.key } }

    /// The values, in key order.
    @inlinable public var values: LazyMapCollection<[Entry], Value> { entries.lazy.map { $0.value } }

    // MARK: Lookup

    /// Where `key` is, or where it would be inserted (`found` false).
    @inlinable
    func position(of key: String) -> (index: Int, found: Bool) {
        if entries.count <= Self.scanLimit {
            for index in entries.indices {
                let candidate = entries[index].key
                if candidate == key { return (index, true) }
                if key < candidate { return (index, false) }
            }
            return (entries.count, false)
        }
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].key < key { low = middle + 1 } else { high = middle }
        }
        return (low, low < entries.count && entries[low].key == key)
    }

    /// The index of `key`'s entry, if present.
    @inlinable
    public func index(forKey key: String) -> Int? {
        // Equality first: most lookups find their key, and `==` on short keys is cheaper than `<`.
        if entries.count <= Self.scanLimit {
            for index in entries.indices where entries[index].key == key { return index }
            return nil
        }
        let (index, found) = position(of: key)
        return found ? index : nil
    }

    /// The value for `key`, if any; assigning nil removes it.
    @inlinable
    public subscript(key: String) -> Value? {
        get { index(forKey: key).map { entries[$0].value } }
        set {
            let (index, found) = position(of: key)
            switch (found, newValue) {
            case (true, let value?): entries[index].value = value
            case (true, nil): entries.remove(at: index)
            case (false, let value?): entries.insert(Entry(key: key, value: value), at: index)
            case (false, nil): break
            }
        }
    }

    /// The value for `key`, inserting `defaultValue` first if absent; mutated in place.
    @inlinable
    public subscript(key: String, default defaultValue: @autoclosure () -> Value) -> Value {
        get { index(forKey: key).map { entries[$0].value } ?? defaultValue() }
        _modify {
            var (index, found) = position(of: key)
            if !found {
                entries.insert(Entry(key: key, value: defaultValue()), at: index)
                found = true
            }
            yield &entries[index].value
        }
    }

    /// Mutates the value for `key` in place, if present; returns the closure's result.
    @inlinable
    public mutating func modifyValue<R>(forKey key: String, _ body: (inout Value) throws -> R) rethrows -> R? {
        guard let index = index(forKey: key) else { return nil }
        return try body(&entries[index].value)
    }

    /// Stores `value` for `key` unless the value there is to be kept (`keeps` is true for it),
    /// finding a present key once: reading the old value first and assigning after searched
    /// twice and copied the old value out.
    @inlinable
    public mutating func store(_ value: Value, forKey key: String, unlessKept keeps: (Value) -> Bool) {
        // Found by equality (cheaper than ordering strings, see ``index(forKey:)``); the place
        // of a new key is searched for only when it is missing.
        if let index = index(forKey: key) {
            if !keeps(entries[index].value) { entries[index].value = value }
        } else {
            entries.insert(Entry(key: key, value: value), at: position(of: key).index)
        }
    }

    /// Lends `key`'s value to `body`, if present, and returns what `body` returns: reading one
    /// property through the subscript copies the whole value out first.
    @inlinable
    public func withValue<R>(forKey key: String, _ body: (Value) -> R) -> R? {
        guard let index = index(forKey: key) else { return nil }
        return entries.withUnsafeBufferPointer { body($0[index].value) }
    }

    /// The index of `key`'s entry, inserting `makeValue()` for it first if absent: one search
    /// when present.
    @inlinable
    public mutating func index(forKey key: String, inserting makeValue: () -> Value) -> Int {
        if let index = index(forKey: key) { return index }
        let index = position(of: key).index
        entries.insert(Entry(key: key, value: makeValue()), at: index)
        return index
    }

    /// The value at `index` (from ``index(forKey:)``), read and mutated where it lies: passed
    /// `inout` to a function, nothing is copied, moved or left in its place.
    @inlinable
    public subscript(valueAt index: Int) -> Value {
        _read { yield entries[index].value }
        _modify { yield &entries[index].value }
    }

    /// Removes `key`'s entry and returns its value (moved out, not copied).
    @inlinable
    @discardableResult
    public mutating func removeValue(forKey key: String) -> Value? {
        guard let index = index(forKey: key) else { return nil }
        return entries.remove(at: index).value
    }

    /// Starts loading the first entries (a hint, which changes nothing): for a map read a little
    /// later, whose storage is rarely in the CPU caches. Reads no entry: an array is a single
    /// reference to its storage, whose address is taken without following it.
    @inline(__always)
    func prefetchEntries() {
        let storage = unsafeBitCast(entries, to: UnsafeRawPointer.self)
        salespulse_prefetch_read(storage)
        salespulse_prefetch_read(storage + 64)
    }

    /// Reserves room for `capacity` entries.
    public mutating func reserveCapacity(_ capacity: Int) { entries.reserveCapacity(capacity) }

    /// Appends an entry whose key sorts after every key present (as when reading entries
    /// written in order); any other key is inserted at its place.
    public mutating func appendInOrder(_ key: String, _ value: Value) {
        if let last = entries.last, !(last.key < key) { self[key] = value; return }
        entries.append(Entry(key: key, value: value))
    }

    /// A dictionary of the transformed values (for views that serialise as JSON objects).
    public func mapValues<T>(_ transform: (Value) throws -> T) rethrows -> [String: T] {
        var result: [String: T] = [:]
        result.reserveCapacity(entries.count)
        for entry in entries { result[entry.key] = try transform(entry.value) }
        return result
    }
}

extension SmallMap.Entry: Sendable where Value: Sendable {}
extension SmallMap.Entry: Equatable where Value: Equatable {}
extension SmallMap.Entry: Hashable where Value: Hashable {}
extension SmallMap: Sendable where Value: Sendable {}

extension SmallMap: Equatable where Value: Equatable {
    public static func == (a: SmallMap, b: SmallMap) -> Bool { a.entries == b.entries }
}

extension SmallMap: Hashable where Value: Hashable {
    public func hash(into hasher: inout Hasher) { hasher.combine(entries) }
}

extension SmallMap: CustomStringConvertible {
    public var description: String {
        "[" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
    }
}

/// Encoded and decoded as a JSON object (a keyed container), like `[String: Value]`.
extension SmallMap: Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: SmallMapKey.self)
        for entry in entries { try container.encode(entry.value, forKey: SmallMapKey(stringValue: entry.key)) }
    }
}

extension SmallMap: Decodable where Value: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init(try [String: Value](from: decoder))
    }
}

/// The coding key of a ``SmallMap`` entry: its key.
struct SmallMapKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
