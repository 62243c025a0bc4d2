/// Records for one topic written back to back into one buffer, each key and value a range of
/// it: a batch's alerts-topic records cost one growing buffer instead of a key array, a value
/// array and a message each. A ``KafkaProducer`` queues them all at once (its `enqueue` of a
/// batch), in order.
public struct KafkaRecordBatch: Sendable {
    /// Where one record lies in ``bytes``: its key from `keyStart` to `valueStart`, its value
    /// from `valueStart` to `valueEnd`.
    private struct Bounds: Sendable {
        var keyStart: Int
        var valueStart: Int
        var valueEnd: Int
    }

    /// The destination topic of every record.
    public let topic: String
    /// The records' keys and values, back to back.
    public private(set) var bytes: [UInt8] = []
    private var bounds: [Bounds] = []

    /// An empty batch for `topic`.
    public init(topic: String) {
        self.topic = topic
    }

    /// The number of records.
    public var count: Int { bounds.count }

    /// Whether there is no record.
    public var isEmpty: Bool { bounds.isEmpty }

    /// Keeps room for `records` more records of about `bytesEach` bytes (key and value).
    public mutating func reserveCapacity(records: Int, bytesEach: Int) {
        bounds.reserveCapacity(bounds.count + records)
        bytes.reserveCapacity(bytes.count + records * bytesEach)
    }

    /// Removes every record, keeping the buffers' capacity when `keepingCapacity` (a batch
    /// reused for the next records writes into memory already in use, not into fresh pages).
    public mutating func removeAll(keepingCapacity: Bool = false) {
        bytes.removeAll(keepingCapacity: keepingCapacity)
        bounds.removeAll(keepingCapacity: keepingCapacity)
    }

    /// Appends a record keyed by the UTF-8 bytes of `key`, its value written by `writeValue` at
    /// the end of the buffer it is given (it must only append).
    public mutating func append(key: String, value writeValue: (inout [UInt8]) -> Void) {
        let keyStart = bytes.count
        bytes.append(contentsOf: key.utf8)
        let valueStart = bytes.count
        writeValue(&bytes)
        precondition(bytes.count >= valueStart, "a record's value may only be appended")
        bounds.append(Bounds(keyStart: keyStart, valueStart: valueStart, valueEnd: bytes.count))
    }

    /// The key and value of record `index`.
    public subscript(index: Int) -> (key: ArraySlice<UInt8>, value: ArraySlice<UInt8>) {
        let record = bounds[index]
        return (bytes[record.keyStart..<record.valueStart], bytes[record.valueStart..<record.valueEnd])
    }

    /// Calls `body` once with every record's key and value in order, read where they lie:
    /// valid only during the call (for a call that takes all records at once).
    public func withRecords<R>(_ body: ([(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)]) -> R) -> R {
        bytes.withUnsafeBytes { all in
            body(bounds.map { record in
                (UnsafeRawBufferPointer(rebasing: all[record.keyStart..<record.valueStart]),
                 UnsafeRawBufferPointer(rebasing: all[record.valueStart..<record.valueEnd]))
            })
        }
    }
}
