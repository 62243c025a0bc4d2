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
        self.init(rule: rule, customer: customer, rep: nil, organisation: Organisation(), region: nil, since: EventTime(epochMilliseconds: 0), reason: "")
        self.id = id
        digits = IdentifierDigits(id) ?? .none
        rep = try reader.readOptionalString()
        supervisor = try reader.readOptionalString()
        director = try reader.readOptionalString()
        region = try reader.readOptionalString()
        departments = try reader.readStrings()
        flow = try reader.readOptionalString()
        step = try reader.readOptionalString()
        since = try reader.readTime()
        reason = try reader.readString()
        switch try reader.readByte() {
        case 0: state = .fired
        case 1: state = .resolved
        case let tag: throw StateReadError(position: reader.position - 1, "unknown alert state tag \(tag)")
        }
        severity = try reader.readOptionalString()
        evidence = try reader.readOptional { reader throws(StateReadError) in try reader.readStrings() }
        resolvedAt = try reader.readOptionalTime()
    }
}
