import CPrefetch
import SalesPulseRuntime

/// Sample records laid out as a consumer's fetch buffers hold them: each record's key and value
/// side by side in one block of bytes, the records in the order they are processed. Records
/// kept as separate arrays put every key and value in a heap block of its own, scattered
/// through memory: reading one is a cache miss the runtime does not pay, and reading the keys
/// ahead (as the runtime's fold loop does to prefetch customers) adds more.
struct PackedRecords {
    /// Where one record lies in ``bytes``.
    struct Layout {
        let partition: Int
        let keyStart: Int
        let keyCount: Int
        let valueStart: Int
        let valueCount: Int
    }

    private(set) var bytes: [UInt8] = []
    private(set) var layouts: [Layout] = []

    /// Packs `records` in order.
    init(_ records: [ProcessStage.Record]) {
        bytes.reserveCapacity(records.reduce(0) { $0 + $1.key.count + $1.value.count })
        layouts.reserveCapacity(records.count)
        for record in records {
            let keyStart = bytes.count
            bytes += record.key
            let valueStart = bytes.count
            bytes += record.value
            layouts.append(Layout(partition: record.partition, keyStart: keyStart, keyCount: record.key.count, valueStart: valueStart, valueCount: record.value.count))
        }
    }

    /// Calls `body` with each record's position, partition, key and value, in order, having
    /// started loading the value of the record 4 ahead (as the runtime's fold loop does with
    /// librdkafka's messages).
    func forEach(_ body: (_ index: Int, _ partition: Int, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { bytes in
            layouts.withUnsafeBufferPointer { layouts in
                for index in layouts.indices {
                    if index + 4 < layouts.count {
                        let ahead = layouts[index + 4]
                        var line = 0
                        while line < 5 && line * 64 < ahead.valueCount {
                            salespulse_prefetch_read(bytes.baseAddress! + ahead.valueStart + line * 64)
                            line += 1
                        }
                    }
                    let layout = layouts[index]
                    body(index, layout.partition, key(layout, in: bytes), UnsafeRawBufferPointer(rebasing: bytes[layout.valueStart..<layout.valueStart + layout.valueCount]))
                }
            }
        }
    }

    /// ``forEach(_:)`` with the look-ahead the runtime's fold loop gives
    /// ``SalesPulseRuntime/PartitionProjector/process(value:key:offset:recordTime:decoder:next:keyAfterNext:)``:
    /// the partition's next record (its value too when `lookAhead` is `full`) and the key of the
    /// one after it, when they follow in order.
    func forEach(lookAhead: ProcessStage.LookAhead, _ body: (_ index: Int, _ partition: Int, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ next: PartitionProjector.UpcomingRecord?, _ keyAfterNext: UnsafeRawBufferPointer?) -> Void) {
        withBytes { bytes in
            forEach { index, partition, key, value in
                var next: PartitionProjector.UpcomingRecord?
                var keyAfterNext: UnsafeRawBufferPointer?
                if lookAhead != .none, index + 1 < count, self.partition(at: index + 1) == partition {
                    let upcoming = record(at: index + 1, in: bytes)
                    next = PartitionProjector.UpcomingRecord(key: upcoming.key, value: lookAhead == .full ? upcoming.value : nil)
                    if index + 2 < count, self.partition(at: index + 2) == partition {
                        keyAfterNext = record(at: index + 2, in: bytes).key
                    }
                }
                body(index, partition, key, value, next, keyAfterNext)
            }
        }
    }

    /// The partition of the record at `index`.
    func partition(at index: Int) -> Int { layouts[index].partition }

    /// The key and value of the record at `index`, for looking ahead inside ``forEach(_:)``.
    func record(at index: Int, in bytes: UnsafeRawBufferPointer) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let layout = layouts[index]
        return (key(layout, in: bytes), UnsafeRawBufferPointer(rebasing: bytes[layout.valueStart..<layout.valueStart + layout.valueCount]))
    }

    /// Calls `body` with the packed bytes (for ``record(at:in:)``).
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { bytes.withUnsafeBytes(body) }

    /// Number of records.
    var count: Int { layouts.count }

    private func key(_ layout: Layout, in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[layout.keyStart..<layout.keyStart + layout.keyCount])
    }
}
