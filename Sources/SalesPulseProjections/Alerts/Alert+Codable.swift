import SalesPulseModel

// An alert's `Codable` form: its public members, as the synthesized conformance wrote them
// (optional members left out when nil). Written out so that ``Alert/digits``, a function of the
// id kept beside it, is not coded: it is worked out again from the decoded id.

extension Alert: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, rule, customer, rep, supervisor, director, region, departments, flow, step, since, reason, state, severity, evidence, resolvedAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(Attributes(id: try container.decode(String.self, forKey: .id),
                             rule: try container.decode(String.self, forKey: .rule),
                             customer: try container.decode(String.self, forKey: .customer),
                             rep: try container.decodeIfPresent(String.self, forKey: .rep),
                             supervisor: try container.decodeIfPresent(String.self, forKey: .supervisor),
                             director: try container.decodeIfPresent(String.self, forKey: .director),
                             region: try container.decodeIfPresent(String.self, forKey: .region),
                             departments: try container.decode([String].self, forKey: .departments),
                             flow: try container.decodeIfPresent(String.self, forKey: .flow),
                             step: try container.decodeIfPresent(String.self, forKey: .step),
                             since: try container.decode(EventTime.self, forKey: .since),
                             reason: try container.decode(String.self, forKey: .reason),
                             state: try container.decode(State.self, forKey: .state),
                             severity: try container.decodeIfPresent(String.self, forKey: .severity),
                             evidence: try container.decodeIfPresent([String].self, forKey: .evidence),
                             resolvedAt: try container.decodeIfPresent(EventTime.self, forKey: .resolvedAt)))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(rule, forKey: .rule)
        try container.encode(customer, forKey: .customer)
        try container.encodeIfPresent(rep, forKey: .rep)
        try container.encodeIfPresent(supervisor, forKey: .supervisor)
        try container.encodeIfPresent(director, forKey: .director)
        try container.encodeIfPresent(region, forKey: .region)
        try container.encode(departments, forKey: .departments)
        try container.encodeIfPresent(flow, forKey: .flow)
        try container.encodeIfPresent(step, forKey: .step)
        try container.encode(since, forKey: .since)
        try container.encode(reason, forKey: .reason)
        try container.encode(state, forKey: .state)
        try container.encodeIfPresent(severity, forKey: .severity)
        try container.encodeIfPresent(evidence, forKey: .evidence)
        try container.encodeIfPresent(resolvedAt, forKey: .resolvedAt)
    }
}
