import Foundation
import SalesPulseModel

/// `bench --stages decode`: decode+validate on one core, called as the runtime's consume loop
/// calls it (``EventDecoder/decode(_:key:referenceTime:)`` with the record's key, so the
/// subject-equals-key rule runs; the event is dropped right after, freeing its strings). Then
/// the parse alone, to split the time between the C/C++ shim and building Swift values.
enum DecodeStage {
    /// The figures of one run.
    struct Result {
        /// The fastest round's wall time.
        var best: Duration
        /// The fastest round's CPU time of the decoding thread, in seconds.
        var bestCPU: Double
        /// The fastest parse-only round's wall time.
        var bestParse: Duration
        /// Events accepted per round (all of them, for the generated samples).
        var accepted: Int
    }

    static func run(_ samples: [[UInt8]], rounds: Int, decoder: EventDecoder, reference: EventTime) -> Result {
        let keys = samples.map { SubjectScanner.subject(in: $0) ?? [] }
        var result = Result(best: .seconds(1_000_000), bestCPU: .infinity, bestParse: .seconds(1_000_000), accepted: 0)
        for round in 1...rounds {
            var accepted = 0
            let (elapsed, cpu) = CPUTime.measureThread {
                for index in samples.indices {
                    samples[index].withUnsafeBytes { value in
                        keys[index].withUnsafeBytes { key in
                            do {
                                let event = try decoder.decode(value, key: key, referenceTime: reference)
                                if event.type.rawValue != .max { accepted &+= 1 }
                            } catch {}
                        }
                    }
                }
            }
            result.accepted = accepted
            result.best = min(result.best, elapsed)
            result.bestCPU = min(result.bestCPU, cpu)
            Console.status("decode round \(round): \(Int(Double(samples.count) / seconds(elapsed))) events/s (\(Int(Double(samples.count) / cpu)) per CPU-second)")
        }
        for _ in 1...rounds {
            let (elapsed, _) = CPUTime.measureThread {
                for sample in samples { _ = sample.withUnsafeBytes { decoder.parseOnly($0) } }
            }
            result.bestParse = min(result.bestParse, elapsed)
        }
        return result
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
