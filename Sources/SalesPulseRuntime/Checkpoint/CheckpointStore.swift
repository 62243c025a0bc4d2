import Foundation
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections

/// The state of one partition together with the offset it reflects.
public struct PartitionCheckpoint: Sendable, Codable, Equatable {
    /// Format version of the payload; a checkpoint of another version is rebuilt from the log.
    /// Version 2: recent ids as 128-bit fingerprints instead of strings. Version 3: the state
    /// in ``BinaryStateEncoder``'s format instead of JSON. Version 4: repartitioned partitions
    /// de-duplicate by input offsets (``inputOffsets``) instead of event ids. Version 5: the
    /// customers in ``StateWriter``'s positional layout, one byte string under `customers`
    /// (checkpoints write four to six times faster than through the generic `Encoder`).
    /// Version 6: repartitioned partitions keep their counter rules' runs and open alerts
    /// (``counterRules``), the earliest counter input not yet evaluated and how far each input
    /// partition has got (``sourceProgress``). Version 7: the counters and the keyed rules'
    /// state in ``StateWriter``'s positional layout, sorted, one byte string each under
    /// `counters` and `rules` (see ``CounterProjection/write(to:)`` and
    /// ``KeyedRuleProjection/write(to:)``). Version 8: the counter rules keep every stopped run
    /// of a group within the lookback, not only the last. Version 9: the checkpoint's
    /// ``origin`` (cluster id and fold configuration digest). Version 10: each customer keeps the
    /// event times its rep and region were named at (``CustomerState/repNamedAt``). Version 11:
    /// each field keeps when it was first filled in (``FieldState/firstUpdatedAt``). Version 12:
    /// each customer keeps the blockages no visit contained yet (``CustomerState/unplaced``),
    /// each visit its re-entries and repeated valid executions (``StepVisit/reentries``,
    /// ``StepVisit/repeats``), and its quotes' timeline (``CustomerState/quotes``). Version 13:
    /// each customer keeps the actions no visit contained yet (``CustomerState/unplacedActions``).
    /// Deltas (session 61) add an optional ``base`` under a version 13 header: a full checkpoint
    /// is written as before, and a build that does not know deltas reads the full one alone.
    public static let formatVersion: UInt32 = 13

    public var topic: String
    public var partition: Int32
    /// The offset of the next record to read: every record before it is reflected in the state.
    public var nextOffset: Int64
    /// The partition's event-time watermark.
    public var watermark: EventTime?
    /// Customer states, sorted by customer id (deterministic bytes).
    ///
    /// A checkpoint taken from a projector holds the projector's customer map itself (a
    /// copy-on-write reference, ``Customers/map(_:)``) and writes it in id order where it lies;
    /// reading this property sorts the states into a new array.
    public var customers: [CustomerState] {
        get { customerStates.sorted }
        set { customerStates = .sorted(newValue) }
    }
    /// The customer states as held: a sorted array (read from a file), or a projector's map.
    var customerStates: Customers
    /// Fingerprints of the recent event ids, oldest first, 16 bytes each (see
    /// ``RecentIDs/encoded``), for de-duplication across restarts.
    public var recentIDs: [UInt8]
    /// Counters.
    public var statistics: PartitionStatistics
    /// Sliding-window counter state.
    public var counters: CounterProjection
    /// Keyed rule state (absent in checkpoints written before keyed rules existed).
    public var rules: KeyedRuleProjection?
    /// On a repartitioned partition, the highest offset folded from each input partition,
    /// sorted by partition (nil elsewhere).
    public var inputOffsets: [InputOffset]?
    /// On a repartitioned partition, its counter rules' runs and open alerts (nil before the
    /// first evaluation, and elsewhere).
    public var counterRules: CounterRuleEvaluator?
    /// The earliest event time of a counter input folded and not yet evaluated by the rules.
    public var earliestCounterInput: EventTime?
    /// On a repartitioned partition, how far each input partition has got, sorted by partition.
    public var sourceProgress: [Repartition.Progress.Source]?
    /// The cluster and configuration the state and offsets are relative to (nil: not recorded,
    /// accepted anywhere); a runtime restores only checkpoints of its own origin.
    public var origin: CheckpointOrigin? = nil
    /// Nil for a full checkpoint. Otherwise this is a delta over the full checkpoint it names
    /// (see `PartitionCheckpoint+Delta.swift`): ``customers`` holds only the customers changed
    /// since that base and ``recentIDs`` only the ids seen since; every other member is whole.
    public var base: BaseReference? = nil

    /// How a checkpoint holds its customer states.
    enum Customers: Sendable, Equatable {
        /// Sorted by customer id.
        case sorted([CustomerState])
        /// A projector's map, written in id order without a copy of any state.
        case map(ShardedMap<CustomerState>)
        /// The states of a projector's map stamped `since` or later (changed in the generations
        /// after a full checkpoint's: ``PartitionProjector/startChangeGeneration()``), written in
        /// id order without a copy of any state.
        case changed(ShardedMap<CustomerState>, since: UInt32)

        /// The states sorted by customer id.
        var sorted: [CustomerState] {
            switch self {
            case .sorted(let states): return states
            case .map(let map): return map.valuesSortedByKey()
            case .changed(let map, let since):
                var states: [CustomerState] = []
                map.forEachValueAddressSortedByKey(changedSince: since) { states.append($0.pointee) }
                return states
            }
        }

        /// The number of customers.
        var count: Int {
            switch self {
            case .sorted(let states): states.count
            case .map(let map): map.count
            case .changed(let map, let since): map.countChanged(since: since)
            }
        }

        /// Equal when they hold the same states, however held.
        static func == (a: Customers, b: Customers) -> Bool {
            switch (a, b) {
            case (.sorted(let x), .sorted(let y)): x == y
            case (.map(let x), .map(let y)): x == y
            default: a.sorted == b.sorted
            }
        }
    }

    /// The highest offset of an input partition a repartitioned partition has folded.
    public struct InputOffset: Sendable, Codable, Equatable {
        public var partition: Int32
        public var offset: Int64
    }
}

extension PartitionCheckpoint {
    private enum CodingKeys: String, CodingKey {
        case topic, partition, nextOffset, watermark, customers, recentIDs, statistics, counters, rules, inputOffsets, counterRules, earliestCounterInput, sourceProgress, origin, base
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(topic, forKey: .topic)
        try container.encode(partition, forKey: .partition)
        try container.encode(nextOffset, forKey: .nextOffset)
        try container.encodeIfPresent(watermark, forKey: .watermark)
        // Spliced into the binary encoder's output as they are (``SplicedBytes``).
        try container.encode(SplicedBytes(Self.customerBytes(customerStates)), forKey: .customers)
        try container.encode(SplicedBytes(recentIDs), forKey: .recentIDs)
        try container.encode(statistics, forKey: .statistics)
        try container.encode(SplicedBytes(StateWriter.bytes(counters.write)), forKey: .counters)
        try container.encodeIfPresent(rules.map { SplicedBytes(StateWriter.bytes($0.write)) }, forKey: .rules)
        try container.encodeIfPresent(inputOffsets, forKey: .inputOffsets)
        try container.encodeIfPresent(counterRules, forKey: .counterRules)
        try container.encodeIfPresent(earliestCounterInput, forKey: .earliestCounterInput)
        try container.encodeIfPresent(sourceProgress, forKey: .sourceProgress)
        try container.encodeIfPresent(origin, forKey: .origin)
        try container.encodeIfPresent(base, forKey: .base)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        topic = try container.decode(String.self, forKey: .topic)
        partition = try container.decode(Int32.self, forKey: .partition)
        nextOffset = try container.decode(Int64.self, forKey: .nextOffset)
        watermark = try container.decodeIfPresent(EventTime.self, forKey: .watermark)
        customerStates = .sorted(try Self.customers(from: container.decode(SplicedBytes.self, forKey: .customers).bytes))
        recentIDs = try container.decode(SplicedBytes.self, forKey: .recentIDs).bytes
        statistics = try container.decode(PartitionStatistics.self, forKey: .statistics)
        counters = try StateReader.read(container.decode(SplicedBytes.self, forKey: .counters).bytes) { reader throws(StateReadError) in try CounterProjection(reading: &reader) }
        rules = try container.decodeIfPresent(SplicedBytes.self, forKey: .rules).map { spliced throws(StateReadError) in
            try StateReader.read(spliced.bytes) { reader throws(StateReadError) in try KeyedRuleProjection(reading: &reader) }
        }
        inputOffsets = try container.decodeIfPresent([InputOffset].self, forKey: .inputOffsets)
        counterRules = try container.decodeIfPresent(CounterRuleEvaluator.self, forKey: .counterRules)
        earliestCounterInput = try container.decodeIfPresent(EventTime.self, forKey: .earliestCounterInput)
        sourceProgress = try container.decodeIfPresent([Repartition.Progress.Source].self, forKey: .sourceProgress)
        origin = try container.decodeIfPresent(CheckpointOrigin.self, forKey: .origin)
        base = try container.decodeIfPresent(BaseReference.self, forKey: .base)
    }

    /// The customers in ``StateWriter``'s layout: the count, then each customer.
    static func customerBytes(_ customers: Customers) -> [UInt8] {
        // Room for 512 bytes a customer (the soak's take 175 – 360): reserved, not touched, so
        // the buffer is rarely grown — a copy of everything written so far into fresh memory.
        let count = customers.count
        var writer = StateWriter(capacity: count * 512)
        writer.write(count: count)
        switch customers {
        case .sorted(let states):
            // By address, in place: a state lent from an array or buffer was copied first (a
            // retain and release of every field).
            states.withUnsafeBufferPointer { states in
                guard let base = states.baseAddress else { return }
                for index in states.indices { CustomerState.write(base + index, to: &writer) }
            }
        case .map(let map):
            // In id order where they lie: a sorted copy of every state, and its release after
            // the write, took about a third of encoding a partition (BENCHMARKS.md, session 50).
            map.forEachValueAddressSortedByKey { CustomerState.write($0, to: &writer) }
        case .changed(let map, let since):
            map.forEachValueAddressSortedByKey(changedSince: since) { CustomerState.write($0, to: &writer) }
        }
        return writer.bytes
    }

    /// Reads what ``customerBytes(_:)`` wrote; throws when the bytes are truncated or corrupt.
    static func customers(from bytes: [UInt8]) throws(StateReadError) -> [CustomerState] {
        var reader = StateReader(bytes)
        let count = try reader.readCount()
        var customers: [CustomerState] = []
        customers.reserveCapacity(count)
        for _ in 0..<count { customers.append(try CustomerState(reading: &reader)) }
        guard reader.isAtEnd else { throw StateReadError(position: reader.position, "unexpected bytes after \(count) customers") }
        return customers
    }
}

/// Why a checkpoint could not be used.
public struct CheckpointError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// What happens instead.
    public var consequence = "the partition will be rebuilt from the log"
    public var description: String { "checkpoint \(path): \(reason); \(consequence)" }
}

/// Writes and reads partition checkpoints: `<dir>/<topic>-<partition>.ckpt`, a full one, and
/// `<dir>/<topic>-<partition>.delta.ckpt`, a delta over it (see
/// `PartitionCheckpoint+Delta.swift`), when there is one.
///
/// Layout: magic `SPCK`, format version (u32 LE), CRC-32 of the compressed payload (u32 LE),
/// original size (u64 LE), compressed size (u64 LE), then the LZ4 frame of the state encoded by
/// ``BinaryStateEncoder`` (the same `Codable` model as JSON, without text formatting; the
/// customers, the bulk of it, inside as one ``StateWriter`` byte string).
/// Written to a temporary file, fsynced, renamed over the old one, and the folder fsynced:
/// a crash leaves either the old or the new checkpoint, never half of one. A full checkpoint
/// put in place removes the delta over the one it replaced; a crash in between leaves a delta
/// that names another base, which reading passes over.
public struct CheckpointStore: Sendable {
    /// The folder holding the checkpoints.
    public let directory: String

    /// Creates a store, creating the folder if needed, and removes temporary files left there
    /// by writers that died (``staleTemporaryAge`` old or more).
    /// - Throws: ``StateFolderError`` when the folder cannot be created or written in.
    public init(directory: String) throws {
        self.directory = directory
        try StateFolderError.prepare(directory)
        removeStaleTemporaryFiles()
    }

    func path(topic: String, partition: Int32) -> String { "\(directory)/\(topic)-\(partition).ckpt" }

    /// Where the delta over a partition's full checkpoint is (no topic's full checkpoint path
    /// ends so: a partition number has no dot).
    func deltaPath(topic: String, partition: Int32) -> String { "\(directory)/\(topic)-\(partition).delta.ckpt" }

    /// This process's mark in the names of its temporary files: its pid and a random number (the
    /// folder may be shared across machines).
    static let writerTag = "\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16))"

    /// The temporary file a checkpoint at `final` is staged in, named for this process: two
    /// instances sharing the folder never write into one file (an instance that lost a
    /// partition without noticing yet, and the one that took it over, could otherwise interleave
    /// their bytes and put a corrupt file in place).
    func temporaryPath(for final: String) -> String { final + ".tmp-" + Self.writerTag }

    /// How old a temporary file must be to count as left behind by a writer that died (a kill
    /// during a write): a write takes seconds at most.
    static let staleTemporaryAge: TimeInterval = 600

    /// Removes the folder's temporary checkpoint files older than ``staleTemporaryAge``.
    private func removeStaleTemporaryFiles() {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let now = Date()
        for name in files where name.contains(".ckpt.tmp") {
            let path = "\(directory)/\(name)"
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                  now.timeIntervalSince(modified) >= Self.staleTemporaryAge else { continue }
            unlink(path)
        }
    }

    /// The file header's length: "SPCK", the format version, the CRC-32 of the LZ4 frame, the
    /// state's size and the frame's (little endian), then the frame.
    static let headerLength = 28

    /// Writes a checkpoint atomically; returns the file size.
    @discardableResult
    public func write(_ checkpoint: PartitionCheckpoint) throws -> Int {
        let staged = try stage(checkpoint)
        try publish([staged])
        return staged.size
    }

    /// A checkpoint written and synced to its temporary file, not yet in place: ``publish(_:)``
    /// puts it there.
    public struct Staged: Sendable {
        let temporary: String
        let final: String
        /// The file size in bytes.
        public let size: Int
        /// The CRC-32 of the file's LZ4 frame (what a delta over it names).
        public let checksum: UInt32
        /// Where the delta over the full checkpoint it replaces is (nil for a delta): removed
        /// once it is in place.
        let staleDelta: String?
        /// True for a delta.
        public var isDelta: Bool { staleDelta == nil }
    }

    /// A checkpoint's state encoded (``BinaryStateEncoder``), not yet compressed or written:
    /// what must be taken while the state stands still; `stage` does the rest on any thread.
    public struct Encoded: Sendable {
        let topic: String
        let partition: Int32
        let state: [UInt8]
        /// True for a delta (``PartitionCheckpoint/base`` set).
        public let isDelta: Bool
        /// How long encoding took.
        public let encodingTime: Duration
        /// The encoded size in bytes, before compression.
        public var size: Int { state.count }
    }

    /// Encodes a checkpoint's state.
    public func encode(_ checkpoint: PartitionCheckpoint) throws -> Encoded {
        let started = ContinuousClock.now
        let state = try BinaryStateEncoder().encode(checkpoint)
        return Encoded(topic: checkpoint.topic, partition: checkpoint.partition, state: state, isDelta: checkpoint.isDelta, encodingTime: ContinuousClock.now - started)
    }

    /// Encodes, compresses and writes a checkpoint to its temporary file and, `syncing`, syncs
    /// it; the checkpoint in place is unchanged until ``publish(_:)``. Lets what must be durable
    /// before the new checkpoint is (e.g. the records produced up to it) finish meanwhile. A
    /// file staged without syncing must be synced (``sync(_:)``) before it is published.
    public func stage(_ checkpoint: PartitionCheckpoint, syncing: Bool = true) throws -> Staged {
        try stage(encode(checkpoint), syncing: syncing)
    }

    /// Compresses and writes an encoded checkpoint to its temporary file and, `syncing`, syncs
    /// it, as staging the checkpoint itself does.
    public func stage(_ encoded: Encoded, syncing: Bool = true) throws -> Staged {
        let state = encoded.state
        // The frame compressed after room for the header, which is filled in then.
        var bytes = LZ4Frame.compress(state, after: Self.headerLength)
        let compressed = bytes.count - Self.headerLength
        var header: [UInt8] = Array("SPCK".utf8)
        append(PartitionCheckpoint.formatVersion, to: &header)
        let checksum = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[Self.headerLength...])) }
        append(checksum, to: &header)
        append(UInt64(state.count), to: &header)
        append(UInt64(compressed), to: &header)
        precondition(header.count == Self.headerLength, "checkpoint header of \(header.count) bytes")
        bytes.replaceSubrange(0..<Self.headerLength, with: header)
        let full = path(topic: encoded.topic, partition: encoded.partition)
        let delta = deltaPath(topic: encoded.topic, partition: encoded.partition)
        let final = encoded.isDelta ? delta : full
        let temporary = temporaryPath(for: final)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw CheckpointError(path: temporary, reason: "cannot create: \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if result <= 0 { close(descriptor); throw CheckpointError(path: temporary, reason: "write failed: \(String(cString: strerror(errno)))") }
            written += result
        }
        guard !syncing || fsync(descriptor) == 0 else { close(descriptor); throw CheckpointError(path: temporary, reason: "fsync failed: \(String(cString: strerror(errno)))") }
        close(descriptor)
        return Staged(temporary: temporary, final: final, size: bytes.count, checksum: checksum, staleDelta: encoded.isDelta ? nil : delta)
    }

    /// Syncs a file staged without syncing to the disk: what staging with `syncing` does, left
    /// for another thread (a file is synced whichever descriptor asks).
    public func sync(_ staged: Staged) throws {
        let descriptor = open(staged.temporary, O_RDONLY)
        guard descriptor >= 0 else { throw CheckpointError(path: staged.temporary, reason: "cannot open to sync: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw CheckpointError(path: staged.temporary, reason: "fsync failed: \(String(cString: strerror(errno)))") }
    }

    /// Puts staged checkpoints in place (each renamed over the old one; a full one removes the
    /// delta over the one it replaced) and syncs the folder once for all of them.
    public func publish(_ staged: [Staged]) throws {
        guard !staged.isEmpty else { return }
        for file in staged {
            guard rename(file.temporary, file.final) == 0 else { throw CheckpointError(path: file.final, reason: "rename failed: \(String(cString: strerror(errno)))") }
            if let stale = file.staleDelta { unlink(stale) }
        }
        let folder = open(directory, O_RDONLY)
        if folder >= 0 { fsync(folder); close(folder) }
    }

    /// Removes staged checkpoints without putting them in place: the checkpoints they would have
    /// replaced stand.
    public func discard(_ staged: [Staged]) {
        for file in staged { unlink(file.temporary) }
    }

    /// Reads a partition's checkpoint — the full one, with the delta over it applied when there
    /// is one — ; nil when there is none; throws when the full one is corrupt or incompatible.
    /// A delta that cannot be read is moved aside (`.corrupt`) and told to `deltaProblem`, and
    /// the full checkpoint alone is read (consistent with its own offset: the records after it
    /// are folded again); a delta over another full checkpoint (one replaced by a crash before
    /// its delta was removed) is passed over.
    public func read(topic: String, partition: Int32, deltaProblem: (CheckpointError) -> Void = { _ in }) throws(CheckpointError) -> PartitionCheckpoint? {
        guard let (base, checksum) = try readFile(path(topic: topic, partition: partition), topic: topic, partition: partition) else { return nil }
        guard !base.isDelta else { throw CheckpointError(path: path(topic: topic, partition: partition), reason: "holds a delta where a full checkpoint belongs") }
        let deltaFile = deltaPath(topic: topic, partition: partition)
        do throws(CheckpointError) {
            guard let (delta, _) = try readFile(deltaFile, topic: topic, partition: partition) else { return base }
            guard let reference = delta.base else { throw CheckpointError(path: deltaFile, reason: "holds a full checkpoint where a delta belongs") }
            guard reference == PartitionCheckpoint.BaseReference(nextOffset: base.nextOffset, checksum: checksum) else { return base }
            guard delta.nextOffset >= base.nextOffset else { throw CheckpointError(path: deltaFile, reason: "ends at offset \(delta.nextOffset), before its base's \(base.nextOffset)") }
            return delta.applied(to: base)
        } catch {
            _ = rename(deltaFile, deltaFile + ".corrupt")
            deltaProblem(CheckpointError(path: error.path, reason: error.reason, consequence: "the full checkpoint alone is restored, and the records after it folded again"))
            return base
        }
    }

    /// Reads one checkpoint file, with the checksum of its frame; nil when there is none.
    private func readFile(_ file: String, topic: String, partition: Int32) throws(CheckpointError) -> (PartitionCheckpoint, UInt32)? {
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        guard let data = FileManager.default.contents(atPath: file) else { throw CheckpointError(path: file, reason: "unreadable") }
        let bytes = [UInt8](data)
        guard bytes.count >= Self.headerLength, Array(bytes[0..<4]) == Array("SPCK".utf8) else { throw CheckpointError(path: file, reason: "not a SalesPulse checkpoint (bad magic)") }
        let version = read32(bytes, 4)
        guard version == PartitionCheckpoint.formatVersion else { throw CheckpointError(path: file, reason: "format version \(version), this build reads \(PartitionCheckpoint.formatVersion)") }
        let checksum = read32(bytes, 8)
        let originalSize = Int(read64(bytes, 12))
        let compressedSize = Int(read64(bytes, 20))
        guard bytes.count == Self.headerLength + compressedSize, originalSize < 1 << 34 else { throw CheckpointError(path: file, reason: "truncated (\(bytes.count) bytes)") }
        // Read where it lies (a copy of it was a checkpoint's size of fresh memory more).
        let compressed = bytes[Self.headerLength...]
        guard CRC32.checksum(compressed) == checksum else { throw CheckpointError(path: file, reason: "checksum mismatch") }
        guard let state = LZ4Frame.decompress(compressed, originalSize: originalSize) else { throw CheckpointError(path: file, reason: "LZ4 frame is corrupt") }
        do {
            let checkpoint = try BinaryStateDecoder().decode(PartitionCheckpoint.self, from: state)
            guard checkpoint.topic == topic, checkpoint.partition == partition else { throw CheckpointError(path: file, reason: "belongs to \(checkpoint.topic)/\(checkpoint.partition)") }
            guard RecentIDs.fingerprints(decoding: checkpoint.recentIDs) != nil else { throw CheckpointError(path: file, reason: "recent id fingerprints of \(checkpoint.recentIDs.count) bytes, not a multiple of 16") }
            return (checkpoint, checksum)
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError(path: file, reason: "cannot decode the state: \(error)")
        }
    }

    /// Moves a bad checkpoint aside (kept for inspection), with the delta over it, so the
    /// partition is rebuilt.
    public func quarantine(topic: String, partition: Int32) {
        for file in [path(topic: topic, partition: partition), deltaPath(topic: topic, partition: partition)] where FileManager.default.fileExists(atPath: file) {
            _ = rename(file, file + ".corrupt")
        }
    }

    private func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
    private func read32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }
    private func read64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }
}
