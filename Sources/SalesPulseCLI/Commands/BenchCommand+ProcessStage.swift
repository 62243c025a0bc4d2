import ArgumentParser
import Foundation
import SalesPulseModel
import SalesPulseKafka
import SalesPulseProjections
import SalesPulseRuntime
import SalesPulseServer
import Synchronization

/// The process stage: the per-record work without Kafka.
extension BenchCommand {
    /// The consume thread's per-record CPU work without Kafka, with and without counters and rules.
    func processStage(_ configuration: ProcessConfiguration) {
        guard let samples = stageEvents(count: events, stage: "process") else { return }
        let records = ProcessStage.records(samples, partitions: partitions)
        let events = records.count
        var bare = configuration
        bare.counters = []
        bare.counterRules = []
        bare.absenceRules = []
        bare.sequenceRules = []
        let runs = Set(processRuns.split(separator: ",").map(String.init))
        let lookAheads = lookAhead.split(separator: ",").compactMap { ProcessStage.LookAhead(rawValue: String($0)) }
        typealias Measurement = (wall: Duration, cpu: Double, statistics: PartitionStatistics)
        var variants: [(title: String, measure: () -> Measurement)] = []
        for (run, label, variant) in [("local", "with counters and rules", configuration), ("bare", "without counters and rules", bare)] where runs.contains(run) {
            for mode in lookAheads {
                let described = lookAheads.count > 1 || mode != .full ? ", look-ahead \(mode.rawValue)" : ""
                variants.append(("(decode, validate, dedupe, fold, counters, rules; 1 core, no Kafka) \(label)\(described)", {
                    ProcessStage.measure(records, partitions: partitions, configuration: variant, lookAhead: mode)
                }))
            }
        }
        if runs.contains("repartitioned") {
            // The runtime's default: counters and rep exits forwarded and folded by repartitioned partitions.
            variants.append(("repartitioned, as the runtime by default (counter inputs and rep exits forwarded in batch records and folded by the repartitioned partitions, both sides on 1 core, no Kafka)", {
                ProcessStage.measureRepartitioned(records, partitions: partitions, configuration: configuration)
            }))
        }
        // Rounds taken in turn, so that a slow phase of the machine does not fall on one variant.
        var best = [Duration](repeating: .seconds(1_000_000), count: variants.count)
        var bestCPU = [Double](repeating: .infinity, count: variants.count)
        var statistics = [PartitionStatistics](repeating: PartitionStatistics(), count: variants.count)
        for round in 1...rounds {
            for (index, variant) in variants.enumerated() {
                let (elapsed, cpu, tally) = variant.measure()
                best[index] = min(best[index], elapsed)
                bestCPU[index] = min(bestCPU[index], cpu)
                statistics[index] = tally
                let label = variants.count > 1 ? " [\(index + 1)/\(variants.count)]" : ""
                Console.status("process round \(round)\(label): \(rate(events, elapsed)) events/s (\(Int(Double(events) / cpu)) per CPU-second)")
            }
        }
        for (index, variant) in variants.enumerated() {
            let forwarded = statistics[index].repartitioned > 0 ? ", forwarded entries folded \(statistics[index].repartitioned)" : ""
            Console.line("process \(variant.title): \(rate(events, best[index])) events/s (\(Int(Double(events) / bestCPU[index])) per CPU-second), applied \(statistics[index].applied)\(forwarded), rejected \(statistics[index].rejected)")
        }
        // Checkpoint cost of the resulting state.
        let (_, _, projectors) = ProcessStage.fold(records, partitions: partitions, configuration: configuration)
        let checkpointed = projectors.reduce(0) { $0 + $1.projection.customers.count }
        let directory = NSTemporaryDirectory() + "salespulse-bench-checkpoints-\(ProcessInfo.processInfo.processIdentifier)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let (encodes, write, read, bytes) = try ProcessStage.checkpoint(projectors, directory: directory, encodeRounds: rounds)
            let sorted = encodes.sorted()
            let perCustomer = { (duration: Duration) in String(format: "%.1f", seconds(duration) * 1e6 / Double(max(1, checkpointed))) }
            let encoding = "encoding best \(Int(seconds(sorted[0]) * 1000)) ms (\(perCustomer(sorted[0])) µs per customer: an in-place round's pause), median \(Int(seconds(sorted[sorted.count / 2]) * 1000)) ms of \(sorted.count)"
            Console.line("checkpoint (1 core): \(partitions) partitions, \(checkpointed) customers, \(bytes) bytes: \(encoding); written once \(Int(seconds(write) * 1000)) ms (\(perCustomer(write)) µs per customer: encoding, LZ4, CRC, fsync, rename), read back \(Int(seconds(read) * 1000)) ms")
        } catch {
            Console.line("checkpoint failed: \(error)")
        }
        // What a live instance writes at each interval once its partitions have full
        // checkpoints: the last 1 % of the records came after them.
        let tail = max(1, events / 100)
        do {
            let (delta, deltaBytes, full, fullBytes, changed, customers) = try ProcessStage.incrementalCheckpoint(records, tail: tail, partitions: partitions, configuration: configuration, directory: directory + "-incremental")
            defer { try? FileManager.default.removeItem(atPath: directory + "-incremental") }
            Console.line("incremental checkpoint (1 core): the last \(tail) records (1 %) changed \(changed) of \(customers) customers: deltas \(deltaBytes) bytes in \(Int(seconds(delta) * 1000)) ms, full checkpoints of the same state \(fullBytes) bytes in \(Int(seconds(full) * 1000)) ms (\(String(format: "%.1f", Double(fullBytes) / Double(max(1, deltaBytes))))× the bytes)")
        } catch {
            Console.line("incremental checkpoint failed: \(error)")
        }
    }

    /// The events a stage folds: at most `count` lines of `--events-file`, or `count` generated
    /// samples; nil (after saying why) when the file holds none.
    func stageEvents(count: Int, stage: String) -> [[UInt8]]? {
        guard let eventsFile else {
            Console.status("\(stage): generating \(count) sample events…")
            return SampleEvents.make(count: count, customers: customers)
        }
        Console.status("\(stage): reading up to \(count) events from \(eventsFile)…")
        guard let lines = ProcessStage.lines(of: eventsFile, limit: count), !lines.isEmpty else {
            Console.line("\(stage): \(eventsFile) holds no events (one JSON event per line)")
            return nil
        }
        return lines
    }
}
