import ArgumentParser

/// The `--prefetch` option of `run` and `bench`: how many records the input consumer fetches
/// ahead of processing (``RuntimeConfiguration/prefetchRecords``).
enum PrefetchOption {
    /// The option's help text.
    static let help: ArgumentHelp = "Records fetched ahead of processing at most, all owned partitions together (e.g. 200000: less memory on a backlog), or 'none' (the default) for librdkafka's own prefetch of up to 1,000,000 records. See BENCHMARKS.md, sessions 13 and 14, for the figures."

    /// `none` (no bound) or a positive record count.
    static func parse(_ text: String) throws -> Int? {
        if text == "none" { return nil }
        guard let records = Int(text), records > 0 else {
            throw ValidationError("--prefetch \(text): expected a positive number of records or 'none'")
        }
        return records
    }
}
