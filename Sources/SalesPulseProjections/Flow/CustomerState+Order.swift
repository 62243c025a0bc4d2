extension Sequence where Element == CustomerState {
    /// The customers sorted by customer id: the deterministic order of checkpoints and reports.
    ///
    /// Sorts positions by the ids and gathers the states once at the end: sorting the states
    /// themselves moved each ~300-byte state (and retained its buffers) at every swap, most of
    /// the sort's time, which in turn was over a third of a checkpoint's (BENCHMARKS.md,
    /// session 19).
    public func sortedByCustomerID() -> [CustomerState] {
        let customers = Array(self)
        let ids = customers.map(\.customer)
        let order = ids.indices.sorted { ids[$0] < ids[$1] }
        return order.map { customers[$0] }
    }
}
