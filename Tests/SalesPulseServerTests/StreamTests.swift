import Foundation
import Hummingbird
import Testing
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseServer

/// Server-Sent Events over a real loopback socket: live delivery, filters and resumption.
@Suite struct StreamTests {
    /// Reads from a raw TCP connection until `marker` has been seen `count` times (bounded).
    static func readStream(port: Int, path: String, headers: String = "", until marker: String, count: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\(headers)\r\n"
        _ = request.withCString { write(fd, $0, strlen($0)) }
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while text.components(separatedBy: marker).count - 1 < count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { text += "\n[read \(n) errno \(errno)]"; break }
            text += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        return text
    }

    static func alert(_ customer: String, region: String) -> Alert {
        Alert(rule: "step-sla", customer: customer, rep: nil, organisation: Organisation(), region: region, flow: "delivery", step: "hospital_receipt", since: EventTime(epochMilliseconds: 1_772_323_200_000), reason: "stuck")
    }

    @Test func alertsArriveLiveFilteredByTopicAndRegionAndResumeAfterLastEventID() async throws {
        let hub = LiveEventHub()
        let queries = try FoldedProjections(events: [], now: EventTime(epochMilliseconds: 1_772_323_200_000))
        let server = SalesPulseHTTPServer(queries: queries, hub: hub)
        let port = 39_000 + Int.random(in: 0..<900)
        let service = HTTPService(server: server, host: "127.0.0.1", port: port)
        let running = Task { try await service.run() }
        defer { running.cancel() }
        // Wait until the port accepts connections.
        for _ in 0..<100 {
            if (try? Self.readStream(port: port, path: "/healthz", until: "ok", count: 1))?.contains("ok") == true { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let reader = Task.detached {
            try Self.readStream(port: port, path: "/v1/stream?topics=alerts&region=east", until: "event: alerts", count: 2)
        }
        try await Task.sleep(for: .milliseconds(300))
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
        let resumed = try Self.readStream(port: port, path: "/v1/stream?topics=alerts", headers: "Last-Event-ID: \(firstID)\r\n", until: "event: alerts", count: 1)
        #expect(resumed.contains("c-east-2"))
        #expect(!resumed.contains("c-east-1"))
        await service.shutdown()
    }
}
