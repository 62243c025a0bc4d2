import SalesPulseModel
import SalesPulseProjections

extension Repartition.ExitForward {
    /// The format byte that starts every rep-exit record.
    public static let format: UInt8 = 1

    /// The record value: format byte `1`, then in ``StateWriter``'s layout the id, rule, rep,
    /// exit time, customer and whether the watched action was missed: a few appends instead of
    /// a Foundation `JSONEncoder` (and, on the rep-exits partition, a `JSONDecoder`) per exit.
    public var encoded: [UInt8] {
        var writer = StateWriter(capacity: 96)
        writer.write(UInt64(Self.format))
        writer.write(id)
        writer.write(exit.rule)
        writer.write(exit.rep)
        writer.write(exit.exit.at)
        writer.write(exit.exit.customer)
        writer.write(exit.exit.missed)
        return writer.bytes
    }

    /// Reads a record value written by ``encoded``; nil when it is not one (another format,
    /// cut short, or bytes left over).
    public init?(decoding value: UnsafeRawBufferPointer) {
        var reader = StateReader(Array(value))
        do {
            guard try reader.readByte() == Self.format else { return nil }
            let id = try reader.readString()
            let rule = try reader.readString()
            let rep = try reader.readString()
            let at = try reader.readTime()
            let customer = try reader.readString()
            let missed = try reader.readBool()
            guard reader.isAtEnd else { return nil }
            self.init(id: id, exit: KeyedRuleProjection.RepExit(rule: rule, rep: rep, exit: KeyedRuleProjection.StepExit(at: at, customer: customer, missed: missed)))
        } catch {
            return nil
        }
    }
}
