import Testing
@testable import SalesPulseServer

/// The live stream's tick works only while clients listen, and works PHI out afresh when they
/// come (see `LiveTickSchedule`).
@Suite struct LiveTickScheduleTests {
    @Test func nothingIsWorkedOutWhileNobodyListens() {
        var schedule = LiveTickSchedule()
        for _ in 0..<25 { #expect(schedule.next(listeners: 0) == .none) }
    }

    @Test func healthIsRefreshedAtTheFirstTickWithListenersThenEveryTenth() {
        var schedule = LiveTickSchedule()
        let refreshed = (0..<25).map { _ in schedule.next(listeners: 2) == .publish(refreshHealth: true) }
        #expect(refreshed.indices.filter { refreshed[$0] } == [0, 10, 20])
    }

    @Test func aListenerComingBackGetsFreshHealthAtOnce() {
        var schedule = LiveTickSchedule(healthEvery: 10)
        #expect(schedule.next(listeners: 1) == .publish(refreshHealth: true))
        for _ in 0..<3 { #expect(schedule.next(listeners: 1) == .publish(refreshHealth: false)) }
        #expect(schedule.next(listeners: 0) == .none)
        #expect(schedule.next(listeners: 1) == .publish(refreshHealth: true))
        #expect(schedule.next(listeners: 1) == .publish(refreshHealth: false))
    }

    @Test func everyTickRefreshesWhenAskedTo() {
        var schedule = LiveTickSchedule(healthEvery: 1)
        for _ in 0..<5 { #expect(schedule.next(listeners: 1) == .publish(refreshHealth: true)) }
    }
}
