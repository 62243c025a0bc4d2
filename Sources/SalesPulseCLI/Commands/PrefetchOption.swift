import ArgumentParser
import SalesPulseRuntime

/// The `--prefetch` option of `run` and `bench`: how many records the input consumer fetches
/// ahead of processing (``RuntimeConfiguration/prefetchRecords``).
enum PrefetchOption {
    /// The option's help text.
    static let help: ArgumentHelp = "Records fetched ahead of processing at most, all owned partitions together (a backlog stays in Kafka, not in memory), or 'none' for librdkafka's own prefetch of up to 1,000,000 records. See BENCHMARKS.md, sessions 13, 14 and 24, for the figures."

    /// The option's default: ``RuntimeConfiguration/defaultPrefetchRecords``.
    static let defaultValue = String(RuntimeConfiguration.defaultPrefetchRecords)

    /// `none` (no bound) or a positive record count.
    static func parse(_ text: String) throws -> Int? {
        if text == "none" { return nil }
        guard let records = Int(text), records > 0 else {
            throw ValidationError("--prefetch \(text): expected a positive number of records or 'none'")
        }
        return records
    }
}
