/// The whole process configuration: flows with their steps, checklists and SLAs, freshness,
/// lead activation, inactivity, health weights and the organisation. Loaded from YAML by
/// ``ConfigurationLoader``; every field has a default except the flows.
///
/// A value type whose fields live in one shared, immutable box: the value is a single
/// reference, so passing it to a function costs nothing. Held inline (144 bytes), it was
/// copied to the stack at every call that took it, several times per event (BENCHMARKS.md,
/// session 27). Setting a field copies the fields into a new box; configurations are built
/// once and then only read.
public struct ProcessConfiguration: Sendable, Hashable {
    /// The fields, as a plain value.
    @usableFromInline
    struct Fields: Sendable, Hashable {
        @usableFromInline var flows: [FlowDefinition]
        @usableFromInline var freshness: FreshnessRule
        @usableFromInline var activation: ActivationRule
        @usableFromInline var inactivity: [InactivityRule]
        @usableFromInline var ineffectiveRepeats: Int
        @usableFromInline var healthWeights: HealthWeights
        @usableFromInline var allowedLatenessMilliseconds: Int64
        @usableFromInline var organisation: Organisation
        @usableFromInline var counters: [CounterDefinition] = []
        @usableFromInline var counterRules: [CounterRule] = []
        @usableFromInline var absenceRules: [AbsenceRule] = []
        @usableFromInline var sequenceRules: [SequenceRule] = []
    }

    /// The box holding the fields; never changed once made.
    @usableFromInline
    final class Box: Sendable {
        @usableFromInline let fields: Fields
        @usableFromInline init(_ fields: Fields) { self.fields = fields }
    }

    @usableFromInline var box: Box

    /// Changes the fields through a copy in a new box.
    @inlinable
    mutating func update(_ change: (inout Fields) -> Void) {
        var fields = box.fields
        change(&fields)
        box = Box(fields)
    }

    /// The flows, in declaration order (a customer may be in several at once).
    @inlinable public var flows: [FlowDefinition] {
        _read { yield box.fields.flows }
        set { update { $0.flows = newValue } }
    }
    /// Data freshness: key fields and horizon.
    @inlinable public var freshness: FreshnessRule {
        _read { yield box.fields.freshness }
        set { update { $0.freshness = newValue } }
    }
    /// Lead activation: fields required within a window after creation.
    @inlinable public var activation: ActivationRule {
        _read { yield box.fields.activation }
        set { update { $0.activation = newValue } }
    }
    /// Inactivity rules: a step with no communication for a while.
    @inlinable public var inactivity: [InactivityRule] {
        _read { yield box.fields.inactivity }
        set { update { $0.inactivity = newValue } }
    }
    /// How many repetitions of an action without the flow advancing make it ineffective (default 3).
    @inlinable public var ineffectiveRepeats: Int {
        _read { yield box.fields.ineffectiveRepeats }
        set { update { $0.ineffectiveRepeats = newValue } }
    }
    /// Process health index weights.
    @inlinable public var healthWeights: HealthWeights {
        _read { yield box.fields.healthWeights }
        set { update { $0.healthWeights = newValue } }
    }
    /// Events may arrive this late (event time behind the partition's watermark) and still be applied in order. Default 30s.
    @inlinable public var allowedLatenessMilliseconds: Int64 {
        _read { yield box.fields.allowedLatenessMilliseconds }
        set { update { $0.allowedLatenessMilliseconds = newValue } }
    }
    /// Who works for whom.
    @inlinable public var organisation: Organisation {
        _read { yield box.fields.organisation }
        set { update { $0.organisation = newValue } }
    }
    /// Sliding-window counters.
    @inlinable public var counters: [CounterDefinition] {
        _read { yield box.fields.counters }
        set { update { $0.counters = newValue } }
    }
    /// Threshold rules on counters.
    @inlinable public var counterRules: [CounterRule] {
        _read { yield box.fields.counterRules }
        set { update { $0.counterRules = newValue } }
    }
    /// Absence / deadline rules, per customer.
    @inlinable public var absenceRules: [AbsenceRule] {
        _read { yield box.fields.absenceRules }
        set { update { $0.absenceRules = newValue } }
    }
    /// N-in-a-row rules, per rep.
    @inlinable public var sequenceRules: [SequenceRule] {
        _read { yield box.fields.sequenceRules }
        set { update { $0.sequenceRules = newValue } }
    }

    /// Creates a configuration.
    public init(flows: [FlowDefinition], freshness: FreshnessRule = FreshnessRule(), activation: ActivationRule = ActivationRule(), inactivity: [InactivityRule] = [], ineffectiveRepeats: Int = 3, healthWeights: HealthWeights = HealthWeights(), allowedLatenessMilliseconds: Int64 = 30_000, organisation: Organisation = Organisation()) {
        box = Box(Fields(flows: flows, freshness: freshness, activation: activation, inactivity: inactivity, ineffectiveRepeats: ineffectiveRepeats,
                         healthWeights: healthWeights, allowedLatenessMilliseconds: allowedLatenessMilliseconds, organisation: organisation))
    }

    /// Equal fields (the same box, or boxes holding equal fields).
    public static func == (a: ProcessConfiguration, b: ProcessConfiguration) -> Bool { a.box === b.box || a.box.fields == b.box.fields }

    public func hash(into hasher: inout Hasher) { hasher.combine(box.fields) }

    /// The flow with this id. A linear scan: configurations hold a handful of flows, and
    /// measured on the fold benchmark it beats hashing the id (see BENCHMARKS.md).
    public func flow(named id: String) -> FlowDefinition? { flows.first { $0.id == id } }

    /// Lends the flow with this id to `body` where it lies and returns what `body` returns; nil
    /// when there is no such flow. ``flow(named:)`` returns a copy (its id, name and step list
    /// retained, then released), which the fold would pay on every flow event.
    @inlinable @inline(__always)
    public func withFlow<R>(named id: String, _ body: (borrowing FlowDefinition) -> R) -> R? {
        flows.withUnsafeBufferPointer { flows in
            for index in flows.indices where flows[index].id == id { return body(flows[index]) }
            return nil
        }
    }
}

/// A flow: an ordered list of steps (e.g. the seed's academic path for doctors).
public struct FlowDefinition: Sendable, Hashable {
    public var id: String
    public var name: String
    public var steps: [StepDefinition]

    public init(id: String, name: String? = nil, steps: [StepDefinition]) {
        self.id = id
        self.name = name ?? id
        self.steps = steps
    }

    /// The step with this id.
    public func step(named id: String) -> StepDefinition? { steps.first { $0.id == id } }

    // The lookups below read one property of a step where it lies: `step(named:)` returns a
    // copy of the whole definition (its names, checklist and reason lists, each retained and
    // released), which the fold would otherwise pay on every event.

    /// The SLA of the step with this id (nil: no such step, or no SLA).
    public func slaMilliseconds(ofStep id: String) -> Int64? { position(of: id).flatMap { steps[$0].slaMilliseconds } }

    /// The mandatory action ids of the step with this id (empty: no such step).
    public func mandatoryActionIDs(ofStep id: String) -> [String] { position(of: id).map { steps[$0].mandatoryActionIDs } ?? [] }

    /// The reason a stuck alert at the step with this id gives (nil: no such step, or no SLA).
    public func stuckReason(ofStep id: String) -> String? { position(of: id).flatMap { steps[$0].stuckReason } }

    /// The action `action` of the step `step`, if both exist.
    public func action(named action: String, inStep step: String) -> ActionDefinition? { position(of: step).flatMap { steps[$0].action(named: action) } }
    /// The position of a step, for ordering.
    public func position(of step: String) -> Int? { steps.firstIndex { $0.id == step } }
}

/// A step with its mandatory checklist, SLA and allowed blockage reasons.
public struct StepDefinition: Sendable, Hashable {
    public var id: String { didSet { stuckReason = Self.stuckReason(step: id, sla: slaMilliseconds) } }
    public var name: String
    /// Maximum dwell before the customer counts as stuck; nil means no SLA.
    public var slaMilliseconds: Int64? { didSet { stuckReason = Self.stuckReason(step: id, sla: slaMilliseconds) } }
    /// The reason a stuck alert at this step gives, e.g. `at visit for more than 72h` (nil: no
    /// SLA). Written once here, a function of the id and the SLA: every stuck alert shares this
    /// one string instead of building its own (BENCHMARKS.md, session 39).
    public private(set) var stuckReason: String?
    /// Actions of the checklist.
    public var actions: [ActionDefinition] { didSet { mandatoryActionIDs = actions.filter(\.mandatory).map(\.id) } }
    /// The ids of the mandatory actions, in declaration order: one array shared by every visit
    /// of the step (a visit records them at entry) instead of one built per entry.
    public private(set) var mandatoryActionIDs: [String]
    /// Allowed blockage reasons (the drop-down list).
    public var blockageReasons: [String]

    public init(id: String, name: String? = nil, slaMilliseconds: Int64? = nil, actions: [ActionDefinition] = [], blockageReasons: [String] = []) {
        self.id = id
        self.name = name ?? id
        self.slaMilliseconds = slaMilliseconds
        self.stuckReason = Self.stuckReason(step: id, sla: slaMilliseconds)
        self.actions = actions
        self.mandatoryActionIDs = actions.filter(\.mandatory).map(\.id)
        self.blockageReasons = blockageReasons
    }

    /// The mandatory actions.
    public var mandatoryActions: [ActionDefinition] { actions.filter(\.mandatory) }

    private static func stuckReason(step: String, sla: Int64?) -> String? {
        sla.map { "at \(step) for more than \(DurationText.text($0))" }
    }

    /// The action with this id.
    public func action(named id: String) -> ActionDefinition? { actions.first { $0.id == id } }
}

/// A checklist action and the evidence that must come with it.
public struct ActionDefinition: Sendable, Hashable {
    public var id: String
    public var name: String
    public var mandatory: Bool
    public var evidence: EvidenceRequirement

    public init(id: String, name: String? = nil, mandatory: Bool = true, evidence: EvidenceRequirement = EvidenceRequirement()) {
        self.id = id
        self.name = name ?? id
        self.mandatory = mandatory
        self.evidence = evidence
    }
}

/// What evidence an action requires.
public struct EvidenceRequirement: Sendable, Hashable {
    /// A photo with capture time; optionally taken no more than this long before the action.
    public var photo: Bool = false
    public var photoMaxAgeMilliseconds: Int64?
    /// A GPS fix no less accurate than this many metres.
    public var locationMaxAccuracyMeters: Double?
    /// An attachment with a version.
    public var attachment: Bool = false
    /// Text within these bounds (characters).
    public var textLength: ClosedRange<Int>?
    /// At least one SKU reference.
    public var skus: Bool = false

    public init(photo: Bool = false, photoMaxAgeMilliseconds: Int64? = nil, locationMaxAccuracyMeters: Double? = nil, attachment: Bool = false, textLength: ClosedRange<Int>? = nil, skus: Bool = false) {
        self.photo = photo
        self.photoMaxAgeMilliseconds = photoMaxAgeMilliseconds
        self.locationMaxAccuracyMeters = locationMaxAccuracyMeters
        self.attachment = attachment
        self.textLength = textLength
        self.skus = skus
    }
}

/// Data freshness: key fields must have been updated within the horizon.
public struct FreshnessRule: Sendable, Hashable {
    public var keyFields: [String]
    public var horizonMilliseconds: Int64
    public init(keyFields: [String] = [], horizonMilliseconds: Int64 = 72 * 3_600_000) {
        self.keyFields = keyFields
        self.horizonMilliseconds = horizonMilliseconds
    }
}

/// Lead activation: these fields within the window after `sales.lead.created`, else "to be activated".
public struct ActivationRule: Sendable, Hashable {
    public var requiredFields: [String] { didSet { writeReasons() } }
    public var windowMilliseconds: Int64 { didSet { writeReasons() } }
    /// What the reason of a lead-activation alert begins with, e.g.
    /// `lead not activated within 24h: missing `; the missing fields follow, comma-separated.
    public private(set) var missingReasonPrefix = ""
    /// The whole reason when every required field is missing, as for most leads that alert:
    /// written once here and shared by those alerts (BENCHMARKS.md, session 39).
    public private(set) var allMissingReason = ""

    public init(requiredFields: [String] = [], windowMilliseconds: Int64 = 24 * 3_600_000) {
        self.requiredFields = requiredFields
        self.windowMilliseconds = windowMilliseconds
        writeReasons()
    }

    private mutating func writeReasons() {
        missingReasonPrefix = "lead not activated within \(DurationText.text(windowMilliseconds)): missing "
        allMissingReason = missingReasonPrefix + requiredFields.joined(separator: ", ")
    }
}

/// Inactivity: a customer at this step with no communication event for this long.
public struct InactivityRule: Sendable, Hashable {
    public var id: String
    public var flow: String
    public var step: String { didSet { reason = Self.reason(step: step, after: afterMilliseconds) } }
    public var afterMilliseconds: Int64 { didSet { reason = Self.reason(step: step, after: afterMilliseconds) } }
    /// The reason its alerts give, e.g. `no communication at need_confirmation for more than
    /// 72h; supervisor to step in and review`: a function of the step and the duration, written
    /// once here and shared by every alert of the rule (BENCHMARKS.md, session 39).
    public private(set) var reason: String

    public init(id: String, flow: String, step: String, afterMilliseconds: Int64) {
        self.id = id
        self.flow = flow
        self.step = step
        self.afterMilliseconds = afterMilliseconds
        self.reason = Self.reason(step: step, after: afterMilliseconds)
    }

    private static func reason(step: String, after: Int64) -> String {
        "no communication at \(step) for more than \(DurationText.text(after)); supervisor to step in and review"
    }
}

/// Weights of the process health index; they need not sum to 1.
public struct HealthWeights: Sendable, Hashable {
    public var compliance: Double = 1
    public var freshness: Double = 1
    public var effectiveness: Double = 1
    public init(compliance: Double = 1, freshness: Double = 1, effectiveness: Double = 1) {
        self.compliance = compliance
        self.freshness = freshness
        self.effectiveness = effectiveness
    }
}

extension ProcessConfiguration {
    /// The SLA of a step, if it has one.
    public func slaMilliseconds(flow: String, step: String) -> Int64? {
        // Read in place, not through copies of the flow and step definitions (every event asks).
        flows.firstIndex { $0.id == flow }.flatMap { flows[$0].slaMilliseconds(ofStep: step) }
    }
}
