import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// A page of alerts (`/v1/alerts?limit=`) or customers keeps the first by key without making the
/// rest: it must be the sorted list cut at the limit, with everything counted.
@Suite struct FirstByKeyTests {
    static func alerts(seed: UInt64, count: Int) -> [Alert] {
        var random = PartitioningPropertyTests.Generator(state: seed)
        return (0..<count).map { index in
            Alert(rule: "rule-\(random.next(5))", customer: "c-\(index)", rep: nil, organisation: Organisation(), region: nil,
                  since: EventTime(epochMilliseconds: Int64(random.next(1_000_000))), reason: "r")
        }
    }

    @Test(arguments: [1, 2, 7, 60, 299, 300, 301, 5_000, Int.max])
    func keepsTheFirstByIDAndCountsAll(limit: Int) {
        for seed in 1...5 as ClosedRange<UInt64> {
            let offered = Self.alerts(seed: seed, count: 300 * Int(seed))
            var selection = FirstByKey<Alert>(limit: limit)
            for alert in offered { selection.consider(alert) }
            #expect(selection.total == offered.count)
            #expect(selection.elements == Array(offered.sorted { $0.id < $1.id }.prefix(limit)), "seed \(seed), limit \(limit)")
        }
    }

    @Test func copiesOnlyTheAlertsItMayKeep() {
        let offered = Self.alerts(seed: 9, count: 2_000)
        var selection = FirstByKey<Alert>(limit: 10)
        var copied = 0
        for alert in offered { selection.consider(key: alert.id) { copied += 1; return alert } }
        #expect(selection.elements == Array(offered.sorted { $0.id < $1.id }.prefix(10)))
        // Ids are hashes, in no order: after the first cut, few sort before the tenth kept.
        #expect(copied < 400, "\(copied) of 2,000 copied")
    }

    @Test func sinceListsWhatBeganThenOrLater() {
        let at = EventTime(epochMilliseconds: 1_000)
        #expect(Alert.began(at, since: nil))
        #expect(Alert.began(at, since: at))
        #expect(Alert.began(at, since: EventTime(epochMilliseconds: 999)))
        #expect(!Alert.began(at, since: EventTime(epochMilliseconds: 1_001)))
    }
}
