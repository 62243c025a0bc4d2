import SalesPulseModel

/// The per-partition state of the keyed rules: absence deadlines per customer, and each rep's
/// latest exits from the steps that N-in-a-row rules watch. A pure fold in event time, merged
/// across partitions (for reps) by ``SequenceRuleEvaluator``.
public struct KeyedRuleProjection: Sendable, Hashable, Codable {
    private enum CodingKeys: String, CodingKey { case pending, exits }
    /// An unanswered trigger of an absence rule for one customer.
    ///
    /// The alert is kept out of line: most entries never fire, and an inline `Alert?` made every
    /// entry 328 bytes where it took 104 — memory for every customer with a pending absence,
    /// and a copy of all of it each time an event re-arms the entry (BENCHMARKS.md, session 12).
    /// (120 bytes since its timer's due time is noted in it, where a map beside the heap held
    /// it: session 38. An `Alert` is 24 bytes since session 40, its attributes shared between
    /// copies; inline, `Alert?` would still add 16 bytes to every entry.)
    public struct Pending: Sendable, Hashable, Codable {
        public var rule: String
        public var customer: String
        /// Event time of the first unanswered trigger.
        public var since: EventTime
        /// When the alert fires: since + the rule's duration (it fires once the watermark is past it).
        public var deadline: EventTime
        public var rep: String?
        public var region: String?
        /// The fired alert, boxed (immutable, so sharing the box between copies is safe).
        private var fired: FiredAlert?
        /// Where the entry stands in its group's heap (``AbsenceGroup``): a memo, not part of
        /// equality, hashing or coding.
        private var queued = QueuedDue()

        /// The due time of the entry's live timer in its group's heap, nil when it has none.
        var queuedDue: Int64? {
            get { queued.due }
            set { queued.due = newValue }
        }

        /// True once the deadline passed and the alert fired (without copying the alert out).
        public var hasFired: Bool { fired != nil }

        /// The alert, once the deadline passed.
        public var alert: Alert? {
            get { fired?.alert }
            set { fired = newValue.map(FiredAlert.init) }
        }

        public init(rule: String, customer: String, since: EventTime, deadline: EventTime, rep: String?, region: String?, alert: Alert? = nil) {
            self.rule = rule
            self.customer = customer
            self.since = since
            self.deadline = deadline
            self.rep = rep
            self.region = region
            self.alert = alert
        }

        // The coded form is the one of the inline layout: same keys, same order.
        private enum CodingKeys: String, CodingKey { case rule, customer, since, deadline, rep, region, alert }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(rule: try container.decode(String.self, forKey: .rule),
                      customer: try container.decode(String.self, forKey: .customer),
                      since: try container.decode(EventTime.self, forKey: .since),
                      deadline: try container.decode(EventTime.self, forKey: .deadline),
                      rep: try container.decodeIfPresent(String.self, forKey: .rep),
                      region: try container.decodeIfPresent(String.self, forKey: .region),
                      alert: try container.decodeIfPresent(Alert.self, forKey: .alert))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(rule, forKey: .rule)
            try container.encode(customer, forKey: .customer)
            try container.encode(since, forKey: .since)
            try container.encode(deadline, forKey: .deadline)
            try container.encodeIfPresent(rep, forKey: .rep)
            try container.encodeIfPresent(region, forKey: .region)
            try container.encodeIfPresent(alert, forKey: .alert)
        }
    }

    /// A fired alert of a pending absence, out of line (see ``Pending``). Compared and hashed by
    /// the alert, so entries compare by value.
    final class FiredAlert: Sendable, Hashable {
        let alert: Alert
        init(_ alert: Alert) { self.alert = alert }
        static func == (a: FiredAlert, b: FiredAlert) -> Bool { a.alert == b.alert }
        func hash(into hasher: inout Hasher) { hasher.combine(alert) }
    }

    /// One exit of a rep from a watched step.
    public struct StepExit: Sendable, Hashable, Codable, Comparable {
        public var at: EventTime
        public var customer: String
        /// True when the watched action was missing.
        public var missed: Bool

        public init(at: EventTime, customer: String, missed: Bool) {
            self.at = at
            self.customer = customer
            self.missed = missed
        }

        public static func < (a: StepExit, b: StepExit) -> Bool { (a.at, a.customer) < (b.at, b.customer) }
    }

    /// Pending absences by rule id, then customer (no entry for a rule with none pending).
    public var pending: [String: [String: Pending]] {
        var byRule: [String: [String: Pending]] = [:]
        for group in groups where !group.customers.isEmpty { byRule[group.rule] = group.customers }
        return byRule
    }
    /// Pending absences of each rule that has had any, by customer, the rules in the order they
    /// first armed one, with their deadlines. A configuration has a handful of absence rules: a
    /// rule's group is found by comparing ids (the configuration's own strings, equal at the
    /// first check), where dictionaries keyed by rule id hashed the id two or three times an
    /// event. A group left empty stays (``pending`` leaves it out).
    ///
    /// Each group's heap of deadlines is derived from its entries (see ``AbsenceGroup``).
    var groups: [AbsenceGroup] = []
    /// Exits by `rule|rep`, in event-time order: the latest one done right (which ended the
    /// previous run of misses) and every missed one after it — the current run (see
    /// ``record(_:configuration:)``).
    public private(set) var exits: [String: [StepExit]] = [:]

    public init() {}

    /// The coded form keys pending absences by `rule|customer`, as before the nesting.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(pending: try container.decode([String: Pending].self, forKey: .pending).values,
                  exits: try container.decode([String: [StepExit]].self, forKey: .exits))
    }

    /// The state holding `pending` absences and `exits`, with a timer for every pending
    /// absence whose alert has not fired (what restoring a checkpoint needs).
    init<S: Sequence>(pending entries: S, exits: [String: [StepExit]]) where S.Element == Pending {
        for waiting in entries { groups[group(of: waiting.rule)].restore(waiting) }
        self.exits = exits
    }

    /// The index of `rule`'s group, added empty if it has none yet.
    private mutating func group(of rule: String) -> Int {
        if let index = groups.firstIndex(where: { $0.rule == rule }) { return index }
        groups.append(AbsenceGroup(rule: rule))
        return groups.count - 1
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        var flat: [String: Pending] = [:]
        for (rule, customers) in pending {
            for (customer, waiting) in customers { flat[Self.checkpointKey(rule: rule, customer: customer)] = waiting }
        }
        try container.encode(flat, forKey: .pending)
        try container.encode(exits, forKey: .exits)
    }

    public static func == (a: KeyedRuleProjection, b: KeyedRuleProjection) -> Bool { a.pending == b.pending && a.exits == b.exits }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(pending)
        hasher.combine(exits)
    }

    /// The checkpoint key of a rule's pending absence for a customer (rule ids contain no `|`).
    private static func checkpointKey(rule: String, customer: String) -> String { rule + "|" + customer }

    /// One exit of a rep from a step an N-in-a-row rule watches.
    public struct RepExit: Sendable, Hashable, Codable {
        public var rule: String
        public var rep: String
        public var exit: StepExit
        public init(rule: String, rep: String, exit: StepExit) {
            self.rule = rule
            self.rep = rep
            self.exit = exit
        }
    }

    /// The exits from watched steps that an event's flow outputs show (pure).
    public static func repExits(of event: SalesEvent, outputs: [FlowOutput], configuration: ProcessConfiguration) -> [RepExit] {
        // Steps change only when one is entered (``CustomerState``'s `enter`): other events'
        // outputs are not walked (each walked output was copied, an alert's dozen fields
        // retained and released).
        guard !configuration.sequenceRules.isEmpty, event.type == .stepEntered, let rep = event.rep else { return [] }
        var found: [RepExit] = []
        for output in outputs {
            guard case .stepChanged(let customer, let flow, let from?, _, let at) = output else { continue }
            for rule in configuration.sequenceRules where rule.flow == flow && rule.step == from {
                let missed = outputs.contains { output in
                    if case .complianceViolation(_, flow, from, let missing, _, _) = output { return missing.contains(rule.action) }
                    return false
                }
                found.append(RepExit(rule: rule.id, rep: rep, exit: StepExit(at: at, customer: customer, missed: missed)))
            }
        }
        return found
    }

    /// Records a rep's exit in event-time order, keeping what decides the rep's current run of
    /// misses: the latest exit done right and the misses after it. Exits reach the rep's
    /// partition in any order (from several input partitions, after restarts): kept this way,
    /// the run — where it starts, the exits an alert cites — is the same whatever the order.
    /// A run longer than ``longestRunKept(times:)`` keeps its first `times` misses and its
    /// latest ones.
    public mutating func record(_ exit: RepExit, configuration: ProcessConfiguration) {
        guard let rule = configuration.sequenceRules.first(where: { $0.id == exit.rule }) else { return }
        let key = "\(exit.rule)|\(exit.rep)"
        // Moved out, not copied: inserting into a copy would copy the array on every exit.
        var kept = exits.removeValue(forKey: key) ?? []
        let index = kept.firstIndex { exit.exit < $0 } ?? kept.count
        if index == 0 || kept[index - 1] != exit.exit { kept.insert(exit.exit, at: index) }
        if let lastDoneRight = kept.lastIndex(where: { !$0.missed }), lastDoneRight > 0 { kept.removeFirst(lastDoneRight) }
        let limit = Self.longestRunKept(times: rule.times)
        if kept.count > limit {
            let head = (kept[0].missed ? 0 : 1) + rule.times
            kept.removeSubrange(head..<(head + kept.count - limit))
        }
        exits[key] = kept
    }

    /// Exits kept per rule and rep at most: a longer run of misses drops its middle.
    public static func longestRunKept(times: Int) -> Int { max(64, 4 * times) }

    /// Folds one event and the flow outputs it produced. With `recordingExits` false the reps'
    /// exits are left to the caller (who repartitions them by rep).
    public mutating func apply(_ event: SalesEvent, outputs: [FlowOutput], configuration: ProcessConfiguration, recordingExits: Bool = true) -> [FlowOutput] {
        var changes: [FlowOutput] = []
        configuration.absenceRules.withUnsafeBufferPointer { rules in
            for index in rules.indices {
                let answers = rules[index].expectTypes.contains(event.type)
                let triggers = rules[index].afterTypes.contains(event.type)
                guard answers || triggers else { continue }
                let id = rules[index].id
                // Nothing pending and nothing to arm: no entry is made (nor a group).
                guard let group = groups.firstIndex(where: { $0.rule == id }) ?? (triggers ? group(of: id) : nil) else { continue }
                groups[group].fold(event, rule: index, of: rules, answers: answers, triggers: triggers, changes: &changes, configuration: configuration)
            }
        }
        if recordingExits {
            for exit in Self.repExits(of: event, outputs: outputs, configuration: configuration) { record(exit, configuration: configuration) }
        }
        return changes
    }

    /// Folds an event into the customer's pending entry in place (see ``AbsenceGroup``): an
    /// expected event answers it (resolving its alert), a trigger arms it again. Returns the due
    /// time of a timer to schedule (nil when the live one is early enough). Sets `answered`
    /// when the event answered the entry without arming it again: the caller removes it.
    ///
    /// The rule is passed as its position among `rules`: a rule passed by value was copied out
    /// of the buffer (its id, type lists and notify list retained and released) for every
    /// event it concerned, where the fold mostly reads one duration.
    @inline(__always)
    static func foldPending(_ entry: inout Pending, _ event: SalesEvent, rule index: Int, of rules: UnsafeBufferPointer<AbsenceRule>, answers: Bool, triggers: Bool, answered: inout Bool, changes: inout [FlowOutput], configuration: ProcessConfiguration) -> Int64? {
        // A deadline passed before this event: the alert fires first, as a tick between the
        // events would have fired it. Whether one ran (batches differ between runs, replays
        // and restarts) then changes nothing: an answer resolves the fired alert either way.
        if !entry.hasFired, entry.deadline < event.time {
            let alert = Self.alert(for: entry, rule: rules[index], configuration: configuration)
            entry.alert = alert
            changes.append(.alert(alert))
        }
        if answers, event.time >= entry.since {
            answered = true
            if var alert = entry.alert {
                alert.state = .resolved
                alert.resolvedAt = event.time
                changes.append(.alert(alert))
            }
        }
        // An event both answering and triggering (e.g. "no interaction for 90 days") re-arms;
        // a trigger earlier than an unfired pending one moves it back, unless every trigger
        // answers: then the pending one answered it (before, a late interaction moved a "no
        // interaction for 90 days" back to itself, or not if a tick had fired it first).
        // Otherwise the entry stays as it is (or goes, answered).
        guard triggers, answered || (event.time < entry.since && !entry.hasFired && !rules[index].triggersAnswer) else { return nil }
        let deadline = event.time.adding(milliseconds: rules[index].withinMilliseconds)
        // A previous trigger without an alert still has a timer due no later than its own
        // deadline + 1 (the invariant); if that is not after the new one it will do.
        let timer: Int64? = !entry.hasFired && entry.deadline.epochMilliseconds <= deadline.epochMilliseconds ? nil : deadline.epochMilliseconds + 1
        // Re-armed in place: what a new entry for this rule and customer would hold.
        entry.customer = event.subject
        entry.since = event.time
        entry.deadline = deadline
        entry.rep = event.rep
        entry.region = event.region
        entry.alert = nil
        answered = false
        return timer
    }

    /// Fires absence alerts whose deadline passed by `now` (strictly: at exactly the deadline
    /// the customer is still within time).
    public mutating func advance(to now: EventTime, configuration: ProcessConfiguration) -> [FlowOutput] {
        guard !configuration.absenceRules.isEmpty else { return [] }
        var changes: [FlowOutput] = []
        for group in groups.indices.sorted(by: { groups[$0].rule < groups[$1].rule }) {
            groups[group].advance(to: now, configuration: configuration, changes: &changes)
        }
        changes.sortByOrderingKey()
        return changes
    }

    /// The alert of a pending absence whose deadline passed.
    static func alert(for waiting: Pending, rule: AbsenceRule, configuration: ProcessConfiguration) -> Alert {
        var alert = Alert(rule: "absence:\(rule.id)", customer: waiting.customer, rep: waiting.rep, organisation: configuration.organisation, region: waiting.region, since: waiting.deadline,
                          reason: "no \(rule.expect.map(\.name).joined(separator: " or ")) within \(DurationText.text(rule.withinMilliseconds)) after \(rule.after.map(\.name).joined(separator: " or ")) at \(waiting.since.rfc3339UTC)")
        alert.severity = rule.severity
        alert.departments = rule.notify.compactMap { configuration.organisation.departments[$0] }
        return alert
    }

    /// Timers in the absence rules' heaps, stale ones included (about one per pending entry
    /// without an alert, however often events move its deadline).
    var queuedTimers: Int { groups.reduce(0) { $0 + $1.queuedTimers } }

    /// Open absence alerts.
    public var openAlerts: [Alert] { groups.flatMap { $0.customers.values.compactMap(\.alert) } }
}

/// Evaluates N-in-a-row rules on the reps' exits merged across partitions (pure): a rep whose
/// exits from the step, in event-time order, end in a run of N or more that all missed the
/// action gets an alert (since = the run's first miss, citing the run's first N exits); it
/// stays open while the run lasts and resolves at the first exit done right.
///
/// Exits reach the rep's partition from every input partition, and one input partition may be
/// days of event time behind the others (a replay reads them at different rates; an instance
/// restarts): judged on what has arrived, a run of misses may lack the exit done right that
/// splits it, and its alert would fire, then resolve once that exit came — an alert that a
/// reading of the exits in event-time order never has. With `judgedThrough` (how far every
/// input partition has delivered its exits) an alert fires only once its N-th miss lies within
/// it.
public struct SequenceRuleEvaluator: Sendable, Hashable {
    /// Open alerts by `rule|rep`.
    public private(set) var open: [String: Alert] = [:]

    public init() {}

    /// Evaluates every N-in-a-row rule over the exits of `partitions` at `now`; returns the
    /// alert changes. `judgedThrough`: the event time through which the exits are known whole
    /// (nil: all that arrived are judged).
    public mutating func evaluate(at now: EventTime, configuration: ProcessConfiguration, partitions: [KeyedRuleProjection], judgedThrough: EventTime? = nil) -> [Alert] {
        var changes: [Alert] = []
        var merged: [String: [KeyedRuleProjection.StepExit]] = [:]
        for projection in partitions { for (key, exits) in projection.exits { merged[key, default: []] += exits } }
        // A rep's exits, once recorded, stay (the latest done right at least): a rep without any
        // among `partitions` is judged elsewhere now — its partition moved to another instance,
        // which judges its run from the same exits. Its open alert is dropped without a word: a
        // `resolved` record from here would contradict the new owner's alert, which is still
        // open (and could reach the alerts topic after it).
        for key in open.keys where merged[key] == nil { open[key] = nil }
        for rule in configuration.sequenceRules {
            let prefix = "\(rule.id)|"
            for key in merged.keys.filter({ $0.hasPrefix(prefix) }).sorted() {
                // The rep's current run: the misses after the latest exit done right. The alert
                // starts at the run's first miss and cites its first N: the same whenever this
                // runs and in whatever order the exits arrived.
                let exits = (merged[key] ?? []).sorted()
                let lastDoneRight = exits.lastIndex { !$0.missed }
                let run = exits[(lastDoneRight.map { $0 + 1 } ?? 0)...]
                let rep = String(key.dropFirst(prefix.count))
                if run.count >= rule.times {
                    let first = Array(run.prefix(rule.times))
                    // Exits up to the N-th miss may still be on their way: not judged yet.
                    if open[key] == nil, let judgedThrough, first[rule.times - 1].at > judgedThrough { continue }
                    var alert = Alert(rule: "in-a-row:\(rule.id)", customer: rep, rep: rep, organisation: configuration.organisation, region: nil, flow: rule.flow, step: rule.step, since: first[0].at,
                                      reason: "\(rep) left \(rule.flow)/\(rule.step) without \(rule.action) \(rule.times) times in a row")
                    alert.severity = rule.severity
                    alert.departments = rule.notify.compactMap { configuration.organisation.departments[$0] }
                    alert.evidence = first.map { "\($0.customer) at \($0.at.rfc3339UTC)" }
                    if open[key] == alert { continue }
                    // A late exit joined the run's first N: the same alert, its evidence updated.
                    if open[key]?.id == alert.id {
                        open[key] = alert
                        changes.append(alert)
                        continue
                    }
                    // A late exit moved the run's start: the alert for the old start ends here.
                    if var replaced = open.removeValue(forKey: key) {
                        replaced.state = .resolved
                        replaced.resolvedAt = max(replaced.since, now)
                        changes.append(replaced)
                    }
                    open[key] = alert
                    changes.append(alert)
                } else if var alert = open.removeValue(forKey: key) {
                    alert.state = .resolved
                    // Ended by the exit done right after the run (or, for a run cut short by a
                    // late exit, now).
                    alert.resolvedAt = lastDoneRight.map { exits[$0].at }.flatMap { $0 >= alert.since ? $0 : nil } ?? now
                    changes.append(alert)
                }
            }
        }
        return changes
    }
}
