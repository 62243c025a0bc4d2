import SalesPulseModel

/// The attributes a counter reads, each name resolved once to the ``EventAttribute`` it names
/// (nil for a derived one such as `timeToSignDays`).
///
/// Finding a name among a counter's one to three is a comparison or two of strings that share
/// storage with the definition's (equal at once); resolving it again, for every event
/// counted, compared it with every attribute name in turn.
struct ResolvedAttributes: Sendable {
    private var names: [String] = []
    private var attributes: [EventAttribute?] = []

    /// Nothing resolved: every name is resolved when asked.
    init() {}

    init(_ counter: CounterDefinition) {
        for name in counter.attributesRead where !names.contains(name) {
            names.append(name)
            attributes.append(EventAttribute(named: name))
        }
    }

    /// The attribute `name` resolves to; nil for a derived or unknown name.
    @inline(__always)
    func attribute(named name: String) -> EventAttribute? {
        for index in names.indices where names[index] == name { return attributes[index] }
        return EventAttribute(named: name)
    }
}
