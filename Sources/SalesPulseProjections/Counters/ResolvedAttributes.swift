import SalesPulseModel

/// The attributes a counter reads, resolved once (see ``AttributeReference``).
///
/// A name is found among the counter's one to three by comparing short strings; resolving it
/// again for every event counted compared it with every attribute name in turn.
struct ResolvedAttributes: Sendable {
    private var references: [AttributeReference] = []

    /// Nothing resolved: every name is resolved when read.
    init() {}

    init(_ counter: CounterDefinition) {
        for name in counter.attributesRead where !references.contains(where: { $0.name == name }) {
            references.append(AttributeReference(name))
        }
    }

    /// The value of the attribute named `name` for `event` (see
    /// ``AttributeReference/value(in:derived:)``).
    @inline(__always)
    func value(named name: String, in event: SalesEvent, derived: [String: String]) -> String? {
        for reference in references where reference.name == name { return reference.value(in: event, derived: derived) }
        return AttributeReference(name).value(in: event, derived: derived)
    }
}
