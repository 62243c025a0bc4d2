import ArgumentParser
import Foundation
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
import SalesPulseRuntime
import SalesPulseServer

/// `salespulse demo`: everything in one process, no external services.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the embedded broker, a simulated sales org, the projector and a live summary.",
        discussion: """
        Starts the embedded Kafka broker on 127.0.0.1, creates sales.events (4 partitions), its \
        DLQ and salespulse.alerts, starts a simulator of --customers customers worked by the \
        configuration's reps at --rate events/s (with realistic mistakes: skipped evidence, bad \
        GPS, stuck deals, late and duplicate events, naive timestamps), runs the projector on \
        --config and prints a live summary every second. Event time starts --history in the past \
        and runs fast until it reaches now, so 72h and 24h rules fire within minutes. \
        Stop with Ctrl-C: the projector checkpoints and everything shuts down cleanly.
        """
    )

    @Option(help: "Process configuration (YAML); without a deploy/config/salespulse.yaml in this folder, the copy built into salespulse.")
    var config: String = BuiltInConfiguration.path

    @Option(help: "Simulated events per second.")
    var rate: Int = 2_000

    @Option(help: "Simulated customers.")
    var customers: Int = 2_000

    @Option(help: "How far in the past simulated time starts, e.g. 4d.")
    var history: String = "4d"

    @Option(help: "Stop after this many seconds (0: run until Ctrl-C).")
    var duration: Int = 0

    @Option(help: "Checkpoint folder (default: a fresh temporary folder, removed when the demo stops).")
    var stateDir: String?

    @Option(help: "HTTP address of the dashboard and API (loopback).")
    var http: String = "127.0.0.1:8080"

    func run() async throws {
        Console.bootstrapLogging()
        let process = try Console.loadConfiguration(config)
        guard let historyMilliseconds = DurationText.milliseconds(history) else { throw ValidationError("--history \(history): expected a duration such as 4d") }
        guard rate > 0, customers > 0 else { throw ValidationError("--rate and --customers must be positive") }
        guard let (host, port) = HTTPService.parse(address: http) else { throw ValidationError("--http \(http): expected HOST:PORT, e.g. 127.0.0.1:8080") }

        let cluster = try EmbeddedKafkaCluster()
        for (topic, partitions) in [("sales.events", 4), ("sales.events.dlq", 1), (AlertEvent.topic, 4)] {
            try cluster.createTopic(topic, partitions: partitions)
        }
        Console.line("embedded broker: \(cluster.bootstrapServers)  (try: kcat -b \(cluster.bootstrapServers) -C -t salespulse.alerts)")

        let directory = stateDir ?? NSTemporaryDirectory() + "salespulse-demo-\(ProcessInfo.processInfo.processIdentifier)"
        var configuration = RuntimeConfiguration(bootstrapServers: cluster.bootstrapServers, process: process)
        configuration.stateDirectory = directory
        let runtime = try ProjectorRuntime(configuration: configuration)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        var options = Simulator.Options()
        options.rate = rate
        options.customers = customers
        options.historyMilliseconds = historyMilliseconds
        let simulator = Simulator(configuration: process, producer: producer, topic: "sales.events", options: options)
        DedicatedThread.start(name: "salespulse.simulator") { simulator.run() }
        Console.line("simulating \(customers) customers and \(process.organisation.allReps.count) reps at \(rate) events/s; state in \(directory)\(stateDir == nil ? " (removed at exit)" : ""); Ctrl-C to stop")

        let hub = LiveEventHub()
        runtime.onOutputs { hub.publish($0) }
        let web = HTTPService(server: SalesPulseHTTPServer(queries: runtime, hub: hub), host: host, port: port)
        let serving = Task { try await web.run() }
        let listening: Int
        do {
            listening = try await web.waitUntilListening()
        } catch {
            simulator.stop()
            await producer.shutdown(timeout: .seconds(5))
            cluster.shutdown()
            // The temporary state folder goes as at a stop (it had been left behind).
            if stateDir == nil { try? FileManager.default.removeItem(atPath: directory) }
            throw ValidationError("--http \(http): \(error)")
        }
        Console.line("dashboard: http://\(host):\(listening)/   API: http://\(host):\(listening)/v1/alerts   live: http://\(host):\(listening)/v1/stream")
        let running = Task { try await runtime.run() }
        let summary = Task {
            var previous = 0
            var seconds = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                seconds += 1
                if runtime.isStopping { break }
                let status = runtime.status()
                let now = EventTime(epochMilliseconds: simulator.simulatedNow)
                let phi = runtime.overallMetrics(now: now).processHealthIndex(weights: process.healthWeights)
                let rateNow = status.recordsConsumed - previous
                previous = status.recordsConsumed
                let s = status.statistics
                var headline = ""
                if let counter = process.counters.first(where: { $0.id == "objection_reps_1h" }) {
                    let reps = runtime.counterState(counter.id).values(at: now, counter: counter)["price_too_high"] ?? 0
                    headline = " | 'price too high' reps (1h): \(Int(reps))"
                }
                Console.line("[\(now.rfc3339UTC.prefix(16))] \(rateNow) ev/s | customers \(status.customers) | applied \(s.applied) | DLQ \(s.rejected) | dup \(s.duplicates) | violations \(s.violations) | open alerts \(runtime.openAlertCount()) | PHI \(phi.map { String(format: "%.1f", $0) } ?? "-")\(headline)")
            }
        }
        if duration > 0 {
            Task {
                try? await Task.sleep(for: .seconds(duration))
                runtime.stop()
            }
        }
        Task {
            await SignalWaiter.waitForTermination()
            Console.status("stopping…")
            runtime.stop()
        }
        do { try await running.value } catch { Console.status("projector failed: \(error)") }
        summary.cancel()
        simulator.stop()
        await web.shutdown()
        _ = try? await serving.value
        await producer.shutdown(timeout: .seconds(5))
        let status = runtime.statusAtShutdown() ?? runtime.status()
        Console.line("stopped cleanly: \(StatusLine.render(status))")
        cluster.shutdown()
        // The embedded broker's log goes with this process: checkpoints of it could never be
        // resumed, so the temporary folder goes too (a folder given with --state-dir stays).
        if stateDir == nil { try? FileManager.default.removeItem(atPath: directory) }
    }
}
