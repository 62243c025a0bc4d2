extension Array where Element == CustomerState {
    /// The customers sorted by customer id: the deterministic order of checkpoints and reports.
    ///
    /// Sorts positions by the ids and gathers the states once at the end: sorting the states
    /// themselves moved a 256-byte record at every step of the sort, which took over a third of
    /// a checkpoint's time (BENCHMARKS.md, session 19).
    public func sortedByCustomerID() -> [CustomerState] {
        let ids = map(\.customer)
        let order = ids.indices.sorted { ids[$0] < ids[$1] }
        return order.map { self[$0] }
    }
}

extension FlowProjection {
    /// The customer states sorted by customer id (see ``Swift/Array/sortedByCustomerID()``),
    /// gathered straight from the map: through its generic `values` sequence each state was
    /// copied by unspecialized code, which took most of the time of this.
    public func customersSortedByID() -> [CustomerState] {
        customers.valuesSortedByKey()
    }
}
