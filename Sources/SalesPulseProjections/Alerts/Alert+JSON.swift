import SalesPulseModel

extension Alert {
    /// Writes the alert's attributes as members of `object`, sorted by name (what the alerts
    /// topic and the live stream send): the id under `idKey` at its place in that order, absent
    /// attributes left out, `departments` left out when empty unless `departmentsWhenEmpty`,
    /// `severity` defaulting to `warning`.
    public func writeMembers(into object: inout JSONObjectWriter, idKey: StaticString, departmentsWhenEmpty: Bool) {
        // Read where they lie: through the getters, each string was retained and released
        // (4 % of writing an alert's event; BENCHMARKS.md, session 43).
        storage.withAttributes { Self.writeMembers(of: $0, into: &object, idKey: idKey, departmentsWhenEmpty: departmentsWhenEmpty) }
    }

    /// ``writeMembers(into:idKey:departmentsWhenEmpty:)`` of the attributes at `attributes`.
    private static func writeMembers(of attributes: UnsafePointer<Attributes>, into object: inout JSONObjectWriter, idKey: StaticString, departmentsWhenEmpty: Bool) {
        var idWritten = false
        /// `key`, after the id if the id sorts before it and is not written yet.
        func next(_ key: StaticString) -> StaticString {
            if !idWritten && precedes(idKey, key) {
                object.field(idKey, attributes.pointee.id)
                idWritten = true
            }
            return key
        }
        object.field(next("customer"), attributes.pointee.customer)
        object.field(next("departments"), attributes.pointee.departments.isEmpty && !departmentsWhenEmpty ? nil : attributes.pointee.departments)
        object.field(next("director"), attributes.pointee.director)
        object.field(next("evidence"), attributes.pointee.evidence)
        object.field(next("flow"), attributes.pointee.flow)
        object.field(next("reason"), attributes.pointee.reason)
        object.field(next("region"), attributes.pointee.region)
        object.field(next("rep"), attributes.pointee.rep)
        object.field(next("resolvedAt"), time: attributes.pointee.resolvedAt)
        object.field(next("rule"), attributes.pointee.rule)
        object.field(next("severity"), attributes.pointee.severity ?? "warning")
        object.field(next("since"), time: attributes.pointee.since)
        object.field(next("state"), attributes.pointee.state.rawValue)
        object.field(next("step"), attributes.pointee.step)
        object.field(next("supervisor"), attributes.pointee.supervisor)
        if !idWritten { object.field(idKey, attributes.pointee.id) }
    }

    /// Whether name `a` sorts before name `b` (by their bytes, as `String` orders ASCII names).
    private static func precedes(_ a: StaticString, _ b: StaticString) -> Bool {
        let left = UnsafeBufferPointer(start: a.utf8Start, count: a.utf8CodeUnitCount)
        let right = UnsafeBufferPointer(start: b.utf8Start, count: b.utf8CodeUnitCount)
        return left.lexicographicallyPrecedes(right)
    }
}
