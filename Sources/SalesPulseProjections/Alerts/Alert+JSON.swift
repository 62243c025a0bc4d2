import SalesPulseModel

extension Alert {
    /// Writes the alert's attributes as members of `object`, sorted by name (what the alerts
    /// topic and the live stream send): the id under `idKey` at its place in that order, absent
    /// attributes left out, `departments` left out when empty unless `departmentsWhenEmpty`,
    /// `severity` defaulting to `warning`.
    public func writeMembers(into object: inout JSONObjectWriter, idKey: StaticString, departmentsWhenEmpty: Bool) {
        var idWritten = false
        /// `key`, after the id if the id sorts before it and is not written yet.
        func next(_ key: StaticString) -> StaticString {
            if !idWritten && Self.precedes(idKey, key) {
                object.field(idKey, id)
                idWritten = true
            }
            return key
        }
        object.field(next("customer"), customer)
        object.field(next("departments"), departments.isEmpty && !departmentsWhenEmpty ? nil : departments)
        object.field(next("director"), director)
        object.field(next("evidence"), evidence)
        object.field(next("flow"), flow)
        object.field(next("reason"), reason)
        object.field(next("region"), region)
        object.field(next("rep"), rep)
        object.field(next("resolvedAt"), time: resolvedAt)
        object.field(next("rule"), rule)
        object.field(next("severity"), severity ?? "warning")
        object.field(next("since"), time: since)
        object.field(next("state"), state.rawValue)
        object.field(next("step"), step)
        object.field(next("supervisor"), supervisor)
        if !idWritten { object.field(idKey, id) }
    }

    /// Whether name `a` sorts before name `b` (by their bytes, as `String` orders ASCII names).
    private static func precedes(_ a: StaticString, _ b: StaticString) -> Bool {
        let left = UnsafeBufferPointer(start: a.utf8Start, count: a.utf8CodeUnitCount)
        let right = UnsafeBufferPointer(start: b.utf8Start, count: b.utf8CodeUnitCount)
        return left.lexicographicallyPrecedes(right)
    }
}
