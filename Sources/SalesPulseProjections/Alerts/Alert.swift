import SalesPulseModel

/// An alert record with a deterministic id: the same events and configuration give the same
/// ids, live or replayed, so downstream can drop duplicates after a crash or a replay.
public struct Alert: Sendable, Hashable {
    /// Lifecycle.
    public enum State: String, Sendable, Hashable, Codable { case fired, resolved }

    /// `fnv1a64(rule|key|since)` in hex.
    public var id: String {
        didSet { digits = IdentifierDigits(id) ?? .none }
    }
    /// The id's digits as two words (``IdentifierDigits``; ``IdentifierDigits/none`` for an id
    /// that is not 16 bytes long), kept with the id: timers compare the ids of the alerts that
    /// hold with those of a customer's open alerts at each of its events, and reading them from
    /// the id string, whose bytes lie in a heap block of their own, waited for memory (nearly
    /// all of that comparison's time on the soak's events; BENCHMARKS.md, session 38). A
    /// function of ``id``, so equality and hashing are as by the id alone; not coded.
    var digits: IdentifierDigits
    /// The rule, e.g. `step-sla`, `lead-activation`, `inactivity:need_confirmation_silent`.
    public var rule: String
    /// The customer concerned.
    public var customer: String
    /// Routing: the rep, their supervisor and regional director (from the organisation).
    public var rep: String?
    public var supervisor: String?
    public var director: String?
    public var region: String?
    /// Departments notified (e.g. `product-dept`), for rules that name them.
    public var departments: [String] = []
    /// Flow and step concerned, if any.
    public var flow: String?
    public var step: String?
    /// When the condition began (event time), part of the identity.
    public var since: EventTime
    /// Why, in words.
    public var reason: String
    /// Fired or resolved.
    public var state: State
    /// `info`, `warning` or `critical` (nil: warning).
    public var severity: String?
    /// What triggered the alert beyond the reason, e.g. the customers waiting longest.
    public var evidence: [String]?
    /// When the condition ended (event time of the resolving event, or the watermark).
    public var resolvedAt: EventTime?

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
        self.id = IdentifierDigits.hex(identifierHash)
        self.digits = IdentifierDigits(hash: identifierHash)
        self.rule = rule
        self.customer = customer
        self.rep = rep
        self.supervisor = placement?.supervisor
        self.director = placement?.director
        self.region = placement?.region ?? region
        self.flow = flow
        self.step = step
        self.since = since
        self.reason = reason
        self.state = .fired
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
