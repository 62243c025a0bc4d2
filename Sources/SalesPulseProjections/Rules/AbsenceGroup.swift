import SalesPulseModel

extension KeyedRuleProjection {
    /// One absence rule's pending absences, by customer, and a heap of their deadlines.
    ///
    /// Each entry notes the due time of its live heap entry (``Pending/queuedDue``), where a map
    /// of its own beside the heap was looked up, a wait for memory, whenever a customer's timer
    /// was queued or fired (BENCHMARKS.md, session 38). (The entries stay in a dictionary: in a
    /// ``ShardedMap`` the lookups took longer, its slot and then its entry a wait for memory.)
    ///
    /// Invariant: every pending entry without an alert has a live heap entry due at or before
    /// its deadline + 1 ms. The heap and the memos are derived from the entries: not coded, not
    /// compared.
    struct AbsenceGroup: Sendable {
        /// The rule's id.
        let rule: String
        /// Pending absences by customer.
        var customers: [String: Pending] = [:]
        /// The customers' timers by due time; an entry whose due time is not its customer's
        /// ``Pending/queuedDue`` is stale.
        private var deadlines = DueHeap()

        init(rule: String) {
            self.rule = rule
        }

        /// Adds `entry` (restored from a checkpoint or decoded), with a timer unless its alert
        /// fired.
        mutating func restore(_ entry: Pending) {
            var entry = entry
            entry.queuedDue = nil
            if !entry.hasFired { Self.schedule(&entry, at: entry.deadline.epochMilliseconds + 1, in: &deadlines) }
            customers[entry.customer] = entry
        }

        /// Folds `event` into the pending absence of its customer for the rule at `index` of
        /// `rules`: an expected event answers it (resolving its alert), a trigger arms one.
        mutating func fold(_ event: SalesEvent, rule index: Int, of rules: UnsafeBufferPointer<AbsenceRule>, answers: Bool, triggers: Bool, changes: inout [FlowOutput],
                           configuration: ProcessConfiguration) {
            guard let slot = customers.index(forKey: event.subject) else {
                // Nothing pending: a trigger arms an entry (the caller skips other events).
                guard triggers else { return }
                let deadline = event.time.adding(milliseconds: rules[index].withinMilliseconds)
                var entry = Pending(rule: rules[index].id, customer: event.subject, since: event.time, deadline: deadline, rep: event.rep, region: event.region)
                Self.schedule(&entry, at: deadline.epochMilliseconds + 1, in: &deadlines)
                customers[event.subject] = entry
                return
            }
            // Folded where it lies, through the dictionary's in-place accessor: a copy read out
            // (four strings and the alert box retained, then released) and written back was
            // most of this fold's cost (BENCHMARKS.md, sessions 19 and 26).
            var answered = false
            if let due = KeyedRuleProjection.foldPending(&customers.values[slot], event, rule: index, of: rules, answers: answers, triggers: triggers, answered: &answered,
                                                         changes: &changes, configuration: configuration) {
                Self.schedule(&customers.values[slot], at: due, in: &deadlines)
            }
            if answered { customers.remove(at: slot) }
        }

        /// Fires the alerts of the pending absences whose deadline passed by `now` (strictly).
        /// Only the deadlines due are visited; entries of answered triggers are skipped.
        mutating func advance(to now: EventTime, configuration: ProcessConfiguration, changes: inout [FlowOutput]) {
            while let (customer, due) = deadlines.popDue(atOrBefore: now.epochMilliseconds) {
                guard let slot = customers.index(forKey: customer), customers.values[slot].queuedDue == due else { continue }  // stale
                customers.values[slot].queuedDue = nil
                guard !customers.values[slot].hasFired else { continue }
                if customers.values[slot].deadline >= now {
                    Self.schedule(&customers.values[slot], at: customers.values[slot].deadline.epochMilliseconds + 1, in: &deadlines)
                    continue
                }
                let waiting = customers.values[slot]
                guard let rule = configuration.absenceRules.first(where: { $0.id == waiting.rule }) else { continue }
                let alert = KeyedRuleProjection.alert(for: waiting, rule: rule, configuration: configuration)
                customers.values[slot].alert = alert
                changes.append(.alert(alert))
            }
        }

        /// Entries in the heap (including stale ones).
        var queuedTimers: Int { deadlines.count }

        /// Makes sure the heap looks at `entry`'s customer no later than `due`: pushes an entry
        /// unless a live one is due by then (a later due time waits until it fires).
        private static func schedule(_ entry: inout Pending, at due: Int64, in deadlines: inout DueHeap) {
            if let queued = entry.queuedDue, queued <= due { return }
            entry.queuedDue = due
            deadlines.push(entry.customer, at: due)
        }
    }
}
