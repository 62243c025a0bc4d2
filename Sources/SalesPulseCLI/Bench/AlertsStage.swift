import Foundation
import SalesPulseModel
import SalesPulseProjections
import SalesPulseRuntime

/// `bench --stages alerts`: what writing alert changes as alerts-topic records costs, one core.
/// The flow projection folds the sample events, then its watermark moves a year on so that
/// every customer's timers fire; each fired alert and a resolved copy of it are written as the
/// runtime writes them on its fold threads (CloudEvents JSON, keyed by customer). A backlog
/// that fires an alert for most customers spends a few per cent of its CPU here.
enum AlertsStage {
    static func run(samples: [[UInt8]], configuration: ProcessConfiguration, rounds: Int) {
        let decoder = EventDecoder()
        let reference = EventTime(epochMilliseconds: 1_900_000_000_000)
        var projection = FlowProjection(configuration: configuration)
        var latest = EventTime(epochMilliseconds: 0)
        for sample in samples {
            guard let event = sample.withUnsafeBytes({ try? decoder.decode($0, referenceTime: reference) }) else { continue }
            projection.apply(event)
            if event.time > latest { latest = event.time }
        }
        var outputs: [FlowOutput] = []
        for case .alert(let alert) in projection.advance(to: latest.adding(milliseconds: 365 * 86_400_000)) where alert.state == .fired {
            outputs.append(.alert(alert))
            var resolved = alert
            resolved.state = .resolved
            resolved.resolvedAt = alert.since.adding(milliseconds: 86_400_000)
            outputs.append(.alert(resolved))
        }
        guard !outputs.isEmpty else {
            Console.line("alerts: the configuration fired no alert on the sample events; nothing to measure")
            return
        }
        var best = Duration.seconds(1_000_000)
        var bytes = 0
        for round in 1...rounds {
            let start = ContinuousClock.now
            let records = AlertEvent.records(outputs)
            let elapsed = ContinuousClock.now - start
            bytes = records.bytes.count
            withExtendedLifetime(records) {}
            best = min(best, elapsed)
            Console.status("alerts round \(round): \(nanoseconds(elapsed, outputs.count)) ns per alert")
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
        Console.line("alerts-topic records (CloudEvents JSON keyed by customer; 1 core): \(outputs.count) alert changes (fired and resolved) of \(projection.customers.count) customers, \(nanoseconds(best, outputs.count)) ns per alert = \(Int(Double(outputs.count) / seconds)) alerts/s, \(bytes / outputs.count) bytes each")
    }

    private static func nanoseconds(_ duration: Duration, _ count: Int) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.0f", seconds / Double(count) * 1e9)
    }
}
