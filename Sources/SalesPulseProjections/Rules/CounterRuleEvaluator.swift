import SalesPulseModel

/// Evaluates counter rules (pure) at the watermark against counter states merged across
/// partitions. Exact in event time: a group's value is known at every second of the retained
/// history, so "since when has the condition held" is read off the data — the first second of
/// the current run — and alert ids (rule, group, since) are the same live and replayed, however
/// often evaluation happens.
///
/// Runs last longer than the retained history (a condition may hold for weeks), so the
/// evaluator remembers each run's first second: it is part of the state (`Codable`, kept in the
/// checkpoint of the partition that owns the groups), and evaluation steps through event time
/// at most ``stepMilliseconds`` at a time, so a replay whose watermark jumps days per tick finds
/// every run where a live evaluation would. An open alert keeps its id until the condition
/// stops holding.
public struct CounterRuleEvaluator: Sendable, Hashable, Codable {
    /// Open alerts by id.
    public private(set) var open: [String: Alert] = [:]
    /// Open alert id by rule and group.
    private var openByKey: [String: String] = [:]
    /// Runs in progress by rule and group: the run's first second, and the second up to which
    /// it is known to have held (so each tick only checks what changed since).
    private var runs: [String: Run] = [:]
    /// The last second evaluated (nil: never): the next evaluation steps on from here.
    public private(set) var evaluatedThrough: Int64?

    /// The runs seen to stop (or to break, when a re-check found a second they no longer held
    /// at), by rule and group, oldest first, while the last second each was seen holding is
    /// within the lookback: inputs that arrive late from a lagging partition may fill the gaps
    /// after them, and the run then carries on with the first second of the earliest one it
    /// joins up with (which may lie beyond the retained history). At most
    /// ``stoppedRunsKept`` per group.
    private var stopped: [String: [StoppedRun]] = [:]

    /// How many stopped runs a group keeps (the latest).
    static let stoppedRunsKept = 32

    /// A run: its first second and the last evaluation point it was seen holding at.
    struct Run: Sendable, Hashable, Codable {
        var since: Int64
        var checkedThrough: Int64
    }

    /// A stopped run, with the reason of its alert if one was open: joined up again after its
    /// due second has left the retained history, the alert says what it said.
    struct StoppedRun: Sendable, Hashable, Codable {
        var since: Int64
        var checkedThrough: Int64
        var reason: String?
    }

    public init() {}

    /// Extra history, beyond a rule's own needs, searched for the start of a run: evaluation
    /// may lag the data by this much without changing which second is found.
    public static let lookbackMarginMilliseconds: Int64 = 6 * 3_600_000

    /// The largest step in event time between two evaluation points: when the watermark moved
    /// further since the last evaluation, the rules are evaluated at points this far apart on
    /// the way (a run is then always first seen within the lookback margin of its start).
    public static let stepMilliseconds: Int64 = lookbackMarginMilliseconds

    /// How much history (behind the watermark) a counter must keep for `rules`.
    public static func retentionMilliseconds(of counter: CounterDefinition, rules: [CounterRule]) -> Int64 {
        var retention = counter.windowMilliseconds
        for rule in rules where rule.counter == counter.id || rule.per == counter.id {
            retention = max(retention, lookbackMilliseconds(rule, window: counter.windowMilliseconds) + counter.windowMilliseconds)
        }
        return retention
    }

    static func lookbackMilliseconds(_ rule: CounterRule, window: Int64) -> Int64 {
        var lookback = rule.sustainedMilliseconds + window + lookbackMarginMilliseconds
        if case .surge = rule.condition { lookback += window }
        return lookback
    }

    /// One rule ready to be judged: its counter, the judge over the current states, and how far
    /// back a run's start is searched.
    private struct PreparedRule {
        let rule: CounterRule
        let counter: CounterDefinition
        let judge: RuleJudge
        let lookbackSeconds: Int64
        /// The groups judged that this evaluator owns (the states do not change during one
        /// evaluation, so neither do they).
        let groups: Set<String>
        /// Each of ``groups`` as the judge reads it, with its key (``keyPrefix`` and the group),
        /// in group order: made and sorted once for every point of the evaluation (sorting the
        /// groups at each point of a replay's tick was a tenth of the tick, and looking each
        /// group's data up by name at each point a quarter of the rest).
        let judged: [(subject: RuleJudge.Subject, key: String)]
        /// `"<rule id>|"`, which begins the keys of this rule's runs and open alerts.
        let keyPrefix: String
    }

    /// Evaluates `rules` (every counter rule of `configuration` when nil) at `now`; returns
    /// alert changes (fired, then resolved, by id). When the last evaluation is more than
    /// ``stepMilliseconds`` behind `now`, the rules are first evaluated at points that far apart
    /// on the way (the changes of each point in turn). A fired change may repeat an open
    /// alert's id with a corrected reason: inputs that arrived late changed the value at the
    /// second it became due. `evidence` is asked for the evidence of each alert as it fires
    /// (e.g. the customers waiting longest, for rules that want them).
    ///
    /// `changedFrom` is the earliest event time of a counter input folded since the previous
    /// evaluation (nil: none, or only within the allowed lateness): runs are re-checked from
    /// there, as far back as the retained history allows, so inputs arriving late from lagging
    /// partitions that break a run are seen. On a first evaluation it is where stepping starts.
    /// `owns` selects the groups this evaluator judges (a partition judges only the groups whose
    /// data it owns).
    public mutating func evaluate(at now: EventTime, configuration: ProcessConfiguration, rules: [CounterRule]? = nil, changedFrom: EventTime? = nil,
                                  owns: (String) -> Bool = { _ in true }, states: (String) -> CounterState,
                                  evidence: (CounterRule, Alert) -> [String]? = { _, _ in nil }) -> [Alert] {
        let nowSecond = CounterState.second(of: now)
        let changedSecond = changedFrom.map(CounterState.second(of:))
        let step = Self.stepMilliseconds / 1000
        var points: [Int64] = []
        let start = evaluatedThrough ?? min(changedSecond ?? nowSecond, nowSecond)
        var point = start
        // Inputs older than any rule's reach from `now`: judged again first where the last
        // evaluation was, whose lookback reaches further back, so gaps they fill are seen.
        if let evaluated = evaluatedThrough, let changed = changedSecond, evaluated < nowSecond, changed < nowSecond - Self.lookbackMarginMilliseconds / 1000 {
            points.append(evaluated)
        }
        while point + step < nowSecond {
            point += step
            points.append(point)
        }
        points.append(nowSecond)
        // Several points read each group's values at many seconds: sorted once, searched after.
        let eager = points.count > 1
        var prepared: [PreparedRule] = []
        for rule in rules ?? configuration.counterRules {
            guard let counter = configuration.counters.first(where: { $0.id == rule.counter }) else { continue }
            let numerator = CounterSeries(state: states(counter.id), counter: counter, preparingEagerly: eager)
            let denominator = rule.per.flatMap { id in configuration.counters.first { $0.id == id } }
                .map { CounterSeries(state: states($0.id), counter: $0, preparingEagerly: eager) }
            let judge = RuleJudge(rule: rule, numerator: numerator, denominator: denominator, organisation: configuration.organisation)
            let groups = judge.groups.filter(owns), keyPrefix = "\(rule.id)|"
            prepared.append(PreparedRule(rule: rule, counter: counter, judge: judge,
                                         lookbackSeconds: Self.lookbackMilliseconds(rule, window: counter.windowMilliseconds) / 1000,
                                         groups: groups, judged: groups.sorted().map { (judge.subject($0), keyPrefix + $0) }, keyPrefix: keyPrefix))
        }
        var changes: [Alert] = []
        for (index, point) in points.enumerated() {
            let at = point == nowSecond ? now : EventTime(epochMilliseconds: point * 1000)
            // The first point looks back to the last evaluation or, on the first, to where the
            // inputs begin.
            changes += evaluate(at: at, second: point, after: index == 0 ? evaluatedThrough ?? start - 1 : points[index - 1], rules: prepared, configuration: configuration,
                                changedSecond: index == 0 ? changedSecond : nil, first: index == 0, evidence: evidence)
        }
        evaluatedThrough = max(evaluatedThrough ?? nowSecond, nowSecond)
        return changes
    }

    /// One evaluation point. `previous`: the point before it (nil: none), after which runs
    /// that began and ended before this one are found in the data (``RuleJudge/runs(_:after:through:)``).
    /// `first`: the first point of the evaluation, which drops the runs of groups left without
    /// data (the groups do not change from one point to the next).
    private mutating func evaluate(at now: EventTime, second nowSecond: Int64, after previous: Int64?, rules: [PreparedRule], configuration: ProcessConfiguration, changedSecond: Int64?,
                                   first: Bool, evidence: (CounterRule, Alert) -> [String]?) -> [Alert] {
        var wanted: [String: Alert] = [:] // by rule|group
        // Open alerts whose value at their due second changed since they were sent.
        var redescribed: [Alert] = []
        // Alerts of runs that began and ended between the previous point and this one: each
        // fired and resolved at once. A replay's points lie hours of event time apart, and a run
        // of ten minutes between two of them was never seen holding at one; live, ticks a
        // second apart saw it. Found this way, its alert is the one a tick inside it fires.
        var passed: [Alert] = []
        // When a run of an open alert ended (the first second it no longer held), by rule|group.
        var ended: [String: Int64] = [:]
        let recheckSeconds = configuration.allowedLatenessMilliseconds / 1000 + 1
        for prepared in rules {
            let rule = prepared.rule, counter = prepared.counter, judge = prepared.judge, lookbackSeconds = prepared.lookbackSeconds
            let groups = prepared.groups, keyPrefix = prepared.keyPrefix
            if first {
                for key in runs.keys where key.hasPrefix(keyPrefix) && !groups.contains(String(key.dropFirst(rule.id.count + 1))) {
                    // The group has no data left: its run ended right after it was last seen holding.
                    if openByKey[key] != nil, let run = runs[key] { ended[key] = min(run.checkedThrough + 1, nowSecond) }
                    runs[key] = nil
                }
            }
            for (key, runs) in stopped where key.hasPrefix(keyPrefix) {
                // Gaps before the lookback can no longer be checked: such runs join nothing.
                let kept = groups.contains(String(key.dropFirst(rule.id.count + 1))) ? runs.filter { $0.checkedThrough + 1 >= nowSecond - lookbackSeconds } : []
                stopped[key] = kept.isEmpty ? nil : kept
            }
            // A run within (previous, now) is shorter than the distance between the points: only
            // rules asking for less can have one to alert on.
            if let previous, previous < nowSecond, rule.sustainedMilliseconds < (nowSecond - previous) * 1000 {
                for (subject, _) in prepared.judged {
                    let group = subject.name
                    // A dense evaluation fires at the run's last second at the latest.
                    for run in judge.runs(subject, after: previous, through: nowSecond) where (run.end - 1 - run.start) * 1000 >= rule.sustainedMilliseconds {
                        let due = run.start + (rule.sustainedMilliseconds + 999) / 1000
                        var alert = Self.alert(rule: rule, counter: counter, group: group, since: run.start, value: judge.describe(subject, at: due), configuration: configuration)
                        alert.evidence = evidence(rule, alert)
                        var resolved = alert
                        resolved.state = .resolved
                        resolved.resolvedAt = EventTime(epochMilliseconds: run.end * 1000)
                        passed += [alert, resolved]
                    }
                }
            }
            for (subject, key) in prepared.judged {
                let group = subject.name
                guard judge.holds(subject, at: nowSecond) == true else {
                    // Resolved at the first second it stopped holding since the last evaluation,
                    // not at this evaluation's time: the same however often evaluation happens.
                    // Most groups not holding have no run: one lookup for them.
                    guard let run = runs.removeValue(forKey: key) else { continue }
                    if openByKey[key] != nil, run.checkedThrough < nowSecond {
                        ended[key] = (run.checkedThrough + 1...nowSecond).first { judge.holds(subject, at: $0) != true }
                    }
                    noteStopped(run, key: key)
                    continue
                }
                // Incremental: a run known to hold up to the last tick still starts where it did
                // if it held at every change since (re-checking the allowed lateness before it,
                // or back to the earliest input folded since) and late inputs did not make it
                // hold the second before its start as well.
                let since: Int64
                var joinedReason: String?
                // Windows are whole only within the lookback: a re-check reaching further back
                // would read partly evicted windows and break the run for nothing.
                let known = runs[key]
                let recheckFrom = known.map { max($0.since, nowSecond - lookbackSeconds, min($0.checkedThrough - recheckSeconds, changedSecond ?? .max)) }
                if let run = known, let recheckFrom, run.checkedThrough <= nowSecond,
                   judge.holdsThroughout(subject, from: recheckFrom, to: nowSecond),
                   !(run.since - 1 >= nowSecond - lookbackSeconds && judge.holds(subject, at: run.since - 1) == true) {
                    since = run.since
                } else {
                    if let run = known, let recheckFrom {
                        // Broken (or started earlier): known to have held up to where the re-check began.
                        noteStopped(Run(since: run.since, checkedThrough: max(run.since, recheckFrom - 1)), key: key)
                        // Broken: an open alert of the run ends at the first second it no longer
                        // held, not at this evaluation's time (when a run that began since is found).
                        if openByKey[key] != nil, ended[key] == nil {
                            ended[key] = judge.firstSecondNotHolding(subject, from: recheckFrom, to: nowSecond)
                        }
                    }
                    (since, joinedReason) = joinStopped(key, group: subject, start: judge.runStart(subject, endingAt: nowSecond, lookbackSeconds: lookbackSeconds),
                                                        now: nowSecond, lookbackSeconds: lookbackSeconds, judge: judge)
                }
                if let id = openByKey[key], var alert = open[id], alert.since.epochMilliseconds == since * 1000 {
                    runs[key] = Run(since: since, checkedThrough: nowSecond)
                    // Inputs from lagging partitions may still change the value at the second
                    // the alert became due: while that second is retained, the reason follows
                    // it (the same alert, re-sent with the final value).
                    let due = since + (rule.sustainedMilliseconds + 999) / 1000
                    if nowSecond - due <= lookbackSeconds {
                        let latest = Self.reason(rule: rule, counter: counter, group: group, value: judge.describe(subject, at: due))
                        if latest != alert.reason {
                            alert.reason = latest
                            open[id] = alert
                            redescribed.append(alert)
                        }
                    }
                    wanted[key] = alert
                    continue
                }
                runs[key] = Run(since: since, checkedThrough: nowSecond)
                guard (nowSecond - since) * 1000 >= rule.sustainedMilliseconds else { continue }
                // The value shown is the one at the second the alert became due, not at this
                // evaluation's time: the same however often (and wherever) evaluation happens.
                let due = since + (rule.sustainedMilliseconds + 999) / 1000
                var alert = Self.alert(rule: rule, counter: counter, group: group, since: since, value: judge.describe(subject, at: due), configuration: configuration)
                if nowSecond - due > lookbackSeconds, let joinedReason { alert.reason = joinedReason }
                alert.evidence = evidence(rule, alert)
                wanted[key] = alert
            }
        }
        var changes = redescribed + passed
        // Open alerts no longer wanted, or whose run turned out to start elsewhere once late
        // inputs arrived (replaced by an alert with the run's true start).
        // Only the keys that change are sorted: sorting every open and wanted key at every point
        // was a tenth of a replay's ticks (the changes are put in order below anyway).
        for key in openByKey.compactMap({ key, id in wanted[key]?.id == id ? nil : key }).sorted() {
            var resolved = open.removeValue(forKey: openByKey.removeValue(forKey: key)!)!
            resolved.state = .resolved
            resolved.resolvedAt = ended[key].map { EventTime(epochMilliseconds: $0 * 1000) } ?? now
            changes.append(resolved)
        }
        for key in wanted.keys.filter({ openByKey[$0] == nil }).sorted() {
            let alert = wanted[key]!
            openByKey[key] = alert.id
            open[alert.id] = alert
            changes.append(alert)
        }
        return changes.sorted { ($0.state == .fired ? 0 : 1, $0.id) < ($1.state == .fired ? 0 : 1, $1.id) }
    }

    /// Keeps `run` among the group's stopped runs (the latest ``stoppedRunsKept``), with the
    /// reason of its open alert.
    private mutating func noteStopped(_ run: Run, key: String) {
        var runs = stopped[key] ?? []
        let alert = openByKey[key].flatMap { open[$0] }
        runs.append(StoppedRun(since: run.since, checkedThrough: run.checkedThrough,
                               reason: alert?.since.epochMilliseconds == run.since * 1000 ? alert?.reason : nil))
        if runs.count > Self.stoppedRunsKept { runs.removeFirst(runs.count - Self.stoppedRunsKept) }
        stopped[key] = runs
    }

    /// The first second of the run that holds from `start` (its start as the retained history
    /// shows it) to now, joined with the stopped runs that late inputs have since joined up with
    /// it: latest first, a stopped run joins when the seconds from its start (as far back as the
    /// lookback reaches) to the run's start all hold now, and it was last seen holding no earlier
    /// than the lookback or the run's start (otherwise the gap is beyond checking). With the
    /// reason of the alert of the earliest run joined, if it had one.
    private mutating func joinStopped(_ key: String, group: RuleJudge.Subject, start: Int64, now nowSecond: Int64, lookbackSeconds: Int64, judge: RuleJudge) -> (since: Int64, reason: String?) {
        guard let runs = stopped[key] else { return (start, nil) }
        var since = start, reason: String?, joined = false
        for run in runs.reversed() where run.since < since {
            let from = max(run.since, nowSecond - lookbackSeconds)
            guard run.checkedThrough + 1 >= min(since, nowSecond - lookbackSeconds),
                  from > since || (judge.holds(group, at: from) == true && judge.holdsThroughout(group, from: from, to: since)) else { break }
            since = run.since
            reason = run.reason
            joined = true
        }
        if joined {
            let earlier = runs.filter { $0.since < since }
            stopped[key] = earlier.isEmpty ? nil : earlier
        }
        return (since, reason)
    }

    static func alert(rule: CounterRule, counter: CounterDefinition, group: String, since: Int64, value: String, configuration: ProcessConfiguration) -> Alert {
        let rep = counter.groupBy == "repid" ? group : nil
        let region = counter.groupBy == "region" ? group : nil
        var alert = Alert(rule: "counter:\(rule.id)", customer: group, rep: rep, organisation: configuration.organisation, region: region,
                          since: EventTime(epochMilliseconds: since * 1000),
                          reason: reason(rule: rule, counter: counter, group: group, value: value))
        alert.departments = rule.notify.compactMap { configuration.organisation.departments[$0] }
        alert.severity = rule.severity
        return alert
    }

    /// The alert's reason: the counter, group and value (`value`: as ``RuleJudge/describe(_:at:)``
    /// words it), and the condition.
    static func reason(rule: CounterRule, counter: CounterDefinition, group: String, value: String) -> String {
        var condition: String
        switch rule.condition {
        case .atLeast(let threshold): condition = "≥ \(FieldValue.number(threshold))"
        case .below(let threshold): condition = "< \(FieldValue.number(threshold))"
        case .surge(let increase): condition = "up \(FieldValue.number(increase * 100))% or more on the previous \(DurationText.text(counter.windowMilliseconds))"
        case .belowTeamMean(let fraction): condition = "below \(FieldValue.number(fraction * 100))% of the team mean"
        }
        if rule.sustainedMilliseconds > 0 { condition += " for \(DurationText.text(rule.sustainedMilliseconds))" }
        return "\(rule.per.map { "\(counter.id)/\($0)" } ?? counter.id)[\(group)] = \(value) \(condition) within \(DurationText.text(counter.windowMilliseconds))"
    }
}

/// The condition of one rule over one or two counter series.
struct RuleJudge {
    let rule: CounterRule
    let numerator: CounterSeries
    let denominator: CounterSeries?
    let organisation: Organisation
    /// Team means computed so far (the states do not change while a judge is in use).
    private let teamMeans = TeamMeans()

    /// Team means by team and second (nil: the team is not judged then).
    private final class TeamMeans {
        var byTeam: [String: [Int64: Double?]] = [:]
        /// Each team's reps' data, in the team's order: read at every second a mean is asked
        /// for, without looking each rep up by name.
        var members: [String: [Member]] = [:]
        /// The mean asked for last.
        var last: (team: String, second: Int64, mean: Double?)?
    }

    /// Groups judged: those with data, and for team comparisons every rep of those reps' teams.
    var groups: Set<String> {
        var groups = numerator.groups.union(denominator?.groups ?? [])
        if case .belowTeamMean = rule.condition {
            for rep in groups { groups.formUnion(teammates(of: rep)) }
        }
        return groups
    }

    func teammates(of rep: String) -> [String] {
        guard let team = organisation.placement(of: rep)?.team else { return [rep] }
        return organisation.reps(inTeam: team)
    }

    /// A group as the judge reads it: its name and, when the series prepare every group for
    /// many reads (``CounterSeries/preparesEagerly``), its data in each, found once by name.
    ///
    /// A class: an evaluation passes each group's subject to many reads at each point, and a
    /// value, a name and two groups' data, was copied (its references retained) at each.
    final class Subject {
        let name: String
        fileprivate let numerator: CounterSeries.Group?
        fileprivate let denominator: CounterSeries.Group?
        /// The rep's team, for a rule comparing reps with their team's mean (nil: another rule,
        /// or a rep in no team).
        fileprivate let team: String?

        fileprivate init(name: String, numerator: CounterSeries.Group?, denominator: CounterSeries.Group?, team: String?) {
            self.name = name
            self.numerator = numerator
            self.denominator = denominator
            self.team = team
        }
    }

    /// `group` as ``Subject``: its data found now when the series prepare eagerly, otherwise
    /// read by name at each read, as the series do for a single evaluation point.
    func subject(_ group: String) -> Subject {
        var team: String?
        if case .belowTeamMean = rule.condition { team = organisation.placement(of: group)?.team }
        guard numerator.preparesEagerly else { return Subject(name: group, numerator: nil, denominator: nil, team: team) }
        return Subject(name: group, numerator: numerator.group(group), denominator: denominator?.group(group), team: team)
    }

    /// The watched value (nil when not judged: no data, or too small a sample).
    func value(_ group: String, at second: Int64) -> Double? { value(subject(group), at: second) }

    /// The watched value of `subject` (nil when not judged: no data, or too small a sample).
    func value(_ subject: Subject, at second: Int64) -> Double? {
        let top = subject.numerator.map { numerator.value($0, at: second) } ?? numerator.value(subject.name, at: second)
        guard let denominator else { return top }
        let bottom = subject.denominator.map { denominator.value($0, at: second) } ?? denominator.value(subject.name, at: second)
        guard bottom > 0, bottom >= rule.minimum else { return nil }
        return top / bottom
    }

    /// Whether the condition holds for `group` at `second` (nil: not judged).
    func holds(_ group: Subject, at second: Int64) -> Bool? {
        switch rule.condition {
        case .atLeast(let threshold):
            guard let value = value(group, at: second) else { return nil }
            return value >= threshold && (denominator != nil || value >= rule.minimum)
        case .below(let threshold):
            guard let value = value(group, at: second) else { return nil }
            if denominator == nil && value == 0 { return nil }
            return value < threshold
        case .surge(let increase):
            guard let current = value(group, at: second), let previous = value(group, at: second - numerator.windowSeconds) else { return nil }
            guard current >= max(rule.minimum, 1) else { return false }
            return current >= (1 + increase) * previous
        case .belowTeamMean(let fraction):
            guard let mean = teamMean(of: group, at: second) else { return nil }
            return (value(group, at: second) ?? 0) < fraction * mean
        }
    }

    /// The mean value of the team of `rep` at `second` (nil: no teammate has a value, or the
    /// mean is zero or below the rule's minimum). Computed once per team and second: every rep
    /// of a team is judged against the same mean at the same change points, and recomputing it
    /// for each made a team's judgement quadratic in its size (half the counter-rule work in a
    /// replay of the soak's backlog, with teams of 40).
    func teamMean(of rep: String, at second: Int64) -> Double? { teamMean(of: subject(rep), at: second) }

    /// The mean value of the team of `rep` at `second` (as ``teamMean(of:at:)-(String,_)``).
    func teamMean(of rep: Subject, at second: Int64) -> Double? {
        // A rep in no team is its own team.
        guard let team = rep.team else { return mean(of: [member(rep.name)], at: second) }
        // The reps of a team sort together, and a team's mean is asked for at each second its
        // reps are judged at: mostly the one asked for last.
        if let last = teamMeans.last, last.second == second, last.team == team { return last.mean }
        if let known = teamMeans.byTeam[team]?[second] {
            teamMeans.last = (team, second, known)
            return known
        }
        let members: [Member]
        if let known = teamMeans.members[team] {
            members = known
        } else {
            members = organisation.reps(inTeam: team).map(member)
            teamMeans.members[team] = members
        }
        let mean = mean(of: members, at: second)
        teamMeans.byTeam[team, default: [:]][second] = .some(mean)
        teamMeans.last = (team, second, mean)
        return mean
    }

    /// A rep's data in the numerator and denominator series, prepared for reads.
    private typealias Member = (numerator: CounterSeries.Group, denominator: CounterSeries.Group?)

    private func member(_ rep: String) -> Member { (numerator.group(rep), denominator?.group(rep)) }

    /// The mean of the members' values (``value(_:at:)``'s, each read where it was prepared)
    /// over all members, valued or not (nil: none has a value, or the mean is zero or below the
    /// rule's minimum).
    private func mean(of members: [Member], at second: Int64) -> Double? {
        var sum = 0.0, valued = 0
        for member in members {
            var value = numerator.value(member.numerator, at: second)
            if let denominator, let bottom = member.denominator.map({ denominator.value($0, at: second) }) {
                guard bottom > 0, bottom >= rule.minimum else { continue }
                value /= bottom
            }
            sum += value
            valued += 1
        }
        guard valued > 0 else { return nil }
        let mean = sum / Double(members.count)
        guard mean > 0, mean >= rule.minimum else { return nil }
        return mean
    }

    /// Seconds in `range` at which the condition for `group` may change: where its value (or
    /// denominator, previous-window value, or a teammate's value) changes. Ascending, each
    /// once (sorted here: gathered in a `Set`, every point was hashed, and most callers
    /// sorted them after).
    func changePoints(_ group: Subject, in range: ClosedRange<Int64>) -> [Int64] {
        var points = group.numerator.map { numerator.changePoints($0, in: range) } ?? numerator.changePoints(group.name, in: range)
        if let denominator { points += group.denominator.map { denominator.changePoints($0, in: range) } ?? denominator.changePoints(group.name, in: range) }
        switch rule.condition {
        case .surge:
            let shift = numerator.windowSeconds, earlier = (range.lowerBound - shift)...(range.upperBound - shift)
            for point in group.numerator.map({ numerator.changePoints($0, in: earlier) }) ?? numerator.changePoints(group.name, in: earlier) { points.append(point + shift) }
        case .belowTeamMean:
            for mate in teammates(of: group.name) where mate != group.name { points += numerator.changePoints(mate, in: range) }
        default:
            break
        }
        points.sort()
        var unique = 0
        for point in points where unique == 0 || points[unique - 1] != point {
            points[unique] = point
            unique += 1
        }
        points.removeLast(points.count - unique)
        return points
    }

    /// The first second of the run of seconds, ending at `end`, in which the condition held
    /// without interruption (searched `lookbackSeconds` back).
    func runStart(_ group: Subject, endingAt end: Int64, lookbackSeconds: Int64) -> Int64 {
        let points = changePoints(group, in: (end - lookbackSeconds)...end)
        var start = end
        // The value is constant between change points: walk back while the condition holds
        // (from the last change point, down to the lookback's start).
        let earliest = end - lookbackSeconds
        for point in points.reversed() + (points.first == earliest ? [] : [earliest]) where point <= end {
            guard holds(group, at: point) == true else { break }
            start = point
        }
        return start
    }

    /// The runs of `group` that began after `previous` and ended by `now` (the condition held
    /// from `start` up to `end`, exclusive, and not just before `start`): a run holding at
    /// `previous` or at `now` is not among them. Read at the change points in between.
    func runs(_ group: Subject, after previous: Int64, through now: Int64) -> [(start: Int64, end: Int64)] {
        guard previous < now else { return [] }
        // Without a change in between nothing began or ended (live, a second apart, most
        // groups): the condition at `previous` is not even read.
        let points = changePoints(group, in: (previous + 1)...now)
        guard !points.isEmpty else { return [] }
        var found: [(start: Int64, end: Int64)] = []
        var holding = holds(group, at: previous) == true
        var start: Int64?
        for point in points {
            let holdsNow = holds(group, at: point) == true
            if holdsNow && !holding {
                start = point
            } else if !holdsNow && holding {
                // Nil start: the run held at `previous` already.
                if let began = start { found.append((began, point)) }
                start = nil
            }
            holding = holdsNow
        }
        return found
    }

    /// The first second in `from...to` at which the condition does not hold for `group` (nil:
    /// it holds throughout). The value is constant between change points, so `from` and the
    /// change points are all that is read.
    func firstSecondNotHolding(_ group: Subject, from: Int64, to: Int64) -> Int64? {
        guard from <= to else { return nil }
        if holds(group, at: from) != true { return from }
        return changePoints(group, in: from...to).first { holds(group, at: $0) != true }
    }

    /// Whether the condition holds at every change point of `group` in `from...to`.
    func holdsThroughout(_ group: Subject, from: Int64, to: Int64) -> Bool {
        guard from <= to else { return true }
        return changePoints(group, in: from...to).allSatisfy { holds(group, at: $0) == true }
    }

    /// The value in words, for the alert's reason.
    func describe(_ group: Subject, at second: Int64) -> String {
        guard let value = value(group, at: second) else { return "n/a" }
        if denominator != nil { return FieldValue.number((value * 1000).rounded() / 10).description + "%" }
        return FieldValue.number(value).description
    }
}
