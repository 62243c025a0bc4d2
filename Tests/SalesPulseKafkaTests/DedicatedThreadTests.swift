import Foundation
import Testing
@testable import SalesPulseKafka

/// ``DedicatedThread``: threads carry their names into the operating system, shortened to fit.
@Suite struct DedicatedThreadTests {
    @Test(arguments: [
        ("salespulse.fold.1", "sp.fold.1"),
        ("salespulse.checkpoint", "sp.checkpoint"),
        ("bench.raw", "bench.raw"),
        ("salespulse.consumer-close", "sp.consumer-clo"), // cut to 15 bytes
        ("salespulse.ééééééé", "sp.éééééé"),                 // never in the middle of a character
    ])
    func systemNamesFitFifteenBytes(name: String, shown: String) {
        #expect(DedicatedThread.systemName(name) == shown)
        #expect(DedicatedThread.systemName(name).utf8.count <= 15)
    }

    #if os(Linux)
    @Test func aThreadShowsItsNameToTheSystem() async throws {
        let shown = try await DedicatedThread.run(name: "salespulse.name-test") {
            try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
        }
        #expect(shown.trimmingCharacters(in: .whitespacesAndNewlines) == "sp.name-test")
    }
    #endif
}
