import Foundation
import Synchronization
import Testing
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// Alerts fired while events are folded (a due timer fires before the event that finds it due,
/// not at a tick) reach the alerts topic once each, keyed by customer, whether or not a
/// listener is registered; a listener hears every one of them.
@Suite(.serialized) struct AlertPublishingTests {
    typealias H = RuntimeHarness
    static let t0: Int64 = 1_772_413_200_000

    /// Leads created, and 30 hours later (past the 24-hour activation deadline) a message for
    /// each: folding the message fires the lead's activation alert first.
    static func events(leads: Int) -> [(key: String, value: String)] {
        var events: [(String, String)] = []
        for index in 0..<leads {
            events.append(("lead-\(index)", #"{"specversion":"1.0","id":"lead-\#(index)","source":"test","type":"sales.lead.created","time":"\#(H.stamp(t0 + Int64(index) * 1_000))","subject":"lead-\#(index)","repid":"rep-\#(index % 3)","region":"east","data":{"channel":"wechat","contactMode":"visit"}}"#))
        }
        for index in 0..<leads {
            events.append(("lead-\(index)", #"{"specversion":"1.0","id":"msg-\#(index)","source":"test","type":"sales.message.sent","time":"\#(H.stamp(t0 + 30 * 3_600_000 + Int64(index) * 1_000))","subject":"lead-\#(index)","repid":"rep-\#(index % 3)","region":"east","data":{"channel":"sms"}}"#))
        }
        return events
    }

    /// `parallel`: 400 leads over 8 partitions, published before the runtime starts, so batches
    /// are folded (and their alerts queued and heard) on two fold threads at once; otherwise 40
    /// over 3, a batch folded on the consume thread alone.
    @Test(arguments: [(true, false), (false, false), (true, true), (false, true)])
    func alertsFiredWhileFoldingReachTheAlertsTopic(listening: Bool, parallel: Bool) async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: parallel ? 8 : 3)
        let leads = parallel ? 400 : 40
        let events = Self.events(leads: leads)
        try H.publish(events, to: cluster.bootstrapServers)
        let runtime = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: H.temporaryDirectory(), group: "publishing-\(listening)-\(parallel)") { runtime in
            runtime.validation.maxFutureSkewMilliseconds = Int64.max / 4
            runtime.foldThreads = parallel ? 2 : 1
            if parallel { runtime.parallelFoldMinimumBatch = 2 }
        }
        let heard = Mutex<[Alert]>([])
        if listening {
            runtime.onOutputs { outputs in
                heard.withLock { heard in for case .alert(let alert) in outputs { heard.append(alert) } }
            }
        }
        let running = Task { try await runtime.run() }
        #expect(await H.eventually { runtime.status().statistics.applied == events.count })
        let fired = runtime.openAlerts().filter { $0.rule == CustomerState.TimerRule.leadActivation }
        runtime.stop()
        try await running.value
        #expect(fired.count == leads)

        // Each fired once, as AlertEvent writes it, keyed by its customer.
        let records = try H.readAll(AlertEvent.topic, bootstrap: cluster.bootstrapServers, expected: leads)
        #expect(records.count == leads)
        // Compared as booleans: a failure names the counts, not every byte of every record.
        let eachOnce = Set(records.compactMap(\.value)) == Set(fired.map(AlertEvent.json))
        #expect(eachOnce, "every fired alert's event on the alerts topic, once")
        let keyed = records.allSatisfy { record in fired.contains { Array($0.customer.utf8) == record.key && AlertEvent.json($0) == record.value } }
        #expect(keyed, "each record keyed by its alert's customer")
        let heardAlerts = heard.withLock { $0 }
        if listening {
            #expect(heardAlerts.count == leads)
            let same = heardAlerts.sorted { $0.id < $1.id } == fired.sorted { $0.id < $1.id }
            #expect(same, "the listener heard every fired alert")
        } else {
            #expect(heardAlerts.isEmpty)
        }
    }
}
