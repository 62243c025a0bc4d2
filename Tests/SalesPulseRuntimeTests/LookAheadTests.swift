import Foundation
import Testing
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// The look-ahead of `PartitionProjector.process(…next:keyAfterNext:)` only starts loading
/// memory: whatever records it is told come next — the right ones, other customers', garbage,
/// tombstones — every outcome and all state are those of processing without it.
@Suite struct LookAheadTests {
    // MARK: Finding the id in raw JSON

    @Test(arguments: [
        (#"{"specversion":"1.0","id":"evt-1","subject":"c"}"#, "evt-1"),
        (#"{"id" : "spaced-out","type":"x"}"#, "spaced-out"),
        (#"{"type":"x","id":"later"}"#, "later"),
        (#"{"idx":"no","id":"yes"}"#, "yes"),
        (#"{"id":""}"#, ""),
    ])
    func theIdIsFoundInTheJSON(json: String, id: String) {
        let found = Array(json.utf8).withUnsafeBytes { EventIDScan.id(in: $0).map { String(decoding: $0, as: UTF8.self) } }
        #expect(found == id)
    }

    @Test(arguments: [
        #"{"specversion":"1.0","subject":"c"}"#, // no id
        #"{"id":"esc\"aped"}"#, // escaped: given up
        #"{"id":42}"#, // not a string
        #"{"id":"unterminated"#, // cut short
        "", // empty
    ])
    func noIdIsFoundWhereThereIsNone(json: String) {
        #expect(Array(json.utf8).withUnsafeBytes { EventIDScan.id(in: $0) } == nil)
    }

    @Test func anIdBeyondTheSearchLimitIsNotLookedFor() {
        let json = #"{"pad":""# + String(repeating: "x", count: EventIDScan.searchLimit) + #"","id":"far"}"#
        #expect(Array(json.utf8).withUnsafeBytes { EventIDScan.id(in: $0) } == nil)
    }

    /// The scan in C reads 32 bytes a step: it must find what a byte-by-byte scan finds (the
    /// Swift loop it replaced, kept here as the reference) wherever the key and the id fall
    /// against its 32-byte steps, the search limit and the record's end, and never read past
    /// the record: each JSON ends where a page that may not be read begins.
    @Test func theScanFindsWhatAByteByByteScanFinds() throws {
        let tails = [
            #""id":"0123456789abcdef0123456789abcdef0123"}"#, #""id":"e"}"#, #""id":""}"#, #""id" : "spaced"}"#,
            #""id":42}"#, #""id":"esc\"aped"}"#, #""id"x"id":"later"}"#, #""id"id":"overlap"}"#, #""id":"cut"#, #""id""#,
            #""idx":"no","id":"0123456789abcdef0123456789abcdef0123456789"}"#,
        ]
        let guarded = try GuardedBytes(capacity: 512)
        var compared = 0
        for padding in 0..<230 {
            for tail in tails {
                let json = Array((#"{"pad":""# + String(repeating: "x", count: padding) + #"","# + tail).utf8)
                let found = guarded.withBytesEndingAtGuard(json) { EventIDScan.id(in: $0).map { Array($0) } }
                let expected = json.withUnsafeBytes { Self.referenceID(in: $0).map { Array($0) } }
                #expect(found == expected, "padding \(padding), tail \(tail)")
                compared += 1
            }
        }
        #expect(compared == 230 * tails.count)
    }

    /// The byte-by-byte scan the C scan replaced (sessions 18 – 34), as the reference.
    static func referenceID(in json: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let base = json.baseAddress else { return nil }
        let count = json.count, limit = min(count, EventIDScan.searchLimit)
        var index = 0
        while index + 4 <= limit {
            guard base.load(fromByteOffset: index, as: UInt8.self) == 0x22, base.load(fromByteOffset: index + 1, as: UInt8.self) == UInt8(ascii: "i"),
                  base.load(fromByteOffset: index + 2, as: UInt8.self) == UInt8(ascii: "d"), base.load(fromByteOffset: index + 3, as: UInt8.self) == 0x22 else {
                index += 1
                continue
            }
            var cursor = index + 4
            while cursor < count, base.load(fromByteOffset: cursor, as: UInt8.self) == 0x20 { cursor += 1 }
            guard cursor < count, base.load(fromByteOffset: cursor, as: UInt8.self) == UInt8(ascii: ":") else {
                index += 4
                continue
            }
            cursor += 1
            while cursor < count, base.load(fromByteOffset: cursor, as: UInt8.self) == 0x20 { cursor += 1 }
            guard cursor < count, base.load(fromByteOffset: cursor, as: UInt8.self) == 0x22 else { return nil }
            let start = cursor + 1
            var end = start
            while end < count {
                switch base.load(fromByteOffset: end, as: UInt8.self) {
                case 0x22: return UnsafeRawBufferPointer(start: base + start, count: end - start)
                case 0x5C: return nil
                default: end += 1
                }
            }
            return nil
        }
        return nil
    }

    // MARK: Nothing changes

    /// Records of one partition: events of 120 customers, with duplicates, a malformed record,
    /// a tombstone and an event whose key differs from its subject.
    static func records() -> [(key: String?, value: String?)] {
        var records: [(key: String?, value: String?)] = RepartitionTests.events().map { ($0.key, $0.value) }
        records.insert((records[3].key, records[3].value), at: 10) // a duplicate
        records.insert(("cust-1", #"{"specversion":"1.0","id":"broken"#), at: 20) // malformed
        records.insert(("cust-2", nil), at: 30) // a tombstone
        records.insert(("someone-else", records[40].value), at: 41) // key and subject differ
        records.append((records[50].key, records[50].value)) // a late duplicate
        return records
    }

    /// What a run leaves: each record's outcome, and the partition's state.
    struct Run: Equatable {
        var outcomes: [String] = []
        var projection: FlowProjection
        var recentIDs: RecentIDs
        var statistics: PartitionStatistics
        var counters: [String: CounterState]
        var rules: KeyedRuleProjection
    }

    /// Processes `records` in order; `hints(index)` gives the look-ahead of record `index`.
    static func run(_ records: [(key: String?, value: String?)], hints: (Int) -> (next: (key: String?, value: String?)?, keyAfterNext: String?)) -> Run {
        var projector = PartitionProjector(topic: "t", partition: 0, configuration: SeedRuleCatalogueTests.configuration)
        let decoder = EventDecoder(policy: { var policy = ValidationPolicy(); policy.maxFutureSkewMilliseconds = Int64.max / 4; return policy }())
        var outcomes: [String] = []
        for (index, record) in records.enumerated() {
            let (next, keyAfterNext) = hints(index)
            let outcome = withBytes(record.key) { key in
                withBytes(record.value) { value in
                    withBytes(next?.key) { nextKey in
                        withBytes(next?.value) { nextValue in
                            withBytes(keyAfterNext) { afterNext in
                                projector.process(
                                    value: value, key: key, offset: Int64(index), recordTime: EventTime(epochMilliseconds: 1_900_000_000_000), decoder: decoder,
                                    next: next.map { _ in PartitionProjector.UpcomingRecord(key: nextKey, value: nextValue) }, keyAfterNext: afterNext
                                )
                            }
                        }
                    }
                }
            }
            outcomes.append(outcome.map { "\($0)" } ?? "skipped")
        }
        return Run(outcomes: outcomes, projection: projector.projection, recentIDs: projector.recentIDs, statistics: projector.statistics, counters: projector.counters.states, rules: projector.rules)
    }

    static func withBytes<R>(_ text: String?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        guard let text else { return body(nil) }
        return Array(text.utf8).withUnsafeBytes { body($0) }
    }

    @Test func theRightHintsChangeNothing() {
        let records = Self.records()
        let without = Self.run(records) { _ in (nil, nil) }
        let with = Self.run(records) { index in
            (index + 1 < records.count ? records[index + 1] : nil, index + 2 < records.count ? records[index + 2].key : nil)
        }
        #expect(without.statistics.applied > 250 && without.statistics.duplicates == 2 && without.statistics.rejected == 3)
        #expect(with == without)
    }

    @Test func wrongHintsChangeNothing() {
        let records = Self.records()
        let without = Self.run(records) { _ in (nil, nil) }
        // Records from elsewhere in the partition, keys of customers never seen, garbage.
        let wrong = Self.run(records) { index in
            switch index % 4 {
            case 0: (records[(index * 7) % records.count], records[(index * 13) % records.count].key)
            case 1: (("nobody-\(index)", #"{"id":"never-\#(index)"}"#), "nobody-else")
            case 2: ((nil, "not json at all"), "")
            default: ((records[index].key, nil), nil)
            }
        }
        #expect(wrong == without)
    }
}
