import SalesPulseModel

// The positional checkpoint layout of the keyed rules' state (see ``StateWriter``), in a
// deterministic order: rules, customers and exit keys sorted. Changing this layout changes the
// checkpoint format version.

extension KeyedRuleProjection {
    /// Writes the state: the pending absences grouped by rule, then the reps' exits.
    ///
    /// Positional, like a customer: through the generic `Encoder` every absence was a keyed
    /// container of seven named fields, most of the time of a checkpoint once customers were
    /// written this way (BENCHMARKS.md, session 19).
    public func write(to writer: inout StateWriter) {
        writer.write(count: pending.count)
        for rule in pending.keys.sorted() {
            let customers = pending[rule]!
            writer.write(rule)
            writer.write(count: customers.count)
            for customer in customers.keys.sorted() {
                customers[customer]!.write(to: &writer)
            }
        }
        writer.write(count: exits.count)
        for key in exits.keys.sorted() {
            writer.write(key)
            let kept = exits[key]!
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
        var entries: [Pending] = []
        for _ in 0..<(try reader.readCount()) {
            let rule = try reader.readString()
            let count = try reader.readCount()
            entries.reserveCapacity(entries.count + count)
            for _ in 0..<count { entries.append(try Pending(reading: &reader, rule: rule)) }
        }
        var exits: [String: [StepExit]] = [:]
        for _ in 0..<(try reader.readCount()) {
            let key = try reader.readString()
            let count = try reader.readCount()
            var kept: [StepExit] = []
            kept.reserveCapacity(count)
            for _ in 0..<count {
                kept.append(StepExit(at: try reader.readTime(), customer: try reader.readString(), missed: try reader.readBool()))
            }
            exits[key] = kept
        }
        self.init(pending: entries, exits: exits)
    }
}

extension KeyedRuleProjection.Pending {
    /// Writes the entry without its rule id (written once for the rule's group).
    func write(to writer: inout StateWriter) {
        writer.write(customer)
        writer.write(since)
        writer.write(deadline)
        writer.write(rep)
        writer.write(region)
        writer.write(alert) { $1.write(to: &$0) }
    }

    /// Reads an entry written by ``write(to:)`` for `rule`.
    init(reading reader: inout StateReader, rule: String) throws(StateReadError) {
        self.init(rule: rule, customer: try reader.readString(), since: try reader.readTime(), deadline: try reader.readTime(),
                  rep: try reader.readOptionalString(), region: try reader.readOptionalString(),
                  alert: try reader.readOptional { reader throws(StateReadError) in try Alert(reading: &reader) })
    }
}
