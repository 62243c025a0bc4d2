import Foundation
import Testing
import SalesPulseKafka
import SalesPulseModel
import SalesPulseRuntime
@testable import SalesPulseServer

/// The time metrics, dwell and stuck counts are measured at by default (`at`): the watermark in
/// replay mode, and live while input arrives (the demo's simulated clock runs days behind the
/// wall clock); live once the input has been idle — a quiet night — the wall clock if later, as
/// idle partitions' timers are advanced (before session 49 it stayed at the watermark, so a
/// step's dwell and stuck count stood still while its stuck alerts fired).
@Suite struct CurrentTimeTests {
    static let eventTime = EventTime(epochMilliseconds: 1_772_413_200_000) // 2026-03-02T01:00:00Z

    @Test(arguments: [true, false]) func theProjectionsTimeIsTheWallClockLiveAndTheWatermarkInReplay(live: Bool) async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 2)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        let json = #"{"specversion":"1.0","id":"t-1","source":"test","type":"sales.step.entered","time":"2026-03-02T01:00:00Z","subject":"cust-1","repid":"rep-0001","data":{"flow":"academic","step":"dept_visit"}}"#
        try producer.enqueue(KafkaOutgoingMessage(topic: "sales.events", key: "cust-1", value: json))
        try producer.flush(timeout: .seconds(30))
        producer.close()

        var configuration = RuntimeConfiguration(bootstrapServers: cluster.bootstrapServers, process: try ConfigurationLoader.load(path: ServerTests.repository.appendingPathComponent("deploy/config/salespulse.yaml").path))
        configuration.stateDirectory = NSTemporaryDirectory() + "salespulse-now-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: configuration.stateDirectory) }
        configuration.group = "now"
        configuration.live = live
        configuration.idleAfterMilliseconds = 200
        let runtime = try ProjectorRuntime(configuration: configuration)
        let running = Task { try await runtime.run() }
        let deadline = ContinuousClock.now + .seconds(60)
        while runtime.status().statistics.applied < 1 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(runtime.status().statistics.applied == 1)

        if live {
            // Once the input has been idle, the wall clock, months after the only event.
            var now = runtime.currentTime(), before = ProjectorRuntime.wallClockMilliseconds()
            while now.epochMilliseconds < before && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                before = ProjectorRuntime.wallClockMilliseconds()
                now = runtime.currentTime()
            }
            #expect(now.epochMilliseconds >= before, "live and idle: the wall clock")
            #expect(runtime.lastInputFoldedAt > 0)
        } else {
            // Replay: the watermark, however long the input has been idle.
            try await Task.sleep(for: .milliseconds(400))
            #expect(runtime.currentTime() == Self.eventTime, "replay: the watermark")
        }
        runtime.stop()
        _ = try? await running.value
    }
}
