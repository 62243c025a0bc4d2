import SalesPulseModel

extension Repartition.CounterBatch {
    /// Calls `body` with each entry of a record value, in order, once the whole record has been
    /// checked: for a record that is not a batch of this format (another format byte, cut short,
    /// a number out of range, an unknown type, names not sorted or repeated) it calls nothing
    /// and returns false, so a damaged record is folded not at all rather than in part.
    ///
    /// The record is read where it lies and every entry handed over in one input whose
    /// attribute array is reused: decoding into ``entries(decoding:)``'s array copied the record
    /// and allocated an array per entry, all freed right after the fold.
    @discardableResult
    public static func forEachEntry(in bytes: UnsafeRawBufferPointer, _ body: (_ partition: Int32, _ offset: Int64, _ input: Repartition.CounterInput) -> Void) -> Bool {
        guard isWellFormed(bytes) else { return false }
        var cursor = BatchCursor(bytes)
        var attributes: [Repartition.CounterInput.Attribute] = []
        while !cursor.isAtEnd {
            // Checked above: every read succeeds.
            guard let header = cursor.entryHeader() else { return false }
            attributes.removeAll(keepingCapacity: true)
            for _ in 0..<header.count {
                guard let name = cursor.string(), let value = cursor.string() else { return false }
                attributes.append(Repartition.CounterInput.Attribute(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
            }
            // Gone at the end of the iteration: the array is unique again for the next entry.
            let input = Repartition.CounterInput(type: header.type, time: header.time, sortedAttributes: attributes)
            body(header.partition, header.offset, input)
        }
        return true
    }

    /// The entries of a record value, in order; nil when it is not a batch of this format (or
    /// is cut short). See ``forEachEntry(in:_:)``.
    public static func entries(decoding bytes: UnsafeRawBufferPointer) -> [Entry]? {
        var entries: [Entry] = []
        let wellFormed = forEachEntry(in: bytes) { partition, offset, input in
            entries.append(Entry(partition: partition, offset: offset, input: input))
        }
        return wellFormed ? entries : nil
    }

    /// Whether `bytes` is a batch record of this format, read to its end without building
    /// anything: names are compared as bytes (as strings where one is not ASCII).
    static func isWellFormed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 1, bytes[0] == format else { return false }
        var cursor = BatchCursor(bytes)
        while !cursor.isAtEnd {
            guard let header = cursor.entryHeader() else { return false }
            var previous: UnsafeRawBufferPointer?
            for _ in 0..<header.count {
                guard let name = cursor.string(), cursor.string() != nil else { return false }
                // Written sorted, each name once: anything else is not a record of ours.
                if let previous, !Self.precedes(previous, name) { return false }
                previous = name
            }
        }
        return true
    }

    /// Whether name `a` sorts strictly before name `b` as strings do.
    private static func precedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.allSatisfy({ $0 < 0x80 }), b.allSatisfy({ $0 < 0x80 }) else {
            return String(decoding: a, as: UTF8.self) < String(decoding: b, as: UTF8.self)
        }
        // ASCII: strings order as their bytes do.
        return a.lexicographicallyPrecedes(b)
    }
}

/// Reads a batch record where it lies, with the checks of ``StateReader`` (which reads an array
/// it owns: for a record, a copy of up to 256 KiB per batch).
private struct BatchCursor {
    /// What starts each entry.
    struct EntryHeader {
        var partition: Int32
        var offset: Int64
        var type: SalesEventType
        var time: EventTime
        /// Attributes that follow.
        var count: Int
    }

    let bytes: UnsafeRawBufferPointer
    var position = 1 // after the format byte

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { position >= bytes.count }

    mutating func entryHeader() -> EntryHeader? {
        guard let partition = varint().flatMap({ Int32(exactly: $0) }), let offset = varint().flatMap({ Int64(exactly: $0) }),
              position < bytes.count, let type = SalesEventType(rawValue: bytes[position]) else { return nil }
        position += 1
        guard let zigZag = varint(), let count = count() else { return nil }
        let time = EventTime(epochMilliseconds: Int64(bitPattern: zigZag >> 1) ^ -Int64(bitPattern: zigZag & 1))
        return EntryHeader(partition: partition, offset: offset, type: type, time: time, count: count)
    }

    /// An unsigned LEB128 varint (nil past the end or over 64 bits).
    mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count, shift < 64 {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }

    /// A count no larger than the bytes left (each counted item takes at least one).
    mutating func count() -> Int? {
        guard let value = varint(), value <= UInt64(bytes.count - position) else { return nil }
        return Int(value)
    }

    /// A length-prefixed string's bytes.
    mutating func string() -> UnsafeRawBufferPointer? {
        guard let count = count() else { return nil }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }
}
