import Testing
@testable import SalesPulseModel

/// A set of event types holds exactly the types it was made of, for every type; an absence
/// rule's sets follow its type lists, also when the lists change after it is made.
@Suite struct SalesEventTypeSetTests {
    @Test func membershipIsTheListsForEveryType() {
        let all = SalesEventType.allCases
        // Every single type, pairs of a type and its mirror in the list, every other type, all, none.
        var lists: [[SalesEventType]] = all.map { [$0] } + [[], all, all.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)]
        for (first, second) in zip(all, all.reversed()) { lists.append([first, second]) }
        for list in lists {
            let set = SalesEventTypeSet(list)
            for type in all {
                #expect(set.contains(type) == list.contains(type), "\(type) in \(list)")
            }
        }
    }

    @Test func anAbsenceRuleKeepsItsSetsWithItsLists() {
        var rule = AbsenceRule(id: "r", after: [.quoteSent], expect: [.messageSent, .visitCheckedIn], withinMilliseconds: 1_000)
        #expect(rule.afterTypes == SalesEventTypeSet([.quoteSent]))
        #expect(rule.expectTypes.contains(.visitCheckedIn) && !rule.expectTypes.contains(.quoteSent))
        rule.after.append(.dealWon)
        rule.expect = [.quoteOpened]
        for type in SalesEventType.allCases {
            #expect(rule.afterTypes.contains(type) == rule.after.contains(type), "\(type)")
            #expect(rule.expectTypes.contains(type) == rule.expect.contains(type), "\(type)")
        }
    }
}
