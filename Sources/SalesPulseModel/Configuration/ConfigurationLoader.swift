import Foundation
import Yams

/// Loads and validates a ``ProcessConfiguration`` from YAML.
///
/// Errors name the file, the line, the path and what is wrong; unknown keys are rejected and
/// references between flows, steps, actions and the organisation are checked.
public enum ConfigurationLoader {
    /// Loads a configuration file.
    public static func load(path: String) throws(ConfigurationError) -> ProcessConfiguration {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: path, line: nil, path: "", message: "cannot read the file (missing, unreadable or not UTF-8)")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses configuration YAML.
    public static func parse(yaml: String, file: String = "<string>") throws(ConfigurationError) -> ProcessConfiguration {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigurationError(file: file, line: nil, path: "", message: "the document is empty")
            }
            root = node
        } catch let error as ConfigurationError {
            throw error
        } catch let error as YamlError {
            throw ConfigurationError(file: file, line: yamlLine(error), path: "", message: "invalid YAML: \(error)")
        } catch {
            throw ConfigurationError(file: file, line: nil, path: "", message: "invalid YAML: \(error)")
        }
        let top = try ConfigNode(node: root, path: "", file: file).mapping(allowed: ["version", "flows", "freshness", "activation", "inactivity", "ineffectiveRepeats", "health", "allowedLateness", "organisation", "departments", "counters", "rules"])
        if let version = top["version"], try version.int(in: 1...1000) != 1 {
            throw version.error("unsupported version; this SalesPulse reads version 1")
        }
        guard let flowsNode = top["flows"] else {
            throw ConfigurationError(file: file, line: root.mark?.line, path: "flows", message: "required: declare at least one flow")
        }
        var flows: [FlowDefinition] = []
        for flowNode in try flowsNode.sequence() {
            let flow = try parseFlow(flowNode)
            if flows.contains(where: { $0.id == flow.id }) { throw flowNode.error("duplicate flow id '\(flow.id)'") }
            flows.append(flow)
        }
        if flows.isEmpty { throw flowsNode.error("declare at least one flow") }

        var configuration = ProcessConfiguration(flows: flows)
        if let node = top["freshness"] {
            let entries = try node.mapping(allowed: ["keyFields", "horizon"])
            configuration.freshness = FreshnessRule(
                keyFields: try entries["keyFields"]?.strings() ?? [],
                horizonMilliseconds: try entries["horizon"]?.duration() ?? 72 * 3_600_000
            )
        }
        if let node = top["activation"] {
            let entries = try node.mapping(allowed: ["requiredFields", "window"])
            configuration.activation = ActivationRule(
                requiredFields: try entries["requiredFields"]?.strings() ?? [],
                windowMilliseconds: try entries["window"]?.duration() ?? 24 * 3_600_000
            )
        }
        if let node = top["inactivity"] {
            for item in try node.sequence() {
                let entries = try item.mapping(allowed: ["id", "flow", "step", "after"])
                guard let id = entries["id"], let flow = entries["flow"], let step = entries["step"], let after = entries["after"] else {
                    throw item.error("an inactivity rule needs id, flow, step and after")
                }
                let rule = InactivityRule(id: try id.identifier(), flow: try flow.identifier(), step: try step.identifier(), afterMilliseconds: try after.duration())
                guard let definition = configuration.flow(named: rule.flow) else { throw flow.error("unknown flow '\(rule.flow)'") }
                guard definition.step(named: rule.step) != nil else { throw step.error("flow '\(rule.flow)' has no step '\(rule.step)'") }
                configuration.inactivity.append(rule)
            }
        }
        if let node = top["ineffectiveRepeats"] { configuration.ineffectiveRepeats = try node.int(in: 2...100) }
        if let node = top["allowedLateness"] { configuration.allowedLatenessMilliseconds = try node.duration() }
        if let node = top["health"] {
            let entries = try node.mapping(allowed: ["weights"])
            if let weightsNode = entries["weights"] {
                let weights = try weightsNode.mapping(allowed: ["compliance", "freshness", "effectiveness"])
                configuration.healthWeights = HealthWeights(
                    compliance: try weights["compliance"]?.double(in: 0...1000) ?? 1,
                    freshness: try weights["freshness"]?.double(in: 0...1000) ?? 1,
                    effectiveness: try weights["effectiveness"]?.double(in: 0...1000) ?? 1
                )
                let w = configuration.healthWeights
                if w.compliance + w.freshness + w.effectiveness == 0 { throw weightsNode.error("at least one weight must be positive") }
            }
        }
        var departments: [String: String] = [:]
        if let node = top["departments"] {
            guard case .mapping = node.node else { throw node.error("expected a mapping of department id to recipient") }
            for (name, value) in try node.mapping(allowed: Set((node.node.mapping ?? [:]).keys.compactMap { $0.scalar?.string })) {
                departments[name] = try value.string()
            }
        }
        if let node = top["counters"] {
            for item in try node.sequence() {
                let counter = try parseCounter(item)
                if configuration.counters.contains(where: { $0.id == counter.id }) { throw item.error("duplicate counter id '\(counter.id)'") }
                configuration.counters.append(counter)
            }
        }
        if let node = top["rules"] {
            for item in try node.sequence() {
                let entries = try item.mapping(allowed: ["id", "kind", "counter", "per", "atLeast", "below", "surge", "belowTeamMean", "for", "minimum", "severity", "notify", "evidence",
                                                         "after", "expect", "within", "flow", "step", "action", "times"])
                guard let idNode = entries["id"] else { throw item.error("a rule needs an id") }
                let id = try idNode.identifier()
                if configuration.counterRules.contains(where: { $0.id == id }) || configuration.absenceRules.contains(where: { $0.id == id }) || configuration.sequenceRules.contains(where: { $0.id == id }) {
                    throw idNode.error("duplicate rule id '\(id)'")
                }
                let kind = try entries["kind"]?.identifier() ?? "counter"
                let severity = try entries["severity"]?.identifier() ?? "warning"
                guard ["info", "warning", "critical"].contains(severity) else { throw entries["severity"]!.error("severity must be info, warning or critical") }
                var notify: [String] = []
                for department in try entries["notify"]?.sequence() ?? [] {
                    let name = try department.identifier()
                    guard departments[name] != nil else { throw department.error("unknown department '\(name)'; declare it under departments") }
                    notify.append(name)
                }
                func reject(_ keys: [String]) throws(ConfigurationError) {
                    for key in keys { if let extra = entries[key] { throw extra.error("'\(key)' does not apply to a rule of kind \(kind)") } }
                }
                switch kind {
                case "counter":
                    try reject(["after", "expect", "within", "flow", "step", "action", "times"])
                    var rule = try parseCounterRule(item, entries: entries, id: id, severity: severity, notify: notify, counters: configuration.counters)
                    if let evidence = entries["evidence"] {
                        let options = try evidence.mapping(allowed: ["longestWaiting"])
                        guard let count = options["longestWaiting"] else { throw evidence.error("expected {longestWaiting: N}") }
                        guard configuration.counters.first(where: { $0.id == rule.counter })?.groupBy == "region" else {
                            throw evidence.error("longestWaiting evidence lists a region's customers: the counter must have groupBy: region")
                        }
                        rule.longestWaitingEvidence = try count.int(in: 1...20)
                    }
                    configuration.counterRules.append(rule)
                case "absence":
                    try reject(["evidence", "counter", "per", "atLeast", "below", "surge", "belowTeamMean", "for", "minimum", "flow", "step", "action", "times"])
                    guard let after = entries["after"], let expect = entries["expect"], let within = entries["within"] else {
                        throw item.error("an absence rule needs after (event types), expect (event types) and within (a duration)")
                    }
                    configuration.absenceRules.append(AbsenceRule(id: id, after: try parseTypes(after), expect: try parseTypes(expect), withinMilliseconds: try within.duration(), severity: severity, notify: notify))
                case "inARow":
                    try reject(["evidence", "counter", "per", "atLeast", "below", "surge", "belowTeamMean", "for", "minimum", "after", "expect", "within"])
                    guard let flow = entries["flow"], let step = entries["step"], let action = entries["action"], let times = entries["times"] else {
                        throw item.error("an inARow rule needs flow, step, action and times")
                    }
                    let flowID = try flow.identifier(), stepID = try step.identifier(), actionID = try action.identifier()
                    guard let definition = configuration.flow(named: flowID) else { throw flow.error("unknown flow '\(flowID)'") }
                    guard let stepDefinition = definition.step(named: stepID) else { throw step.error("flow \(flowID) has no step '\(stepID)'") }
                    guard stepDefinition.actions.contains(where: { $0.id == actionID }) else { throw action.error("step \(flowID)/\(stepID) has no action '\(actionID)'") }
                    configuration.sequenceRules.append(SequenceRule(id: id, flow: flowID, step: stepID, action: actionID, times: try times.int(in: 2...1000), severity: severity, notify: notify))
                default:
                    throw entries["kind"]!.error("unknown rule kind '\(kind)'; expected counter, absence or inARow")
                }
            }
        }
        if let node = top["organisation"] {
            configuration.organisation = try parseOrganisation(node, departments: departments)
        } else {
            configuration.organisation = Organisation(departments: departments)
        }
        return configuration
    }

    private static func parseFlow(_ node: ConfigNode) throws(ConfigurationError) -> FlowDefinition {
        let entries = try node.mapping(allowed: ["id", "name", "steps"])
        guard let idNode = entries["id"] else { throw node.error("a flow needs an id") }
        guard let stepsNode = entries["steps"] else { throw node.error("a flow needs steps") }
        var steps: [StepDefinition] = []
        for stepNode in try stepsNode.sequence() {
            let step = try parseStep(stepNode)
            if steps.contains(where: { $0.id == step.id }) { throw stepNode.error("duplicate step id '\(step.id)'") }
            steps.append(step)
        }
        if steps.isEmpty { throw stepsNode.error("a flow needs at least one step") }
        return FlowDefinition(id: try idNode.identifier(), name: try entries["name"]?.string(), steps: steps)
    }

    private static func parseStep(_ node: ConfigNode) throws(ConfigurationError) -> StepDefinition {
        let entries = try node.mapping(allowed: ["id", "name", "sla", "actions", "blockageReasons"])
        guard let idNode = entries["id"] else { throw node.error("a step needs an id") }
        var actions: [ActionDefinition] = []
        for actionNode in try entries["actions"]?.sequence() ?? [] {
            let action = try parseAction(actionNode)
            if actions.contains(where: { $0.id == action.id }) { throw actionNode.error("duplicate action id '\(action.id)'") }
            actions.append(action)
        }
        var reasons: [String] = []
        for reason in try entries["blockageReasons"]?.sequence() ?? [] { reasons.append(try reason.identifier()) }
        return StepDefinition(id: try idNode.identifier(), name: try entries["name"]?.string(), slaMilliseconds: try entries["sla"]?.duration(), actions: actions, blockageReasons: reasons)
    }

    private static func parseAction(_ node: ConfigNode) throws(ConfigurationError) -> ActionDefinition {
        let entries = try node.mapping(allowed: ["id", "name", "mandatory", "evidence"])
        guard let idNode = entries["id"] else { throw node.error("an action needs an id") }
        var requirement = EvidenceRequirement()
        if let evidenceNode = entries["evidence"] {
            let evidence = try evidenceNode.mapping(allowed: ["photo", "location", "attachment", "text", "skus"])
            if let photo = evidence["photo"] {
                if case .mapping = photo.node {
                    let options = try photo.mapping(allowed: ["maxAge"])
                    requirement.photo = true
                    requirement.photoMaxAgeMilliseconds = try options["maxAge"]?.duration()
                } else {
                    requirement.photo = try photo.bool()
                }
            }
            if let location = evidence["location"] {
                let options = try location.mapping(allowed: ["maxAccuracyM"])
                guard let accuracy = options["maxAccuracyM"] else { throw location.error("location evidence needs maxAccuracyM (metres)") }
                requirement.locationMaxAccuracyMeters = try accuracy.double(in: 1...100_000)
            }
            if let attachment = evidence["attachment"] { requirement.attachment = try attachment.bool() }
            if let skus = evidence["skus"] { requirement.skus = try skus.bool() }
            if let text = evidence["text"] {
                let options = try text.mapping(allowed: ["min", "max"])
                let minimum = try options["min"]?.int(in: 0...EventCatalogue.maxEvidenceText) ?? 1
                let maximum = try options["max"]?.int(in: 1...EventCatalogue.maxEvidenceText) ?? EventCatalogue.maxEvidenceText
                guard minimum <= maximum else { throw text.error("min \(minimum) is greater than max \(maximum)") }
                requirement.textLength = minimum...maximum
            }
        }
        return ActionDefinition(id: try idNode.identifier(), name: try entries["name"]?.string(), mandatory: try entries["mandatory"]?.bool() ?? true, evidence: requirement)
    }

    private static func parseCounter(_ node: ConfigNode) throws(ConfigurationError) -> CounterDefinition {
        let entries = try node.mapping(allowed: ["id", "type", "where", "count", "distinct", "sum", "groupBy", "window"])
        guard let id = entries["id"], let typeNode = entries["type"], let window = entries["window"] else {
            throw node.error("a counter needs id, type and window (and one of count, distinct, sum)")
        }
        let typeName = try typeNode.string()
        guard let type = SalesEventType(name: typeName) else {
            throw typeNode.error("unknown event type '\(typeName)'; see schemas/README.md")
        }
        func attribute(_ node: ConfigNode) throws(ConfigurationError) -> String {
            let name = try node.string()
            if name == CounterDefinition.timeToSignDays {
                guard type == .dealWon else { throw node.error("\(name) is derived for sales.deal.won only") }
                return name
            }
            guard SalesEvent.attributeNames.contains(name) else {
                throw node.error("unknown attribute '\(name)'; use one of \(SalesEvent.attributeNames.sorted().joined(separator: ", ")) (and \(CounterDefinition.timeToSignDays) for sales.deal.won)")
            }
            return name
        }
        var filter: [String: String] = [:]
        if let whereNode = entries["where"] {
            guard case .mapping(let mapping) = whereNode.node else { throw whereNode.error("expected a mapping of attribute: value") }
            for (key, _) in mapping {
                let name = key.scalar?.string ?? ""
                let child = try whereNode.mapping(allowed: SalesEvent.attributeNames)[name]!
                filter[name] = try child.string()
            }
        }
        var measure = CounterDefinition.Measure.count
        let chosen = ["count", "distinct", "sum"].filter { entries[$0] != nil }
        if chosen.count > 1 { throw node.error("choose one of count, distinct, sum") }
        if let distinct = entries["distinct"] { measure = .distinct(try attribute(distinct)) }
        if let sum = entries["sum"] { measure = .sum(try attribute(sum)) }
        if let count = entries["count"], try !count.bool() { throw count.error("count: true, or use distinct/sum") }
        return CounterDefinition(id: try id.identifier(), type: type, filter: filter, measure: measure,
                                 groupBy: try entries["groupBy"].map(attribute), windowMilliseconds: try window.duration())
    }

    private static func parseOrganisation(_ node: ConfigNode, departments: [String: String]) throws(ConfigurationError) -> Organisation {
        let entries = try node.mapping(allowed: ["regions"])
        var regions: [Organisation.Region] = []
        var seenReps = Set<String>()
        for regionNode in try entries["regions"]?.sequence() ?? [] {
            let region = try regionNode.mapping(allowed: ["id", "director", "teams"])
            guard let id = region["id"], let director = region["director"] else { throw regionNode.error("a region needs id and director") }
            var teams: [Organisation.Team] = []
            for teamNode in try region["teams"]?.sequence() ?? [] {
                let team = try teamNode.mapping(allowed: ["id", "supervisor", "reps"])
                guard let teamID = team["id"], let supervisor = team["supervisor"], let repsNode = team["reps"] else {
                    throw teamNode.error("a team needs id, supervisor and reps")
                }
                var reps: [String] = []
                for repNode in try repsNode.sequence() {
                    let text = try repNode.string()
                    guard let expanded = Organisation.expand(text) else {
                        throw repNode.error("'\(text)' is not a rep id or a range like rep-0001..rep-0040")
                    }
                    for rep in expanded {
                        guard seenReps.insert(rep).inserted else { throw repNode.error("rep '\(rep)' is in two teams") }
                        reps.append(rep)
                    }
                }
                teams.append(Organisation.Team(id: try teamID.identifier(), supervisor: try supervisor.string(), reps: reps))
            }
            regions.append(Organisation.Region(id: try id.identifier(), director: try director.string(), teams: teams))
        }
        return Organisation(regions: regions, departments: departments)
    }

    private static func yamlLine(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    static func parseCounterRule(_ item: ConfigNode, entries: [String: ConfigNode], id: String, severity: String, notify: [String], counters: [CounterDefinition]) throws(ConfigurationError) -> CounterRule {
        guard let counter = entries["counter"] else { throw item.error("a counter rule needs counter and one of atLeast, below, surge, belowTeamMean") }
        let counterID = try counter.identifier()
        guard let definition = counters.first(where: { $0.id == counterID }) else { throw counter.error("unknown counter '\(counterID)'; declare it under counters") }
        var per: String?
        if let node = entries["per"] {
            let perID = try node.identifier()
            guard let other = counters.first(where: { $0.id == perID }) else { throw node.error("unknown counter '\(perID)'; declare it under counters") }
            guard other.groupBy == definition.groupBy, other.windowMilliseconds == definition.windowMilliseconds else {
                throw node.error("a ratio needs counters with the same groupBy and window: \(counterID) and \(perID) differ")
            }
            per = perID
        }
        let conditions = ["atLeast", "below", "surge", "belowTeamMean"].filter { entries[$0] != nil }
        guard conditions.count == 1 else { throw item.error("a counter rule needs exactly one of atLeast, below, surge, belowTeamMean (found \(conditions.isEmpty ? "none" : conditions.joined(separator: ", ")))") }
        let condition: CounterRule.Condition
        switch conditions[0] {
        case "atLeast": condition = .atLeast(try entries["atLeast"]!.double(in: 0...1_000_000_000))
        case "below": condition = .below(try entries["below"]!.double(in: 0...1_000_000_000))
        case "surge": condition = .surge(increase: try entries["surge"]!.double(in: 0.01...1_000))
        default:
            guard definition.groupBy == "repid" else { throw entries["belowTeamMean"]!.error("belowTeamMean compares reps with their team: counter \(counterID) must have groupBy: repid") }
            condition = .belowTeamMean(fraction: try entries["belowTeamMean"]!.double(in: 0.01...1))
        }
        return CounterRule(id: id, counter: counterID, per: per, condition: condition, sustainedMilliseconds: try entries["for"]?.duration() ?? 0,
                           minimum: try entries["minimum"]?.double(in: 0...1_000_000_000) ?? 0, severity: severity, notify: notify)
    }

    static func parseTypes(_ node: ConfigNode) throws(ConfigurationError) -> [SalesEventType] {
        var types: [SalesEventType] = []
        for item in try node.sequence() {
            let name = try item.string()
            guard let type = SalesEventType(name: name) else { throw item.error("unknown event type '\(name)'") }
            types.append(type)
        }
        guard !types.isEmpty else { throw node.error("expected at least one event type") }
        return types
    }
}
