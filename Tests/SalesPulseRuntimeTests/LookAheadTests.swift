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
