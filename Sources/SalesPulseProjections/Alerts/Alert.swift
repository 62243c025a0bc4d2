import SalesPulseModel

/// An alert record with a deterministic id: the same events and configuration give the same
/// ids, live or replayed, so downstream can drop duplicates after a crash or a replay.
///
/// A value, its attributes shared between copies until one of them changes (copy on write,
/// as `Array` does): an alert goes from the timers that build it to the open alerts, the fold's
/// outputs, the statistics, the alerts topic and the live stream, and each copy of its dozen
/// strings inline retained and released every one of them (about 4 % of the per-record work on
/// the soak's events; BENCHMARKS.md, session 40). A copy is now one reference; the id's digits,
/// which timers compare at every event of a customer with an open alert, stay inline.
public struct Alert: Sendable, Hashable {
    /// Lifecycle.
    public enum State: String, Sendable, Hashable, Codable { case fired, resolved }

    /// The id's digits as two words (``IdentifierDigits``; ``IdentifierDigits/none`` for an id
    /// that is not 16 bytes long), kept with the id: timers compare the ids of the alerts that
    /// hold with those of a customer's open alerts at each of its events, and reading them from
    /// the id string, whose bytes lie in a heap block of their own, waited for memory (nearly
    /// all of that comparison's time on the soak's events; BENCHMARKS.md, session 38). A
    /// function of ``id``, so equality and hashing are as by the id alone; not coded.
    var digits: IdentifierDigits
    /// The attributes, shared by copies until one changes (see ``Attributes``). Changed only
    /// through ``unshare()``; read in place by ``writeMembers(into:idKey:departmentsWhenEmpty:)``.
    private(set) var storage: Storage

    /// `fnv1a64(rule|key|since)` in hex.
    public var id: String {
        get { storage.attributes.id }
        set {
            unshare()
            storage.attributes.id = newValue
            digits = IdentifierDigits(newValue) ?? .none
        }
    }
    /// The rule, e.g. `step-sla`, `lead-activation`, `inactivity:need_confirmation_silent`.
    public var rule: String {
        get { storage.attributes.rule }
        _modify { unshare(); yield &storage.attributes.rule }
    }
    /// The customer concerned.
    public var customer: String {
        get { storage.attributes.customer }
        _modify { unshare(); yield &storage.attributes.customer }
    }
    /// Routing: the rep, their supervisor and regional director (from the organisation).
    public var rep: String? {
        get { storage.attributes.rep }
        _modify { unshare(); yield &storage.attributes.rep }
    }
    public var supervisor: String? {
        get { storage.attributes.supervisor }
        _modify { unshare(); yield &storage.attributes.supervisor }
    }
    public var director: String? {
        get { storage.attributes.director }
        _modify { unshare(); yield &storage.attributes.director }
    }
    public var region: String? {
        get { storage.attributes.region }
        _modify { unshare(); yield &storage.attributes.region }
    }
    /// Departments notified (e.g. `product-dept`), for rules that name them.
    public var departments: [String] {
        get { storage.attributes.departments }
        _modify { unshare(); yield &storage.attributes.departments }
    }
    /// Flow and step concerned, if any.
    public var flow: String? {
        get { storage.attributes.flow }
        _modify { unshare(); yield &storage.attributes.flow }
    }
    public var step: String? {
        get { storage.attributes.step }
        _modify { unshare(); yield &storage.attributes.step }
    }
    /// When the condition began (event time), part of the identity.
    public var since: EventTime {
        get { storage.attributes.since }
        _modify { unshare(); yield &storage.attributes.since }
    }
    /// Why, in words.
    public var reason: String {
        get { storage.attributes.reason }
        _modify { unshare(); yield &storage.attributes.reason }
    }
    /// Fired or resolved.
    public var state: State {
        get { storage.attributes.state }
        _modify { unshare(); yield &storage.attributes.state }
    }
    /// `info`, `warning` or `critical` (nil: warning).
    public var severity: String? {
        get { storage.attributes.severity }
        _modify { unshare(); yield &storage.attributes.severity }
    }
    /// What triggered the alert beyond the reason, e.g. the customers waiting longest.
    public var evidence: [String]? {
        get { storage.attributes.evidence }
        _modify { unshare(); yield &storage.attributes.evidence }
    }
    /// When the condition ended (event time of the resolving event, or the watermark).
    public var resolvedAt: EventTime? {
        get { storage.attributes.resolvedAt }
        _modify { unshare(); yield &storage.attributes.resolvedAt }
    }

    /// Creates a fired alert with its deterministic id.
    public init(rule: String, customer: String, rep: String?, organisation: Organisation, region: String?, flow: String? = nil, step: String? = nil, since: EventTime, reason: String) {
        self.init(rule: rule, customer: customer, rep: rep, organisation: organisation, region: region, flow: flow, step: step, since: since, reason: reason,
                  identifierHash: Alert.identifierHash(rule: rule, customer: customer, flow: flow, step: step, since: since))
    }

    /// Creates a fired alert whose id's hash (``identifierHash(rule:ruleSuffix:customer:flow:step:since:)``
    /// of these attributes) is worked out already: timers hash it to look the alert up among
    /// the open ones before building it.
    init(rule: String, customer: String, rep: String?, organisation: Organisation, region: String?, flow: String? = nil, step: String? = nil, since: EventTime, reason: String,
         identifierHash: UInt64) {
        let placement = rep.flatMap(organisation.placement(of:))
        self.init(Attributes(id: IdentifierDigits.hex(identifierHash), rule: rule, customer: customer, rep: rep,
                             supervisor: placement?.supervisor, director: placement?.director, region: placement?.region ?? region,
                             flow: flow, step: step, since: since, reason: reason, state: .fired),
                  digits: IdentifierDigits(hash: identifierHash))
    }

    /// An alert of these attributes, its digits those of `attributes.id` (worked out from it
    /// when not given).
    init(_ attributes: Attributes, digits: IdentifierDigits? = nil) {
        self.digits = digits ?? IdentifierDigits(attributes.id) ?? .none
        self.storage = Storage(attributes)
    }

    public static func == (a: Alert, b: Alert) -> Bool {
        a.storage === b.storage || (a.digits == b.digits && a.storage.attributes == b.storage.attributes)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(storage.attributes) }

    /// Gives this alert attributes of its own before one of them changes, if it shares them.
    @inline(__always)
    private mutating func unshare() {
        if !isKnownUniquelyReferenced(&storage) { storage = Storage(storage.attributes) }
    }

    /// An alert's attributes, as stored.
    struct Attributes: Hashable {
        var id: String
        var rule: String
        var customer: String
        var rep: String?
        var supervisor: String?
        var director: String?
        var region: String?
        var departments: [String] = []
        var flow: String?
        var step: String?
        var since: EventTime
        var reason: String
        var state: State
        var severity: String?
        var evidence: [String]?
        var resolvedAt: EventTime?
    }

    /// The attributes shared by copies of an alert. Changed only through an alert that holds the
    /// only reference (``unshare()``), as `Array`'s storage is: so it is safe to share between
    /// threads, and the exclusivity of each access is that of the alert that makes it. (Checked
    /// again at run time, as a class's stored property is by default, every string read would
    /// call into the runtime: `swift_beginAccess`, seen in the assembly of a small program.)
    final class Storage: @unchecked Sendable {
        @exclusivity(unchecked) var attributes: Attributes

        init(_ attributes: Attributes) {
            self.attributes = attributes
        }

        /// Calls `body` with the attributes where they lie, to read: through the pointer, a
        /// string passed on is not retained (read as `attributes`, the whole struct was copied
        /// and destroyed, 4 % of writing an alert's event). A stored property of a final class
        /// without observers: the pointer is its storage's address, not a temporary written
        /// back, so readers on several threads at once share it as they share the alert.
        func withAttributes<R>(_ body: (UnsafePointer<Attributes>) -> R) -> R {
            withUnsafePointer(to: &attributes) { body($0) }
        }
    }

    /// The deterministic id of an alert: 16 hex digits of the FNV-1a hash of
    /// `rule|key|since` (since in epoch milliseconds).
    public static func identifier(rule: String, key: String, since: EventTime) -> String {
        var hash = IdentifierHash()
        hash.add(rule)
        hash.add("|")
        hash.add(key)
        hash.add("|")
        hash.add(decimal: since.epochMilliseconds)
        return IdentifierDigits.hex(hash.value)
    }

    /// The id of an alert on a customer, or on a customer's step of a flow: that of the key
    /// `customer/flow/step` (absent parts empty), hashed without building the key — timers
    /// work out the ids of the alerts that hold at every event of a customer with one open.
    public static func identifier(rule: String, customer: String, flow: String?, step: String?, since: EventTime) -> String {
        IdentifierDigits.hex(identifierHash(rule: rule, customer: customer, flow: flow, step: step, since: since))
    }

    /// The hash ``identifier(rule:customer:flow:step:since:)`` writes in hex, of the rule named
    /// `rule` followed by `ruleSuffix` (hashed in turn, as the name would be).
    static func identifierHash(rule: String, ruleSuffix: String = "", customer: String, flow: String?, step: String?, since: EventTime) -> UInt64 {
        var hash = IdentifierHash()
        hash.add(rule)
        hash.add(ruleSuffix)
        hash.add("|")
        hash.add(customer)
        hash.add("/")
        if let flow { hash.add(flow) }
        hash.add("/")
        if let step { hash.add(step) }
        hash.add("|")
        hash.add(decimal: since.epochMilliseconds)
        return hash.value
    }

    /// 64-bit FNV-1a over UTF-8 text, fed in parts.
    private struct IdentifierHash {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325

        @inline(__always)
        mutating func add(byte: UInt8) {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }

        mutating func add(_ text: String) {
            // Contiguous bytes when the string is native (always, for strings built in Swift):
            // a plain loop over memory instead of the UTF-8 view's index steps.
            let hashed = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
                for byte in bytes { add(byte: byte) }
                return true
            }
            if hashed == nil {
                for byte in text.utf8 { add(byte: byte) }
            }
        }

        /// The bytes of `number` in decimal (`String(number)`'s), without building that string.
        mutating func add(decimal number: Int64) {
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 20 digits at most, and a sign
            let magnitude = number.magnitude
            withUnsafeMutableBytes(of: &digits) { buffer in
                var remaining = magnitude
                var end = buffer.count
                repeat {
                    end -= 1
                    buffer[end] = UInt8(ascii: "0") + UInt8(remaining % 10)
                    remaining /= 10
                } while remaining > 0
                if number < 0 { add(byte: UInt8(ascii: "-")) }
                for index in end..<buffer.count { add(byte: buffer[index]) }
            }
        }
    }
}

extension Alert: CustomReflectable {
    /// The attributes, as a struct of stored attributes shows them (`print`, `dump`, test
    /// failures), and not the storage that holds them.
    public var customMirror: Mirror {
        let attributes = storage.attributes
        return Mirror(self, children: [
            "id": attributes.id, "rule": attributes.rule, "customer": attributes.customer, "rep": attributes.rep as Any,
            "supervisor": attributes.supervisor as Any, "director": attributes.director as Any, "region": attributes.region as Any,
            "departments": attributes.departments, "flow": attributes.flow as Any, "step": attributes.step as Any, "since": attributes.since,
            "reason": attributes.reason, "state": attributes.state, "severity": attributes.severity as Any,
            "evidence": attributes.evidence as Any, "resolvedAt": attributes.resolvedAt as Any,
        ], displayStyle: .struct)
    }
}
