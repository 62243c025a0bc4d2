import SalesPulseModel

/// Evaluates counter rules (pure): fires an alert for each group at or above the threshold and
/// resolves it when the group falls below. The alert's `since` is derived from the data — the
/// first second the value reached the threshold — so ids are the same live and replayed.
public struct CounterRuleEvaluator: Sendable, Hashable {
    /// Open alerts by id.
    public private(set) var open: [String: Alert] = [:]

    public init() {}

    /// Evaluates every rule at `now` against merged counter states; returns alert changes.
    public mutating func evaluate(at now: EventTime, configuration: ProcessConfiguration, states: (String) -> CounterState) -> [Alert] {
        var wanted: [String: Alert] = [:]
        for rule in configuration.counterRules {
            guard let counter = configuration.counters.first(where: { $0.id == rule.counter }) else { continue }
            let state = states(counter.id)
            for (group, value) in state.values(at: now, counter: counter) where value >= rule.atLeast {
                let since = Self.firstReached(rule: rule, counter: counter, state: state, group: group, now: now)
                var alert = Alert(rule: "counter:\(rule.id)", customer: group, rep: nil, organisation: configuration.organisation, region: nil, since: since,
                                  reason: "\(counter.id)[\(group)] = \(FieldValue.number(value)) ≥ \(FieldValue.number(rule.atLeast)) within \(DurationText.text(counter.windowMilliseconds))")
                alert.departments = rule.notify.compactMap { configuration.organisation.departments[$0] }
                wanted[alert.id] = alert
            }
        }
        var changes: [Alert] = []
        for id in open.keys.sorted() where wanted[id] == nil {
            var resolved = open.removeValue(forKey: id)!
            resolved.state = .resolved
            resolved.resolvedAt = now
            changes.append(resolved)
        }
        for id in wanted.keys.sorted() where open[id] == nil {
            open[id] = wanted[id]!
            changes.append(wanted[id]!)
        }
        return changes
    }

    /// The earliest second, among those with occurrences in the current window, at which the
    /// group's value reached the threshold.
    static func firstReached(rule: CounterRule, counter: CounterDefinition, state: CounterState, group: String, now: EventTime) -> EventTime {
        let last = now.epochMilliseconds / 1000
        let first = last - max(1, counter.windowMilliseconds / 1000) + 1
        var candidates = Set<Int64>()
        for seconds in state.occurrences[group]?.values ?? [:].values { for second in seconds where second >= first && second <= last { candidates.insert(second) } }
        for second in state.buckets[group]?.keys ?? [:].keys where second >= first && second <= last { candidates.insert(second) }
        for second in candidates.sorted() {
            let at = EventTime(epochMilliseconds: second * 1000 + 999)
            if (state.values(at: at, counter: counter)[group] ?? 0) >= rule.atLeast { return EventTime(epochMilliseconds: second * 1000) }
        }
        return now
    }
}
