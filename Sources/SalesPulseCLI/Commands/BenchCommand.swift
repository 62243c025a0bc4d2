import ArgumentParser
import Foundation
import SalesPulseModel
import SalesPulseProjections

/// `salespulse bench`: measures the hot path and prints figures.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure decode+validate throughput on one core (and more stages as they land).",
        discussion: "Prints events/s per stage, best of --rounds. Build with -c release for meaningful figures."
    )

    @Option(help: "Events per round.")
    var events: Int = 1_000_000

    @Option(help: "Rounds per stage (the best is reported).")
    var rounds: Int = 5

    @Option(help: "Process configuration for the fold stage.")
    var config: String = "deploy/config/salespulse.yaml"

    func run() async throws {
        Console.bootstrapLogging()
        Console.status("generating \(events) sample events…")
        let samples = SampleEvents.make(count: events)
        let bytes = samples.reduce(0) { $0 + $1.count }
        Console.line("events: \(events), mean size: \(bytes / events) bytes")
        let decoder = EventDecoder()
        let reference = EventTime(epochMilliseconds: 1_900_000_000_000)
        var best = Duration.seconds(1_000_000)
        var accepted = 0
        for round in 1...rounds {
            let clock = ContinuousClock()
            var ok = 0
            let elapsed = clock.measure {
                for sample in samples {
                    sample.withUnsafeBytes { buffer in
                        if (try? decoder.decode(buffer, referenceTime: reference)) != nil { ok += 1 }
                    }
                }
            }
            accepted = ok
            best = min(best, elapsed)
            Console.status("decode round \(round): \(rate(events, elapsed)) events/s")
        }
        Console.line("decode+validate (simdjson, 1 core): \(rate(events, best)) events/s, \(String(format: "%.1f", Double(bytes) / seconds(best) / 1e6)) MB/s, accepted \(accepted)/\(events)")

        // Fold stage: the flow projection alone on pre-decoded events.
        let configuration = try ConfigurationLoader.load(path: config)
        let decoded = samples.compactMap { sample in sample.withUnsafeBytes { try? decoder.decode($0, referenceTime: reference) } }
        var bestFold = Duration.seconds(1_000_000)
        var customers = 0
        for round in 1...rounds {
            var projection = FlowProjection(configuration: configuration)
            let elapsed = ContinuousClock().measure {
                for event in decoded { projection.apply(event) }
            }
            customers = projection.customers.count
            bestFold = min(bestFold, elapsed)
            Console.status("fold round \(round): \(rate(decoded.count, elapsed)) events/s")
        }
        Console.line("flow projection fold (1 core, pre-decoded): \(rate(decoded.count, bestFold)) events/s over \(customers) customers")
    }

    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    func rate(_ count: Int, _ duration: Duration) -> String {
        String(Int(Double(count) / seconds(duration)))
    }
}
