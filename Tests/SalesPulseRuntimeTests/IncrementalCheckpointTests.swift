import Foundation
import Testing
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// Incremental checkpoints: a delta over a full checkpoint holds the customers changed and the
/// ids seen since it; the two read together are the full checkpoint of the moment the delta was
/// taken, and a delta that cannot be used leaves the full checkpoint alone, never half of one.
@Suite struct IncrementalCheckpointTests {
    typealias H = RuntimeHarness
    static let configuration = SeedRuleCatalogueTests.configuration
    static let t0: Int64 = 1_772_413_200_000
    static let topic = "sales.events"

    /// Event `index` of a partition: lead creations for `customers` customers, then objections
    /// and step entries on the first `active` of them.
    static func event(_ index: Int, customers: Int, active: Int) -> String {
        let millis = t0 + Int64(index) * 60_000
        if index < customers {
            return #"{"specversion":"1.0","id":"e-\#(index)","source":"test","type":"sales.lead.created","time":"\#(H.stamp(millis))","subject":"c-\#(index)","repid":"rep-\#(index % 7)","region":"east","data":{"channel":"phone","contactMode":"call"}}"#
        }
        let customer = "c-\(index % active)"
        return #"{"specversion":"1.0","id":"e-\#(index)","source":"test","type":"sales.objection.chosen","time":"\#(H.stamp(millis))","subject":"\#(customer)","repid":"rep-\#(index % 7)","region":"east","data":{"objection":"price_too_high"}}"#
    }

    /// Folds events `range` into `projector` (offsets = event indexes), then, `advancing`,
    /// advances its timers 80 hours past the last.
    static func fold(_ range: Range<Int>, into projector: inout PartitionProjector, customers: Int, active: Int, advancing: Bool = false) {
        let decoder = EventDecoder(policy: { var policy = ValidationPolicy(); policy.maxFutureSkewMilliseconds = Int64.max / 4; return policy }())
        for index in range {
            _ = Array(event(index, customers: customers, active: active).utf8).withUnsafeBytes { value in
                projector.process(value: value, key: nil, offset: Int64(index), recordTime: EventTime(epochMilliseconds: t0 + Int64(index) * 60_000), decoder: decoder)
            }
        }
        if advancing { _ = projector.advance(to: EventTime(epochMilliseconds: t0 + Int64(range.upperBound) * 60_000 + 80 * 3_600_000)) }
    }

    static func projector() -> PartitionProjector {
        PartitionProjector(topic: topic, partition: 2, configuration: configuration)
    }

    /// Writes `checkpoint`, taken from `projector` now, and returns the base a runtime would
    /// note for it (nil for a delta); the projector then starts a new generation of changes,
    /// as a runtime's does once a checkpoint is taken from it.
    static func putInPlace(_ checkpoint: PartitionCheckpoint, of projector: inout PartitionProjector, in store: CheckpointStore) throws -> BaseCheckpoint? {
        let staged = try store.stage(checkpoint)
        try store.publish([staged])
        defer { projector.startChangeGeneration() }
        return staged.isDelta ? nil : projector.base(checksum: staged.checksum, bytes: staged.size)
    }

    /// A store holding a partition's full checkpoint, taken after `customers` lead creations,
    /// and the delta over it after `more` events on `active` of them; the projector, the base
    /// and the full checkpoint.
    static func deltaInPlace(customers: Int, more: Int, active: Int) throws -> (store: CheckpointStore, projector: PartitionProjector, base: BaseCheckpoint, full: PartitionCheckpoint) {
        let store = try CheckpointStore(directory: H.temporaryDirectory())
        var projector = Self.projector()
        fold(0..<customers, into: &projector, customers: customers, active: active)
        let full = projector.checkpoint()
        let base = try #require(try putInPlace(full, of: &projector, in: store))
        fold(customers..<(customers + more), into: &projector, customers: customers, active: active)
        _ = try putInPlace(projector.checkpoint(over: base), of: &projector, in: store)
        return (store, projector, base, full)
    }

    @Test func aDeltaHoldsTheChangedCustomersAndReadsBackAsTheFullCheckpoint() throws {
        let store = try CheckpointStore(directory: H.temporaryDirectory())
        var projector = Self.projector()
        Self.fold(0..<300, into: &projector, customers: 300, active: 20)
        let base = try #require(try Self.putInPlace(projector.checkpoint(over: nil), of: &projector, in: store))
        #expect(!FileManager.default.fileExists(atPath: store.deltaPath(topic: Self.topic, partition: 2)))

        Self.fold(300..<340, into: &projector, customers: 300, active: 20)
        let delta = projector.checkpoint(over: base)
        let isDelta = delta.isDelta, named = delta.base == base.reference
        #expect(isDelta)
        #expect(named)
        #expect(delta.customerStates.count <= 20 + 300 / 2, "the customers changed since the base (20 objected; timers may touch others), not all 300")
        #expect(delta.customerStates.count >= 20)
        #expect(delta.recentIDs.count == 40 * 16, "the 40 ids seen since the base")
        _ = try Self.putInPlace(delta, of: &projector, in: store)
        #expect(FileManager.default.fileExists(atPath: store.deltaPath(topic: Self.topic, partition: 2)))

        let read = try #require(try store.read(topic: Self.topic, partition: 2))
        #expect(!read.isDelta)
        let same = read == projector.checkpoint()
        #expect(same, "the base and the delta read together are the full checkpoint")
        // Restored from it, a projector is the one that wrote it.
        let restored = PartitionProjector(topic: Self.topic, partition: 2, configuration: Self.configuration, checkpoint: read)
        let sameProjection = restored.projection == projector.projection, sameIDs = restored.recentIDs == projector.recentIDs
        let sameCheckpoint = restored.checkpoint() == projector.checkpoint()
        #expect(sameProjection)
        #expect(sameIDs)
        #expect(sameCheckpoint)
    }

    @Test func eachDeltaReplacesTheOneBeforeAndHoldsEveryChangeSinceTheBase() throws {
        let store = try CheckpointStore(directory: H.temporaryDirectory())
        var projector = Self.projector()
        Self.fold(0..<300, into: &projector, customers: 300, active: 30)
        var base = try #require(try Self.putInPlace(projector.checkpoint(), of: &projector, in: store))
        for round in 0..<3 {
            Self.fold((300 + round * 20)..<(320 + round * 20), into: &projector, customers: 300, active: 30)
            let delta = projector.checkpoint(over: base)
            let isDelta = delta.isDelta
            #expect(isDelta, "round \(round)")
            #expect(delta.recentIDs.count == (round + 1) * 20 * 16, "every id since the base, round \(round)")
            let staged = try store.stage(delta)
            try store.publish([staged])
            projector.startChangeGeneration()
            base.deltaBytes += staged.size
            let same = try store.read(topic: Self.topic, partition: 2) == projector.checkpoint()
            #expect(same, "round \(round)")
        }
    }

    @Test func aFullCheckpointRemovesTheDeltaOverTheOneItReplaces() throws {
        var (store, projector, _, _) = try Self.deltaInPlace(customers: 200, more: 20, active: 10)
        let deltaFile = store.deltaPath(topic: Self.topic, partition: 2)
        let oldDelta = try #require(FileManager.default.contents(atPath: deltaFile))

        Self.fold(220..<240, into: &projector, customers: 200, active: 10)
        _ = try Self.putInPlace(projector.checkpoint(), of: &projector, in: store)
        #expect(!FileManager.default.fileExists(atPath: deltaFile), "the delta over the replaced base is gone")
        let same = try store.read(topic: Self.topic, partition: 2) == projector.checkpoint()
        #expect(same)

        // A crash between the rename of the new base and the removal of the old delta leaves
        // the delta over the replaced base: it names another base and is passed over.
        #expect(FileManager.default.createFile(atPath: deltaFile, contents: oldDelta))
        var problems: [CheckpointError] = []
        let sameAfterCrash = try store.read(topic: Self.topic, partition: 2) { problems.append($0) } == projector.checkpoint()
        #expect(sameAfterCrash)
        #expect(problems.isEmpty, "a stale delta is no problem")
    }

    @Test func aCorruptDeltaIsSetAsideAndTheFullCheckpointReadAlone() throws {
        let (store, _, _, full) = try Self.deltaInPlace(customers: 200, more: 30, active: 10)
        let deltaFile = store.deltaPath(topic: Self.topic, partition: 2)
        var bytes = try #require(FileManager.default.contents(atPath: deltaFile))
        bytes[bytes.count - 3] ^= 0xFF
        #expect(FileManager.default.createFile(atPath: deltaFile, contents: bytes))

        var problems: [CheckpointError] = []
        let read = try store.read(topic: Self.topic, partition: 2) { problems.append($0) }
        let isFull = read == full
        #expect(isFull, "the full checkpoint alone, at its own offset")
        #expect(read?.nextOffset == 200)
        #expect(problems.count == 1)
        #expect(problems.first?.reason == "checksum mismatch")
        #expect(problems.first?.description.contains("the full checkpoint alone is restored") == true)
        #expect(FileManager.default.fileExists(atPath: deltaFile + ".corrupt"), "kept for inspection")
        #expect(!FileManager.default.fileExists(atPath: deltaFile))
    }

    @Test func aCorruptFullCheckpointIsSetAsideWithItsDelta() throws {
        let (store, _, _, _) = try Self.deltaInPlace(customers: 100, more: 10, active: 10)
        let fullFile = store.path(topic: Self.topic, partition: 2)
        var bytes = try #require(FileManager.default.contents(atPath: fullFile))
        bytes[40] ^= 0xFF
        #expect(FileManager.default.createFile(atPath: fullFile, contents: bytes))
        #expect(throws: CheckpointError.self) { try store.read(topic: Self.topic, partition: 2) }
        store.quarantine(topic: Self.topic, partition: 2)
        let none = try store.read(topic: Self.topic, partition: 2) == nil
        #expect(none, "rebuilt from the log")
        #expect(FileManager.default.fileExists(atPath: fullFile + ".corrupt"))
        #expect(FileManager.default.fileExists(atPath: store.deltaPath(topic: Self.topic, partition: 2) + ".corrupt"))
    }

    @Test func aFullCheckpointIsWrittenWhenADeltaIsNotWorthIt() throws {
        var projector = Self.projector()
        Self.fold(0..<100, into: &projector, customers: 100, active: 100)
        var base = projector.base(checksum: 1, bytes: 10_000)
        projector.startChangeGeneration()
        Self.fold(100..<110, into: &projector, customers: 100, active: 100)
        let fewChanged = projector.checkpoint(over: base).isDelta, noBase = projector.checkpoint(over: nil).isDelta
        #expect(fewChanged, "10 of 100 customers changed")
        #expect(!noBase, "no base")
        base.deltaBytes = 10_000
        let deltasAddUp = projector.checkpoint(over: base).isDelta
        #expect(!deltasAddUp, "the deltas since the base add up to its size")
        base.deltaBytes = 0
        Self.fold(110..<170, into: &projector, customers: 100, active: 100)
        let mostChanged = projector.checkpoint(over: base).isDelta
        #expect(!mostChanged, "70 of 100 customers changed: a delta would be most of a full checkpoint")

        var repartitioned = PartitionProjector(topic: "salespulse.g.repartition.region", partition: 0, configuration: Self.configuration, role: .repartitioned(attribute: "region"))
        let repartitionedBase = repartitioned.base(checksum: 1, bytes: 10_000)
        repartitioned.startChangeGeneration()
        _ = repartitioned.advance(to: EventTime(epochMilliseconds: Self.t0))
        let repartitionedDelta = repartitioned.checkpoint(over: repartitionedBase).isDelta
        #expect(!repartitionedDelta, "repartitioned partitions hold counters only: always full")
    }

    /// Timers change customers between records (an alert fires): the change belongs to the
    /// generation after the base, so the delta after it holds them.
    @Test func changesByTimersBetweenRecordsCountAsChangesSinceTheBase() throws {
        let store = try CheckpointStore(directory: H.temporaryDirectory())
        var projector = Self.projector()
        Self.fold(0..<100, into: &projector, customers: 100, active: 10)
        let base = try #require(try Self.putInPlace(projector.checkpoint(), of: &projector, in: store))
        #expect(projector.customersChanged(since: base) == 0)
        Self.fold(100..<101, into: &projector, customers: 100, active: 10, advancing: true)
        #expect(projector.customersChanged(since: base) == 100, "every lead's activation alert fired")
        let same = try store.read(topic: Self.topic, partition: 2) != projector.checkpoint()
        #expect(same, "the base does not hold the alerts")
        _ = try Self.putInPlace(projector.checkpoint(), of: &projector, in: store)
        let inPlace = try store.read(topic: Self.topic, partition: 2) == projector.checkpoint()
        #expect(inPlace)
    }

    /// What timers changed before a full checkpoint was taken is in it: the delta after it holds
    /// only what changed since, however few records came in between (none, here, before the
    /// five objections).
    @Test func changesBeforeTheBaseAreNotRepeatedInItsDeltas() throws {
        let store = try CheckpointStore(directory: H.temporaryDirectory())
        var projector = Self.projector()
        Self.fold(0..<100, into: &projector, customers: 100, active: 5, advancing: true)
        let base = try #require(try Self.putInPlace(projector.checkpoint(), of: &projector, in: store))
        #expect(projector.customersChanged(since: base) == 0, "the alerts fired before the base are in it")
        Self.fold(100..<105, into: &projector, customers: 100, active: 5)
        #expect(projector.customersChanged(since: base) == 5)
        let delta = projector.checkpoint(over: base)
        #expect(delta.customerStates.count == 5)
    }

    /// One event of `type` for customer `c-<customer>` at `minute`, folded at `offset`.
    static func fold(_ type: String, customer: Int, minute: Int64, offset: Int64, data: String = "{}", into projector: inout PartitionProjector) {
        let millis = t0 + minute * 60_000
        let json = #"{"specversion":"1.0","id":"x-\#(offset)","source":"test","type":"\#(type)","time":"\#(H.stamp(millis))","subject":"c-\#(customer)","repid":"rep-1","region":"east","data":\#(data)}"#
        let decoder = EventDecoder(policy: { var policy = ValidationPolicy(); policy.maxFutureSkewMilliseconds = Int64.max / 4; return policy }())
        _ = Array(json.utf8).withUnsafeBytes { projector.process(value: $0, key: nil, offset: offset, recordTime: EventTime(epochMilliseconds: millis), decoder: decoder) }
    }

    /// The keyed rules' pending absences are kept per customer: a delta holds those of the
    /// customers it holds — armed, answered (gone), fired by a timer — and reads back whole.
    @Test func theRulesPendingAbsencesOfChangedCustomersTravelInTheDelta() throws {
        let store = try CheckpointStore(directory: H.temporaryDirectory())
        var projector = Self.projector()
        var offset: Int64 = 0
        // 40 won deals: each arms "no follow-up within 30 days".
        for customer in 0..<40 {
            Self.fold("sales.deal.won", customer: customer, minute: Int64(customer), offset: offset, data: #"{"amount":1000,"currency":"CNY"}"#, into: &projector)
            offset += 1
        }
        #expect(projector.rules.pending["no_follow_up_30d_after_deal"]?.count == 40)
        let base = try #require(try Self.putInPlace(projector.checkpoint(), of: &projector, in: store))
        // Customers 0 – 2 answered (their entries go; a 90-day one is armed), 5 newly won.
        for customer in 0..<3 {
            Self.fold("sales.message.sent", customer: customer, minute: 100, offset: offset, data: #"{"channel":"sms"}"#, into: &projector)
            offset += 1
        }
        Self.fold("sales.deal.won", customer: 40, minute: 100, offset: offset, data: #"{"amount":5,"currency":"CNY"}"#, into: &projector)
        offset += 1
        var delta = projector.checkpoint(over: base)
        let isDelta = delta.isDelta
        #expect(isDelta)
        #expect(delta.customerStates.count == 4)
        #expect(delta.rules?.pending["no_follow_up_30d_after_deal"]?.count == 1, "customer 40's; 0 – 2 have none left")
        #expect(delta.rules?.pending["no_interaction_90d"]?.count == 3)
        _ = try Self.putInPlace(delta, of: &projector, in: store)
        var read = try #require(try store.read(topic: Self.topic, partition: 2))
        #expect(read.rules == projector.rules)
        #expect(read.rules?.pending["no_follow_up_30d_after_deal"]?.count == 38)

        // 31 days on, a tick fires the alerts of the 38 still waiting: each of them changed.
        _ = projector.advance(to: EventTime(epochMilliseconds: Self.t0 + 31 * 86_400_000 + 200 * 60_000))
        #expect(projector.rules.openAlerts.count == 38)
        #expect(projector.customersChanged(since: base) == 41, "the four changed before and the 37 others whose alert fired")
        delta = projector.checkpoint(over: base)
        let stillDelta = delta.isDelta
        #expect(!stillDelta, "41 of 41 customers changed: a full checkpoint")
        _ = try Self.putInPlace(projector.checkpoint(), of: &projector, in: store)
        read = try #require(try store.read(topic: Self.topic, partition: 2))
        #expect(read.rules == projector.rules)
        #expect(read.rules?.openAlerts.count == 38)
    }

    @Test func theNewestIdsAreEncodedInArrivalOrderAcrossTheRing() {
        var ids = RecentIDs(capacity: 5)
        for index in 0..<8 { _ = ids.insert("id-\(index)") } // the ring wraps: ids 3 – 7 kept
        #expect(ids.inserted == 8)
        #expect(ids.count == 5)
        let all = ids.encoded
        for newest in 0...5 {
            #expect(ids.encoded(newest: newest) == Array(all.suffix(newest * 16)), "newest \(newest)")
        }
        #expect(ids.encoded(newest: 9) == all, "no more than are kept")
        let insertedAgain = ids.insert("id-7")
        #expect(!insertedAgain, "a duplicate")
        #expect(ids.inserted == 8, "a duplicate is not inserted")
        // The ids of a base, then the newest since it, restore the set.
        let base = RecentIDs(capacity: 5, oldestFirst: RecentIDs.fingerprints(decoding: ids.encoded)!)
        var live = ids
        for index in 8..<11 { _ = live.insert("id-\(index)") }
        let since = Int(live.inserted - ids.inserted)
        let restored = RecentIDs(capacity: 5, oldestFirst: RecentIDs.fingerprints(decoding: base.encoded + live.encoded(newest: since))!)
        #expect(restored == live)
    }
}
