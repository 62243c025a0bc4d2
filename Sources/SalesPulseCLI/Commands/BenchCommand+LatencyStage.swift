import ArgumentParser
import Foundation
import SalesPulseModel
import SalesPulseKafka
import SalesPulseProjections
import SalesPulseRuntime
import SalesPulseServer
import Synchronization

/// The latency stage: publish → projection updated → Server-Sent Event.
extension BenchCommand {
    /// Publish → Server-Sent Event latency: step.entered events at a fixed rate to the embedded
    /// broker, the runtime in live mode, and an SSE client on the HTTP endpoint receiving the
    /// matching step changes. Each customer id carries its publish sequence number.
    func latencyStage(_ configuration: ProcessConfiguration) async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("latency.events", partitions: 4)
        var runtimeConfiguration = RuntimeConfiguration(bootstrapServers: cluster.bootstrapServers, process: configuration)
        runtimeConfiguration.topic = "latency.events"
        runtimeConfiguration.group = "bench-latency"
        runtimeConfiguration.stateDirectory = NSTemporaryDirectory() + "salespulse-latency-\(ProcessInfo.processInfo.processIdentifier)"
        runtimeConfiguration.checkpointIntervalMilliseconds = latencyCheckpointMilliseconds
        let runtime = try ProjectorRuntime(configuration: runtimeConfiguration)
        let hub = LiveEventHub()
        let sent = Mutex<[Int: ContinuousClock.Instant]>([:])
        let projected = Mutex<[Double]>([])
        runtime.onOutputs { outputs in
            // Publish → projection updated, for the breakdown.
            let now = ContinuousClock.now
            for case .stepChanged(let customer, _, _, _, _) in outputs {
                if let sequence = Int(customer.dropFirst(4)), let start = sent.withLock({ $0[sequence] }) {
                    projected.withLock { $0.append(Self.milliseconds(now - start)) }
                }
            }
        }
        runtime.onOutputs { hub.publish($0) }
        let web = HTTPService(server: SalesPulseHTTPServer(queries: runtime, hub: hub), host: "127.0.0.1", port: 0)
        let serving = Task { try await web.run() }
        let port = try await web.waitUntilListening()
        let running = Task { try await runtime.run() }
        while !runtime.isReady { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(500))

        let total = latencyRate * latencySeconds
        let received = Mutex<[Double]>([])
        let clientDone = StopSignal()
        // The SSE client: a raw loopback connection reading the stream.
        DedicatedThread.start(name: "bench.sse") {
            LoopbackSSEClient.stream(port: port, path: "/v1/stream?topics=steps", shouldStop: { clientDone.isStopped }) { data in
                guard let range = data.range(of: "\"customer\":\"lat-"), let end = data[range.upperBound...].firstIndex(of: "\"") else { return }
                guard let sequence = Int(data[range.upperBound..<end]) else { return }
                let now = ContinuousClock.now
                if let start = sent.withLock({ $0[sequence] }) {
                    received.withLock { $0.append(Self.milliseconds(now - start)) }
                }
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        Console.status("latency: publishing \(total) events at \(latencyRate)/s…")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        let start = ContinuousClock.now
        for sequence in 0..<total {
            let due = start + .microseconds(Int64(sequence) * 1_000_000 / Int64(latencyRate))
            if due > .now { try await Task.sleep(until: due, clock: .continuous) }
            let millis = Int64(Date().timeIntervalSince1970 * 1000)
            let customer = "lat-\(sequence)"
            let json = #"{"specversion":"1.0","id":"lat-\#(sequence)","source":"bench","type":"sales.step.entered","time":"\#(EventTime(epochMilliseconds: millis).rfc3339UTC)","subject":"\#(customer)","repid":"rep-0001","data":{"flow":"academic","step":"dept_visit"}}"#
            sent.withLock { $0[sequence] = .now }
            try producer.enqueue(KafkaOutgoingMessage(topic: "latency.events", key: customer, value: json))
        }
        try producer.flush(timeout: .seconds(30))
        let deadline = ContinuousClock.now + .seconds(10)
        while received.withLock({ $0.count }) < total && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        clientDone.stop()
        let latencies = received.withLock { $0 }.sorted()
        producer.close()
        runtime.stop()
        try await running.value
        await web.shutdown()
        _ = try? await serving.value
        try? FileManager.default.removeItem(atPath: runtimeConfiguration.stateDirectory)
        guard !latencies.isEmpty else { throw ValidationError("latency: no events came back over SSE") }
        func percentile(_ values: [Double], _ p: Double) -> String { String(format: "%.1f", values[min(values.count - 1, Int(Double(values.count) * p))]) }
        Console.line("latency publish → SSE at \(latencyRate) events/s for \(latencySeconds) s: p50 \(percentile(latencies, 0.5)) ms, p99 \(percentile(latencies, 0.99)) ms, max \(String(format: "%.1f", latencies.last!)) ms (\(latencies.count) of \(total) received)")
        let updated = projected.withLock { $0 }.sorted()
        if !updated.isEmpty {
            Console.line("latency publish → projection updated (same run): p50 \(percentile(updated, 0.5)) ms, p99 \(percentile(updated, 0.99)) ms, max \(String(format: "%.1f", updated.last!)) ms")
        }
    }
}
