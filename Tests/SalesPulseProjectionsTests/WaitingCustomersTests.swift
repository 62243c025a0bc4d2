import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// The evidence of time-to-sign alerts lists the longest-waiting undecided customers of a region:
/// the selection as it goes must list exactly what sorting every candidate listed.
@Suite struct WaitingCustomersTests {
    /// The selection `longest` replaced: filter, sort by wait (longest first) then id, take.
    static func reference(_ count: Int, region: String, among customers: [CustomerState], now: EventTime) -> [String] {
        let ids = customers.filter { $0.region == region && $0.outcome == nil && $0.firstContactAt.map { $0 <= now } == true }
            .map { (customer: $0.customer, wait: now.epochMilliseconds - $0.firstContactAt!.epochMilliseconds) }
            .sorted { ($1.wait, $0.customer) < ($0.wait, $1.customer) }
            .prefix(count)
            .map(\.customer)
        return Array(ids)
    }

    static func customers(seed: UInt64, count: Int) -> [CustomerState] {
        var random = seed
        func next(_ bound: Int) -> Int {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((random >> 33) % UInt64(bound))
        }
        return (0..<count).map { index in
            var state = CustomerState(customer: "cust-\(next(1_000))-\(index)")
            state.region = ["east", "west"][next(2)]
            // Few distinct first contacts, so that waits tie and the id decides.
            state.firstContactAt = next(10) == 0 ? nil : EventTime(epochMilliseconds: 1_000 * Int64(next(8)))
            if next(6) == 0 { state.outcome = .lost(at: EventTime(epochMilliseconds: 0), reason: "price") }
            return state
        }
    }

    @Test(arguments: [0, 1, 3, 10, 500])
    func theListIsTheSortedCandidatesFirst(count: Int) {
        for seed in 1...20 as ClosedRange<UInt64> {
            let customers = Self.customers(seed: seed, count: 120)
            let now = EventTime(epochMilliseconds: 6_000)
            let listed = WaitingCustomers.longest(count, region: "east", among: customers, now: now).map { String($0.prefix { $0 != " " }) }
            #expect(listed == Self.reference(count, region: "east", among: customers, now: now), "seed \(seed)")
        }
    }

    @Test func theCustomersOfSeveralProjectionsAreListedAsOneSequence() {
        let customers = Self.customers(seed: 7, count: 300)
        let projections = stride(from: 0, to: customers.count, by: 100).map {
            FlowProjection(configuration: Fixtures.configuration, customers: customers[$0..<min($0 + 100, customers.count)])
        }
        let now = EventTime(epochMilliseconds: 6_000)
        for count in [1, 5, 40] {
            #expect(WaitingCustomers.longest(count, region: "west", amongCustomersOf: projections, now: now)
                == WaitingCustomers.longest(count, region: "west", among: customers, now: now))
        }
    }
}
