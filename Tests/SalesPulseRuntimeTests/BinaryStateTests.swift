import Foundation
import Testing
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// The checkpoint payload format: any `Codable` state round-trips exactly, and damaged bytes
/// are refused with an error, never a crash or a half-read value.
@Suite struct BinaryStateTests {
    struct Sample: Codable, Equatable {
        enum Shape: Codable, Equatable { case none, point(x: Double, y: Double), named(String, Int64?) }
        var text = "café ✓ \u{0}"
        var empty = ""
        var small: Int8 = -128
        var wide: Int64 = .min
        var top: UInt64 = .max
        var negativeZero = -0.0
        var tiny = Double.leastNonzeroMagnitude
        var flag = true
        var missing: String? = nil
        var present: Int? = 42
        var nested: [[String: [Int64]]] = [["a": [1, -2]], [:]]
        var many = Dictionary(uniqueKeysWithValues: (0..<40).map { ("key-\($0)", $0) })
        var byInt: [Int: String] = [3: "three", -1: "minus one"]
        var byInt64: [Int64: Double] = [1_772_413_200: 1.5]
        var shapes: [Shape] = [.none, .point(x: 1, y: -1), .named("n", nil), .named("m", 7)]
        var blob = Data([0, 1, 2, 255])
        var time = EventTime(epochMilliseconds: 1_772_413_200_123, offsetMinutes: 480)
    }

    @Test func everyKindOfValueRoundTrips() throws {
        let sample = Sample()
        let bytes = try BinaryStateEncoder().encode(sample)
        #expect(try BinaryStateDecoder().decode(Sample.self, from: bytes) == sample)
    }

    /// Bytes spliced into the output where they lie (``SplicedBytes``: a checkpoint's customers,
    /// recent ids, counters and rules) are written exactly as the same bytes in `Data`, at the
    /// top level, among other entries, nested in containers and in arrays, so checkpoints keep
    /// their format; other encoders see `Data` too.
    @Test func splicedBytesAreEncodedAsData() throws {
        struct Holder<Bytes: Encodable>: Encodable {
            var before = "before"
            var bytes: Bytes
            // One key: two dictionaries with the same keys may order them differently.
            var nested: [String: [Bytes]]
            var empty: [Bytes] = []
            var optional: Bytes?
            var after: Int64 = -7
        }
        for length in [0, 1, 127, 128, 300, 70_000] {
            let raw = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let spliced = Holder(bytes: SplicedBytes(raw), nested: ["a": [SplicedBytes(raw), SplicedBytes([9])]], optional: SplicedBytes(raw))
            let data = Holder(bytes: Data(raw), nested: ["a": [Data(raw), Data([9])]], optional: Data(raw))
            #expect(try BinaryStateEncoder().encode(spliced) == BinaryStateEncoder().encode(data), "\(length) bytes")
            let sorted = JSONEncoder()
            sorted.outputFormatting = .sortedKeys
            #expect(try sorted.encode(spliced) == sorted.encode(data))
            // Read back as they were, by this decoder (into an array at once) and by others.
            #expect(try BinaryStateDecoder().decode([String: [SplicedBytes]].self, from: BinaryStateEncoder().encode(data.nested))["a"]?.map(\.bytes) == [raw, [9]])
            #expect(try JSONDecoder().decode([SplicedBytes].self, from: sorted.encode([data.bytes])).map(\.bytes) == [raw])
        }
    }

    /// A partition's real state — customers with flows, evidence and alerts, counters, keyed
    /// rules, recent ids — comes back equal.
    @Test func aPartitionCheckpointRoundTrips() throws {
        var bench = SeedRuleCatalogueTests.Bench()
        for (index, event) in RuntimeHarness.script(customers: 40).enumerated() {
            let type = event.value.firstMatch(of: /"type":"([^"]+)"/)!.1
            let data = String(event.value[event.value.range(of: "\"data\":")!.upperBound...].dropLast())
            bench.feed(String(type), event.key, rep: "rep-\(index % 3)", at: RuntimeHarness.base + Int64(index) * 60_000, data)
        }
        bench.tick(RuntimeHarness.base + 30 * 86_400_000)
        let checkpoint = bench.projector.checkpoint()
        #expect(!checkpoint.customers.isEmpty && !checkpoint.counters.states.isEmpty && !checkpoint.recentIDs.isEmpty)
        #expect(checkpoint.customers.contains { !$0.openAlerts.isEmpty })
        let bytes = try BinaryStateEncoder().encode(checkpoint)
        #expect(try BinaryStateDecoder().decode(PartitionCheckpoint.self, from: bytes) == checkpoint)

        // A projector's checkpoint writes its customer map where it lies, in id order: the bytes
        // are those of the same states as a sorted array (what a checkpoint read from a file holds).
        guard case .map = checkpoint.customerStates else { Issue.record("a projector's checkpoint holds its map"); return }
        var sorted = checkpoint
        sorted.customers = checkpoint.customers
        guard case .sorted(let states) = sorted.customerStates else { Issue.record("assigned customers are held sorted"); return }
        #expect(states.map(\.customer) == states.map(\.customer).sorted())
        #expect(try BinaryStateEncoder().encode(sorted) == bytes)
        #expect(PartitionCheckpoint.customerBytes(.sorted(states.reversed())) != PartitionCheckpoint.customerBytes(sorted.customerStates),
                "the order of the states is part of the bytes")
    }

    /// A pending absence keeps its fired alert out of line, but its checkpoint bytes (and JSON)
    /// are those of the former inline layout, whose `Codable` conformance was synthesized: old
    /// checkpoints still load, new ones are readable by the previous release.
    @Test func aPendingAbsenceIsCodedAsInTheInlineLayout() throws {
        struct InlinePending: Codable {
            var rule: String
            var customer: String
            var since: EventTime
            var deadline: EventTime
            var rep: String?
            var region: String?
            var alert: Alert?
        }
        let since = EventTime(epochMilliseconds: 1_772_413_200_000, offsetMinutes: 480)
        let deadline = since.adding(milliseconds: 86_400_000)
        var alert = Alert(rule: "no_interaction_90d", customer: "cust-1", rep: "rep-1", organisation: Organisation(), region: "east", since: deadline, reason: "no interaction")
        alert.evidence = ["last: visit"]
        for (rep, region, fired) in [("rep-1", "east", nil), (nil, nil, nil), ("rep-2", nil, alert)] as [(String?, String?, Alert?)] {
            let pending = KeyedRuleProjection.Pending(rule: "no_interaction_90d", customer: "cust-1", since: since, deadline: deadline, rep: rep, region: region, alert: fired)
            let inline = InlinePending(rule: "no_interaction_90d", customer: "cust-1", since: since, deadline: deadline, rep: rep, region: region, alert: fired)
            let bytes = try BinaryStateEncoder().encode(pending)
            #expect(bytes == (try BinaryStateEncoder().encode(inline)))
            #expect(try BinaryStateDecoder().decode(KeyedRuleProjection.Pending.self, from: bytes) == pending)
            let json = JSONEncoder()
            json.outputFormatting = .sortedKeys
            #expect(try json.encode(pending) == (try json.encode(inline)))
            #expect(try JSONDecoder().decode(KeyedRuleProjection.Pending.self, from: try json.encode(inline)) == pending)
        }
        // Copies share the box; changing one copy's alert leaves the other's alone.
        var first = KeyedRuleProjection.Pending(rule: "r", customer: "c", since: since, deadline: deadline, rep: nil, region: nil, alert: alert)
        let second = first
        first.alert?.state = .resolved
        #expect(first.alert?.state == .resolved && second.alert?.state == .fired)
        #expect(first != second)
        // The alert out of line (most entries never fire): an entry takes the 120 bytes its
        // documentation states, not an inline alert's more.
        #expect(MemoryLayout<KeyedRuleProjection.Pending>.size <= 120)
    }

    /// Every truncation and a sweep of single-byte changes: an error or (for a byte inside a
    /// string or number) a different value, never a crash.
    @Test func damagedBytesAreRefusedNotCrashedOn() throws {
        let bytes = try BinaryStateEncoder().encode(Sample())
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try BinaryStateDecoder().decode(Sample.self, from: Array(bytes[..<length])) }
        }
        for index in bytes.indices {
            var damaged = bytes
            damaged[index] ^= 0xA5
            _ = try? BinaryStateDecoder().decode(Sample.self, from: damaged)
        }
        #expect(throws: DecodingError.self) { try BinaryStateDecoder().decode(Sample.self, from: bytes + [0]) }
    }
}
