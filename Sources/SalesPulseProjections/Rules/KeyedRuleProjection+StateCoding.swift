import SalesPulseModel

// The positional checkpoint layout of the keyed rules' state (see ``StateWriter``), in a
// deterministic order: rules, customers and exit keys sorted. Changing this layout changes the
// checkpoint format version.

extension KeyedRuleProjection {
    /// Writes the state: the pending absences grouped by rule, then the reps' exits.
    ///
    /// Positional, like a customer: through the generic `Encoder` every absence was a keyed
    /// container of seven named fields, 18 % of a checkpoint's time (BENCHMARKS.md, session 19).
    public func write(to writer: inout StateWriter) {
        writer.write(pending) { writer, customers in
            writer.write(customers) { $1.write(to: &$0) }
        }
        writer.write(exits) { writer, kept in
            writer.write(count: kept.count)
            for exit in kept {
                writer.write(exit.at)
                writer.write(exit.customer)
                writer.write(exit.missed)
            }
        }
    }

    /// Reads a state written by ``write(to:)``, timers included.
    public init(reading reader: inout StateReader) throws(StateReadError) {
        let pending = try reader.readDictionary { reader throws(StateReadError) in
            try reader.readDictionary { reader throws(StateReadError) in try Pending(reading: &reader) }
        }
        let exits = try reader.readDictionary { reader throws(StateReadError) in
            var kept: [StepExit] = []
            for _ in 0..<(try reader.readCount()) {
                kept.append(StepExit(at: try reader.readTime(), customer: try reader.readString(), missed: try reader.readBool()))
            }
            return kept
        }
        self.init(pending: pending.flatMap { rule, customers in customers.map { customer, entry in entry.withRule(rule, customer: customer) } }, exits: exits)
    }
}

extension KeyedRuleProjection {
    /// The state restricted to the pending absences of `customers` (every rule's), with every
    /// rep's exits: what an incremental checkpoint holds of the rules for the customers it holds.
    public func pending(of customers: [String]) -> KeyedRuleProjection {
        var entries: [Pending] = []
        for group in groups {
            for customer in customers {
                if let entry = group.customers[customer] { entries.append(entry) }
            }
        }
        return KeyedRuleProjection(pending: entries, exits: exits)
    }

    /// This state with the pending absences of `customers` replaced by those `delta` holds
    /// (``pending(of:)`` of them, taken later; a customer it has none of has none left), and
    /// `delta`'s exits.
    public func replacingPending(of customers: Set<String>, with delta: KeyedRuleProjection) -> KeyedRuleProjection {
        var entries: [Pending] = []
        for group in groups {
            for (customer, entry) in group.customers where !customers.contains(customer) { entries.append(entry) }
        }
        for group in delta.groups { entries.append(contentsOf: group.customers.values) }
        return KeyedRuleProjection(pending: entries, exits: delta.exits)
    }
}

extension KeyedRuleProjection.Pending {
    /// Writes the entry without its rule id and customer (the keys it is written under).
    func write(to writer: inout StateWriter) {
        writer.write(since)
        writer.write(deadline)
        writer.write(rep)
        writer.write(region)
        writer.write(alert) { $1.write(to: &$0) }
    }

    /// Reads an entry written by ``write(to:)``; its rule and customer are given by
    /// ``withRule(_:customer:)``.
    init(reading reader: inout StateReader) throws(StateReadError) {
        self.init(rule: "", customer: "", since: try reader.readTime(), deadline: try reader.readTime(),
                  rep: try reader.readOptionalString(), region: try reader.readOptionalString(),
                  alert: try reader.readOptional { reader throws(StateReadError) in try Alert(reading: &reader) })
    }

    /// The entry under `rule` for `customer`.
    func withRule(_ rule: String, customer: String) -> Self {
        var entry = self
        entry.rule = rule
        entry.customer = customer
        return entry
    }
}
