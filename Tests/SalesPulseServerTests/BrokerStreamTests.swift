import Foundation
import Synchronization
import Testing
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
import SalesPulseRuntime
@testable import SalesPulseServer

/// The whole live path: events published to the embedded broker over TCP, consumed and folded
/// by the runtime with the shipped configuration, and read back as Server-Sent Events: the
/// per-second counter value and the counter rule's alert.
@Suite struct BrokerStreamTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func event(_ id: String, type: String, customer: String, rep: String, at millis: Int64, data: String) -> (String, String) {
        (customer, #"{"specversion":"1.0","id":"\#(id)","source":"test","type":"\#(type)","time":"\#(EventTime(epochMilliseconds: millis).rfc3339UTC)","subject":"\#(customer)","repid":"\#(rep)","region":"east","data":\#(data)}"#)
    }

    @Test func publishedEventsArriveAsCounterValuesAndAlertsOnTheStream() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 4)
        let process = try ConfigurationLoader.load(path: Self.repository.appendingPathComponent("deploy/config/salespulse.yaml").path)
        var configuration = RuntimeConfiguration(bootstrapServers: cluster.bootstrapServers, process: process)
        configuration.stateDirectory = NSTemporaryDirectory() + "salespulse-stream-\(UUID().uuidString)"
        configuration.group = "stream-test"
        let runtime = try ProjectorRuntime(configuration: configuration)
        defer { try? FileManager.default.removeItem(atPath: configuration.stateDirectory) }
        let hub = LiveEventHub()
        runtime.onOutputs { hub.publish($0) }
        // Port 0: the system picks a free one (a fixed guess could collide with a broker's).
        let web = HTTPService(server: SalesPulseHTTPServer(queries: runtime, hub: hub), host: "127.0.0.1", port: 0)
        let serving = Task { try await web.run() }
        let port = try await web.waitUntilListening(timeout: listenWait)
        let running = Task { try await runtime.run() }
        while !runtime.isReady { try await Task.sleep(for: .milliseconds(20)) }

        // Read the stream on its own thread until both expected updates arrived (or 60 s).
        let lines = Mutex<[String]>([])
        let done = Atomic<Bool>(false)
        // The objections travel through the counters' repartition topic, where the two codes may
        // sit in different partitions and be folded in different batches: wait for one tick
        // that shows both.
        @Sendable func complete(_ lines: [String]) -> Bool {
            lines.contains { $0.contains(#""counter":"objection_reps_1h""#) && $0.contains(#""price_too_high":3"#) && $0.contains(#""no_budget":1"#) }
                && lines.contains { $0.contains("customer_high_intent_by_3_reps") && $0.contains(#""state":"fired""#) }
        }
        let reader = Thread {
            let deadline = Date().addingTimeInterval(60)
            LoopbackSSEClient.stream(port: port, path: "/v1/stream?topics=counters,alerts", shouldStop: { done.load(ordering: .acquiring) || Date() > deadline }) { data in
                let all = lines.withLock { $0.append(String(data)); return $0 }
                if complete(all) { done.store(true, ordering: .releasing) }
            }
            done.store(true, ordering: .releasing)
        }
        reader.start()
        // Publish once the stream is subscribed (alerts are pushed once, as they fire).
        while hub.subscriberCount == 0 && !done.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(20)) }

        // Four reps' objections (rep-0002 twice: counted once) and three reps marking the same
        // customer high intent, all a few seconds old.
        let now = ProjectorRuntime.wallClockMilliseconds() - 5_000
        var events = [
            Self.event("o1", type: "sales.objection.chosen", customer: "cust-1", rep: "rep-0001", at: now, data: #"{"objection":"price_too_high"}"#),
            Self.event("o2", type: "sales.objection.chosen", customer: "cust-2", rep: "rep-0002", at: now + 1, data: #"{"objection":"price_too_high"}"#),
            Self.event("o3", type: "sales.objection.chosen", customer: "cust-3", rep: "rep-0002", at: now + 2, data: #"{"objection":"price_too_high"}"#),
            Self.event("o4", type: "sales.objection.chosen", customer: "cust-4", rep: "rep-0003", at: now + 3, data: #"{"objection":"price_too_high"}"#),
            Self.event("o5", type: "sales.objection.chosen", customer: "cust-5", rep: "rep-0004", at: now + 4, data: #"{"objection":"no_budget"}"#),
        ]
        for (index, rep) in ["rep-0005", "rep-0006", "rep-0007"].enumerated() {
            events.append(Self.event("i\(index)", type: "sales.intent.marked", customer: "cust-hot", rep: rep, at: now + 10 + Int64(index), data: #"{"level":"high"}"#))
        }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        for (key, value) in events { try producer.enqueue(KafkaOutgoingMessage(topic: "sales.events", key: key, value: value)) }
        try producer.flush(timeout: .seconds(30))
        producer.close()

        while !done.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(50)) }
        let received = lines.withLock { $0 }
        #expect(complete(received), "stream did not carry both updates: \(received.suffix(10))")
        let alert = received.first { $0.contains("customer_high_intent_by_3_reps") } ?? ""
        #expect(alert.contains("cust-hot"))
        let counter = received.last { $0.contains(#""counter":"objection_reps_1h""#) } ?? ""
        #expect(counter.contains(#""price_too_high":3"#) && counter.contains(#""no_budget":1"#), "the last tick keeps both codes: \(counter)")

        // Observability of the same run: lag per partition and the end-to-end latency histogram.
        let metrics = try await DedicatedThread.run(name: "test.metrics") {
            try LoopbackSSEClient.readRaw(port: port, path: "/metrics", until: "# EOF", count: 1)
        }
        #expect(metrics.contains("# TYPE salespulse_event_latency_seconds histogram"))
        #expect(metrics.contains("salespulse_consumer_lag{topic=\"sales.events\",partition=\"0\"}"))
        // Recorded through swift-metrics into the runtime's Prometheus registry.
        #expect(metrics.contains("salespulse_records_in_total{topic=\"sales.events\"} \(events.count)"), "\(metrics)")
        #expect(metrics.contains("salespulse_event_latency_seconds_count \(events.count)"))
        #expect(metrics.contains("# TYPE salespulse_fold_batch_seconds histogram"))
        // The consume loop's seconds per phase: it folded batches and waited for records.
        #expect(metrics.contains("# TYPE salespulse_consume_loop_seconds_total counter"))
        for phase in ["folding", "waiting"] {
            let prefix = "salespulse_consume_loop_seconds_total{phase=\"\(phase)\"} "
            let seconds = metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
            #expect((seconds ?? 0) > 0, "\(phase): \(metrics)")
        }
        let loop = runtime.loopTime
        // (A trickle of records may each come from a call that blocked for it: taking may be 0.)
        #expect(loop[.folding] > 0 && loop[.waiting] > 0, "\(loop)")
        #expect(metrics.contains("salespulse_records_out_total{topic=\"repartition\"}"), "objections are forwarded to the counters' repartition topic")
        #expect(runtime.latencyHistogram.count == events.count, "every applied event timed")
        #expect(runtime.latencyHistogram.counts.last == 0, "none older than a day")

        runtime.stop()
        try await running.value
        await web.shutdown()
        _ = try? await serving.value
    }
}
