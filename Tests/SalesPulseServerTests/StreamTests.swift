import Foundation
import Hummingbird
import Testing
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseServer

/// Server-Sent Events over a real loopback socket: live delivery, filters and resumption.
@Suite struct StreamTests {
    /// Reads on a dedicated thread: a blocking read on the cooperative pool could starve the
    /// server's own handlers on a loaded 2-core machine.
    static func readStream(port: Int, path: String, headers: String = "", until marker: String, count: Int) async throws -> String {
        try await DedicatedThread.run(name: "test.sse") { try LoopbackSSEClient.readRaw(port: port, path: path, headers: headers, until: marker, count: count) }
    }

    static func alert(_ customer: String, region: String) -> Alert {
        Alert(rule: "step-sla", customer: customer, rep: nil, organisation: Organisation(), region: region, flow: "delivery", step: "hospital_receipt", since: EventTime(epochMilliseconds: 1_772_323_200_000), reason: "stuck")
    }

    @Test func alertsArriveLiveFilteredByTopicAndRegionAndResumeAfterLastEventID() async throws {
        let hub = LiveEventHub()
        let queries = try FoldedProjections(events: [], now: EventTime(epochMilliseconds: 1_772_323_200_000))
        let server = SalesPulseHTTPServer(queries: queries, hub: hub)
        // Port 0: the system picks a free one (a fixed guess could collide with a broker's).
        let service = HTTPService(server: server, host: "127.0.0.1", port: 0)
        let running = Task { try await service.run() }
        defer { running.cancel() }
        let port = try await service.waitUntilListening(timeout: listenWait)
        let reader = Task.detached {
            try await Self.readStream(port: port, path: "/v1/stream?topics=alerts&region=east", until: "event: alerts", count: 2)
        }
        // Publish once the stream is subscribed (however slow the machine).
        let deadline = ContinuousClock.now + .seconds(30)
        while hub.subscriberCount == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        hub.publish([.alert(Self.alert("c-west", region: "west")), .stepChanged(customer: "c1", flow: "f", from: nil, to: "s", at: EventTime(epochMilliseconds: 0))])
        hub.publish([.alert(Self.alert("c-east-1", region: "east"))])
        hub.publish([.alert(Self.alert("c-east-2", region: "east"))])
        let text = try await reader.value
        #expect(text.contains("text/event-stream"))
        #expect(text.contains("c-east-1") && text.contains("c-east-2"))
        #expect(!text.contains("c-west"), "region filter")
        #expect(!text.contains("event: steps"), "topic filter")

        // Resume after the first east alert: only what came later is replayed.
        guard let idLine = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("id: ") }) else {
            Issue.record("no event ids in: \(text)")
            return
        }
        let firstID = idLine.dropFirst(4)
        let resumed = try await Self.readStream(port: port, path: "/v1/stream?topics=alerts", headers: "Last-Event-ID: \(firstID)\r\n", until: "event: alerts", count: 1)
        #expect(resumed.contains("c-east-2"))
        #expect(!resumed.contains("c-east-1"))
        await service.shutdown()
    }
}
