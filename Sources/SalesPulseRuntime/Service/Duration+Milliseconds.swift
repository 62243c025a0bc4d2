extension Duration {
    /// The duration in whole milliseconds (for logs).
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
    /// The duration in whole nanoseconds (for metrics).
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
    /// The duration in milliseconds with their fraction (for status figures).
    var fractionalMilliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
    /// The duration in seconds with their fraction (for status figures and metrics).
    var fractionalSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
