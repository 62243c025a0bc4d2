import Foundation
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
import SalesPulseRuntime

/// `bench --stages process`: the runtime's per-record work without Kafka. The sample records
/// are spread over partitions by key as a producer would, and each goes through
/// ``PartitionProjector/process(value:key:offset:recordTime:decoder:)`` — decode, validate,
/// de-duplicate, fold, counters and keyed rules — on one core. This is the consume thread's
/// CPU cost per record; the `kafka` stage adds fetching, offsets, timers and checkpoints.
enum ProcessStage {
    /// One record as the consume loop sees it.
    struct Record {
        let partition: Int
        let key: [UInt8]
        let value: [UInt8]
    }

    /// Spreads samples over `partitions` by their subject (the key), then orders them as a
    /// consumer receives them: fetches return runs of one partition's records, so every
    /// `fetchRecords` records (in publish order) are grouped by partition, keeping each
    /// partition's order.
    static func records(_ samples: [[UInt8]], partitions: Int, fetchRecords: Int = 32_768) -> [Record] {
        let keyed = samples.map { sample in
            let key = SubjectScanner.subject(in: sample) ?? []
            return Record(partition: Int(KafkaPartitioner.consistent.partition(of: key, partitions: partitions)), key: key, value: sample)
        }
        var ordered: [Record] = []
        ordered.reserveCapacity(keyed.count)
        var start = 0
        while start < keyed.count {
            let fetch = keyed[start..<min(start + fetchRecords, keyed.count)]
            var runs = [[Record]](repeating: [], count: partitions)
            for record in fetch { runs[record.partition].append(record) }
            for run in runs { ordered += run }
            start += fetchRecords
        }
        return ordered
    }

    /// The first `limit` non-empty lines of a JSON Lines file (`bench --events-file`), nil when
    /// it cannot be opened.
    static func lines(of path: String, limit: Int) -> [[UInt8]]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var lines: [[UInt8]] = []
        var reader = LineReader(handle: handle)
        while lines.count < limit, let line = reader.next() {
            if !line.isEmpty { lines.append(line) }
        }
        return lines
    }

    /// The records' broker time: late enough that no sample event is in the future.
    static let recordTime = EventTime(epochMilliseconds: 1_900_000_000_000)

    /// A decoder that accepts the samples' times whatever today's date (no future-skew limit).
    static func makeDecoder() -> EventDecoder {
        var policy = ValidationPolicy()
        policy.maxFutureSkewMilliseconds = Int64.max / 4
        return EventDecoder(policy: policy)
    }

    /// Checkpoint cost of the projectors' state on one core: encoding every partition's
    /// checkpoint `encodeRounds` times (each round's time, in order), then writing them once
    /// (encode, LZ4, CRC, fsync, rename) and reading them back. The encoding alone is what a
    /// round taken in place while catching up pauses the fold for; it is repeated because one
    /// measurement of a few hundred milliseconds moves by a fifth between runs on this machine.
    static func checkpoint(_ projectors: [PartitionProjector], directory: String, encodeRounds: Int) throws -> (encode: [Duration], write: Duration, read: Duration, bytes: Int) {
        let store = try CheckpointStore(directory: directory)
        var bytes = 0
        var encode: [Duration] = []
        for _ in 0..<max(1, encodeRounds) {
            bytes = 0
            encode.append(try ContinuousClock().measure {
                for projector in projectors { bytes += try store.encode(projector.checkpoint()).size }
            })
        }
        bytes = 0
        let write = try ContinuousClock().measure {
            for projector in projectors { bytes += try store.write(projector.checkpoint()) }
        }
        let read = try ContinuousClock().measure {
            for projector in projectors { _ = try store.read(topic: projector.topic, partition: projector.partition) }
        }
        return (encode, write, read, bytes)
    }

    /// What incremental checkpoints save: every record but the last `tail` folded and written
    /// as full checkpoints (the bases), the last `tail` folded, then the state written as deltas
    /// over the bases and, for comparison, as full checkpoints again (write: encode, LZ4, CRC,
    /// fsync, rename, each partition in turn on one core). Returns the times, the bytes written
    /// and the customers the deltas hold (changed since the bases) of all there are.
    static func incrementalCheckpoint(_ records: [Record], tail: Int, partitions: Int, configuration: ProcessConfiguration, directory: String) throws
        -> (delta: Duration, deltaBytes: Int, full: Duration, fullBytes: Int, changed: Int, customers: Int) {
        let store = try CheckpointStore(directory: directory)
        var projectors = (0..<partitions).map { PartitionProjector(topic: "bench", partition: Int32($0), configuration: configuration) }
        var offsets = [Int64](repeating: 0, count: partitions)
        let decoder = makeDecoder()
        func fold(_ range: Range<Int>) {
            for record in records[range] {
                _ = record.value.withUnsafeBytes { value in
                    record.key.withUnsafeBytes { key in
                        projectors[record.partition].process(value: value, key: key, offset: offsets[record.partition], recordTime: Self.recordTime, decoder: decoder)
                    }
                }
                offsets[record.partition] += 1
            }
        }
        let split = max(0, records.count - tail)
        fold(0..<split)
        var bases: [BaseCheckpoint] = []
        for index in projectors.indices {
            let staged = try store.stage(projectors[index].checkpoint())
            try store.publish([staged])
            bases.append(projectors[index].base(checksum: staged.checksum, bytes: staged.size))
            projectors[index].startChangeGeneration()
        }
        fold(split..<records.count)
        let changed = projectors.indices.reduce(0) { $0 + projectors[$1].customersChanged(since: bases[$1]) }
        var deltaBytes = 0
        let delta = try ContinuousClock().measure {
            for index in projectors.indices {
                let staged = try store.stage(projectors[index].checkpoint(over: bases[index]))
                try store.publish([staged])
                deltaBytes += staged.size
            }
        }
        var fullBytes = 0
        let full = try ContinuousClock().measure {
            for projector in projectors { fullBytes += try store.write(projector.checkpoint()) }
        }
        return (delta, deltaBytes, full, fullBytes, changed, projectors.reduce(0) { $0 + $1.projection.customerCount })
    }

    /// What ``fold(_:partitions:configuration:lookAhead:)`` tells the projectors of the records
    /// coming next (`bench --look-ahead`).
    enum LookAhead: String {
        /// As the runtime's fold loop: the partition's next two records, keys and values.
        case full
        /// Their keys only: the customers are prefetched, not the ids.
        case customers
        /// Nothing.
        case none
    }

    /// Processes every record once on fresh projectors; returns the wall-clock time and the
    /// CPU seconds of this thread taken by the records.
    static func measure(_ records: [Record], partitions: Int, configuration: ProcessConfiguration, lookAhead: LookAhead = .full) -> (wall: Duration, cpu: Double, statistics: PartitionStatistics) {
        let (elapsed, cpu, projectors) = fold(records, partitions: partitions, configuration: configuration, lookAhead: lookAhead)
        return (elapsed, cpu, projectors.reduce(PartitionStatistics()) { $0 + $1.statistics })
    }

    /// Processes every record once as the runtime does by default: the input partitions forward
    /// counter inputs and rep exits, gathered per consumed batch of `batchSize` records into
    /// ``Repartition/CounterBatch`` records, and the repartitioned partitions fold those records
    /// (everything on this thread; only the broker round trip is left out). The records are
    /// packed and looked ahead as in ``fold(_:partitions:configuration:lookAhead:)``, so the two
    /// runs differ only by the forwarding. Returns the
    /// wall-clock and CPU time taken and the statistics of all projectors.
    static func measureRepartitioned(_ records: [Record], partitions: Int, configuration: ProcessConfiguration, batchSize: Int = 16_384) -> (wall: Duration, cpu: Double, statistics: PartitionStatistics) {
        var inputs = (0..<partitions).map { PartitionProjector(topic: "bench", partition: Int32($0), configuration: configuration, role: .input(repartitioning: true)) }
        // The repartitioned partitions, by attribute (rep exits included when there are N-in-a-row rules).
        var repartitioned: [String: [PartitionProjector]] = [:]
        for attribute in Repartition.attributes(of: configuration) {
            let topic = Repartition.topic(group: "bench", attribute: attribute)
            let role = PartitionProjector.Role.of(topic: topic, group: "bench", repartitioning: true)
            repartitioned[attribute] = (0..<partitions).map { PartitionProjector(topic: topic, partition: Int32($0), configuration: configuration, role: role) }
        }
        var inputOffsets = [Int64](repeating: 0, count: partitions)
        var repartitionedOffsets = repartitioned.mapValues { _ in [Int64](repeating: 0, count: partitions) }
        let decoder = makeDecoder()
        let counts = Dictionary(uniqueKeysWithValues: repartitioned.keys.map { ($0, partitions) })
        func deliver(_ value: [UInt8], attribute: String, partition: Int) {
            let offset = repartitionedOffsets[attribute]![partition]
            value.withUnsafeBytes { value in
                _ = repartitioned[attribute]![partition].process(value: value, key: nil, offset: offset, recordTime: Self.recordTime, decoder: decoder)
            }
            repartitionedOffsets[attribute]![partition] += 1
        }
        let packed = PackedRecords(records)
        let (elapsed, cpu) = CPUTime.measureThread {
            var outbox = RepartitionOutbox(partitionCounts: counts)
            packed.forEach(lookAhead: .full) { index, partition, key, value, next, keyAfterNext in
                let offset = inputOffsets[partition]
                _ = inputs[partition].process(value: value, key: key, offset: offset, recordTime: Self.recordTime, decoder: decoder, next: next, keyAfterNext: keyAfterNext)
                inputOffsets[partition] += 1
                for forward in inputs[partition].forwards {
                    if let (destination, full) = outbox.add(forward, from: Int32(partition), offset: offset) {
                        deliver(full.bytes, attribute: destination.attribute, partition: Int(destination.partition))
                    }
                }
                for exit in inputs[partition].exitForwards {
                    let target = Int(KafkaPartitioner.consistent.partition(of: exit.exit.rep, partitions: partitions))
                    deliver(exit.encoded, attribute: Repartition.repExits, partition: target)
                }
                // The end of a consumed batch: what it forwarded is sent.
                if (index + 1) % batchSize == 0 || index + 1 == packed.count {
                    for (destination, batch) in outbox.drain() {
                        deliver(batch.bytes, attribute: destination.attribute, partition: Int(destination.partition))
                    }
                }
            }
        }
        let all = inputs + repartitioned.values.flatMap { $0 }
        return (elapsed, cpu, all.reduce(PartitionStatistics()) { $0 + $1.statistics })
    }

    /// Processes every record once on fresh projectors, as the runtime's fold loop does: values
    /// prefetched 4 records ahead (see ``PackedRecords``), and — unless `lookAhead` is `none` —
    /// the partition's next two records given to the look-ahead of
    /// ``PartitionProjector/process(value:key:offset:recordTime:decoder:next:keyAfterNext:)``.
    /// Returns the wall-clock and CPU time taken and the projectors.
    static func fold(_ records: [Record], partitions: Int, configuration: ProcessConfiguration, lookAhead: LookAhead = .full) -> (wall: Duration, cpu: Double, projectors: [PartitionProjector]) {
        var projectors = (0..<partitions).map { PartitionProjector(topic: "bench", partition: Int32($0), configuration: configuration) }
        var offsets = [Int64](repeating: 0, count: partitions)
        let decoder = makeDecoder()
        let packed = PackedRecords(records)
        let (elapsed, cpu) = CPUTime.measureThread {
            packed.forEach(lookAhead: lookAhead) { _, partition, key, value, next, keyAfterNext in
                _ = projectors[partition].process(value: value, key: key, offset: offsets[partition], recordTime: Self.recordTime, decoder: decoder, next: next, keyAfterNext: keyAfterNext)
                offsets[partition] += 1
            }
        }
        return (elapsed, cpu, projectors)
    }
}
