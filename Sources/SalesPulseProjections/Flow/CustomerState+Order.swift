extension Sequence where Element == CustomerState {
    /// The customers sorted by customer id: the deterministic order of checkpoints and reports.
    ///
    /// Sorts positions by the ids and gathers the states once at the end: sorting the states
    /// themselves moved a 256-byte record at every step of the sort, which took over a third of
    /// a checkpoint's time (BENCHMARKS.md, session 19).
    public func sortedByCustomerID() -> [CustomerState] {
        let customers = Array(self)
        let ids = customers.map(\.customer)
        let order = ids.indices.sorted { ids[$0] < ids[$1] }
        return order.map { customers[$0] }
    }
}
