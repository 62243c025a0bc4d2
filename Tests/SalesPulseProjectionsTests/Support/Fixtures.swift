import SalesPulseModel
@testable import SalesPulseProjections

/// A small configuration covering every rule kind, and helpers to write events tersely.
enum Fixtures {
    static let yaml = """
    version: 1
    ineffectiveRepeats: 3
    freshness: {horizon: 72h, keyFields: [latest_need, competitor_dynamics]}
    activation: {window: 24h, requiredFields: [first_contact_mode, core_need, next_follow_up]}
    inactivity:
      - {id: silent, flow: pipeline, step: need_confirmation, after: 3d}
    flows:
      - id: academic
        steps:
          - id: visit
            sla: 72h
            blockageReasons: [doctor_abroad]
            actions:
              - {id: photo, evidence: {photo: true, location: {maxAccuracyM: 50}}}
              - {id: notes, evidence: {text: {min: 5, max: 200}}}
              - {id: optional_gift, mandatory: false}
          - id: review
            sla: 72h
            actions:
              - {id: send, evidence: {attachment: true}}
          - id: sign
      - id: delivery
        steps:
          - id: receipt
            sla: 72h
            actions:
              - {id: receipt_photo, evidence: {photo: true}}
          - id: invoice
      - id: pipeline
        steps:
          - id: new_lead
          - id: need_confirmation
          - id: proposal
    organisation:
      regions:
        - id: east
          director: dir-east
          teams:
            - {id: east-1, supervisor: sup-1, reps: [rep-1..rep-3]}
        - id: west
          director: dir-west
          teams:
            - {id: west-1, supervisor: sup-2, reps: [rep-4..rep-6]}
    """

    static let configuration = try! ConfigurationLoader.parse(yaml: yaml)

    static let hour: Int64 = 3_600_000
    static let t0 = EventTime(epochMilliseconds: 1_772_413_200_000) // 2026-03-02T01:00:00Z

    static func at(_ hours: Double) -> EventTime { t0.adding(milliseconds: Int64(hours * Double(hour))) }

    nonisolated(unsafe) static var counter = 0

    static func event(_ payload: EventPayload, customer: String = "c1", rep: String? = "rep-1", at hours: Double, id: String? = nil) -> SalesEvent {
        let type: SalesEventType = switch payload {
        case .leadCreated: .leadCreated
        case .fieldUpdated: .fieldUpdated
        case .stepEntered: .stepEntered
        case .stepBlocked: .stepBlocked
        case .actionCompleted: .actionCompleted
        case .objectionChosen: .objectionChosen
        case .quoteSent: .quoteSent
        case .quoteOpened: .quoteOpened
        case .visitPlanned: .visitPlanned
        case .visitCheckedIn: .visitCheckedIn
        case .competitorMentioned: .competitorMentioned
        case .intentMarked: .intentMarked
        case .knowledgeSearched: .knowledgeSearched
        case .traceCodeScanned: .traceCodeScanned
        case .messageSent: .messageSent
        case .dealWon: .dealWon
        case .dealLost: .dealLost
        }
        return SalesEvent(id: id ?? "\(customer)-\(type.name)-\(hours)", type: type, source: "test", time: at(hours), subject: customer, rep: rep, region: "east", payload: payload)
    }

    static func enter(_ flow: String, _ step: String, _ customer: String = "c1", at hours: Double) -> SalesEvent {
        event(.stepEntered(flow: flow, step: step), customer: customer, at: hours)
    }

    static let goodPhoto = Evidence(photo: .init(hash: "sha256:1", capturedAt: t0), location: .init(latitude: 31, longitude: 121, accuracyMeters: 20))

    static func act(_ flow: String, _ step: String, _ action: String, _ evidence: Evidence = .none, _ customer: String = "c1", at hours: Double, id: String? = nil) -> SalesEvent {
        event(.actionCompleted(flow: flow, step: step, action: action, evidence: evidence), customer: customer, at: hours, id: id)
    }

    static func fold(_ events: [SalesEvent], until hours: Double? = nil) -> (FlowProjection, [FlowOutput]) {
        var projection = FlowProjection(configuration: configuration)
        var outputs: [FlowOutput] = []
        for event in events { outputs += projection.apply(event) }
        if let hours { outputs += projection.advance(to: at(hours)) }
        return (projection, outputs)
    }

    static func alerts(_ outputs: [FlowOutput]) -> [Alert] {
        outputs.compactMap { if case .alert(let alert) = $0 { alert } else { nil } }
    }
}
