/// The alerts a full reconciliation of a customer's timers finds holding
/// (``CustomerState/reconcile(now:configuration:)``): the ids of all of them, and those that
/// must be built because they are not open yet.
///
/// A value on the stack with mutating methods, where the reconciliation used nested functions
/// capturing its variables: those were boxed on the heap (four allocations per reconciliation)
/// and every access to them went through the runtime's dynamic exclusivity checks, about a
/// sixth of a reconciliation's time on the soak's events (BENCHMARKS.md, session 37). The first
/// id is held inline: most customers have one condition holding, and an array of one took an
/// allocation too.
struct HoldingAlerts {
    /// The first id noted, and any after it.
    private var firstID: IdentifierDigits?
    private var moreIDs: [IdentifierDigits] = []
    /// The alerts built, each with its id.
    private(set) var fired: [(id: IdentifierDigits, alert: Alert)] = []
    /// The id ``mustBuild(_:open:)`` noted last, which ``fire(_:)`` stores the built alert under.
    private var building = IdentifierDigits(hash: 0)
    /// Its hash, which the built alert's id is written from (not hashed again).
    private(set) var buildingHash: UInt64 = 0

    /// True when no alert holds.
    var isEmpty: Bool { firstID == nil }

    /// Whether the alert with id `id` holds.
    func contains(_ id: IdentifierDigits) -> Bool {
        guard let firstID else { return false }
        return firstID == id || moreIDs.contains(id)
    }

    /// Notes that the alert with the id of `hash` holds; true if it must be built (not among
    /// `open`, or built already for an earlier condition with the same id, which the later one
    /// replaces), and ``fire(_:)`` then gets it.
    mutating func mustBuild(_ hash: UInt64, open: borrowing SmallMap<Alert>) -> Bool {
        let id = IdentifierDigits(hash: hash)
        building = id
        buildingHash = hash
        guard !contains(id) else { return fired.contains { $0.id == id } }
        if firstID == nil { firstID = id } else { moreIDs.append(id) }
        // By index: `contains(where:)` copied each entry, its whole alert, to look at its id.
        // An open alert's key is its id, whose digits it keeps (``Alert/digits``).
        return open.entries.withUnsafeBufferPointer { entries in
            !entries.indices.contains { entries[$0].value.digits == id }
        }
    }

    /// Keeps `alert`, built for the id ``mustBuild(_:open:)`` noted last (taken, not lent: a
    /// lent alert was copied in and the built one dropped).
    mutating func fire(_ alert: consuming Alert) {
        if let index = fired.firstIndex(where: { $0.id == building }) { fired[index].alert = alert } else { fired.append((building, alert)) }
    }

    /// The alerts built, in id order, each moved out (sorting in place moves them; `sorted` and
    /// iterating copied each alert twice, a dozen strings retained and released each time), and
    /// handed over: lent to `body`, an alert was copied for each place it went, and the one
    /// taken out then dropped.
    mutating func takeFiredInIDOrder(_ body: (consuming Alert) -> Void) {
        fired.sort { $1.id.sorts(before: $0.id) }
        while let (_, alert) = fired.popLast() { body(alert) }
    }
}
