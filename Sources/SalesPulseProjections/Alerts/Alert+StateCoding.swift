import SalesPulseModel

// The positional checkpoint layout of an alert (see ``StateWriter``), in declaration order.

extension Alert {
    /// Writes the alert.
    public func write(to writer: inout StateWriter) {
        writer.write(id)
        writer.write(rule)
        writer.write(customer)
        writer.write(rep)
        writer.write(supervisor)
        writer.write(director)
        writer.write(region)
        writer.write(departments)
        writer.write(flow)
        writer.write(step)
        writer.write(since)
        writer.write(reason)
        writer.write(state == .fired ? UInt64(0) : UInt64(1))
        writer.write(severity)
        writer.write(evidence) { $0.write($1) }
        writer.write(resolvedAt)
    }

    /// Reads an alert written by ``write(to:)`` (its id is read, not recomputed).
    public init(reading reader: inout StateReader) throws(StateReadError) {
        let id = try reader.readString()
        let rule = try reader.readString()
        let customer = try reader.readString()
        let rep = try reader.readOptionalString()
        let supervisor = try reader.readOptionalString()
        let director = try reader.readOptionalString()
        let region = try reader.readOptionalString()
        let departments = try reader.readStrings()
        let flow = try reader.readOptionalString()
        let step = try reader.readOptionalString()
        let since = try reader.readTime()
        let reason = try reader.readString()
        let state: State
        switch try reader.readByte() {
        case 0: state = .fired
        case 1: state = .resolved
        case let tag: throw StateReadError(position: reader.position - 1, "unknown alert state tag \(tag)")
        }
        self.init(Attributes(id: id, rule: rule, customer: customer, rep: rep, supervisor: supervisor, director: director, region: region,
                             departments: departments, flow: flow, step: step, since: since, reason: reason, state: state,
                             severity: try reader.readOptionalString(),
                             evidence: try reader.readOptional { reader throws(StateReadError) in try reader.readStrings() },
                             resolvedAt: try reader.readOptionalTime()))
    }
}
