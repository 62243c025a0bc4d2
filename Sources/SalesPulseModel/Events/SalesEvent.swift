/// A decoded, validated sales event: the CloudEvents envelope plus its typed payload.
public struct SalesEvent: Sendable, Hashable {
    /// CloudEvents `id`: unique per event, used for de-duplication (kept in the value, see
    /// ``EventID``; ``id`` spells it).
    public var eventID: EventID
    /// CloudEvents `type`.
    public var type: SalesEventType
    /// The typed payload.
    public var payload: EventPayload
    /// CloudEvents `source`: the producing app or system.
    public var source: String
    /// CloudEvents `time`: when the action happened (event time).
    public var time: EventTime
    /// CloudEvents `subject`: the customer id; also the Kafka key.
    public var subject: String
    /// Extension `repid`: the sales rep who acted, if any.
    public var rep: String?
    /// Extension `region`.
    public var region: String?

    /// The customer id (alias of ``subject``).
    public var customer: String { subject }

    /// CloudEvents `id`, as written (made from ``eventID`` when read).
    public var id: String {
        get { eventID.string }
        set { eventID = EventID(newValue) }
    }
}

extension SalesEvent {
    /// Creates an event.
    ///
    /// It delegates to the implicit memberwise initialiser (whose labels differ in order because
    /// `payload` is declared second). Assigning the properties one by one in an explicit
    /// initialiser made the optimiser build the whole value in a temporary and copy it out,
    /// retaining and releasing every string once more per decoded event; the memberwise
    /// initialiser builds it in place.
    public init(id: String, type: SalesEventType, source: String, time: EventTime, subject: String, rep: String? = nil, region: String? = nil, payload: EventPayload) {
        self.init(eventID: EventID(id), type: type, payload: payload, source: source, time: time, subject: subject, rep: rep, region: region)
    }

    /// Creates an event whose id is given as it is kept.
    public init(eventID: EventID, type: SalesEventType, source: String, time: EventTime, subject: String, rep: String? = nil, region: String? = nil, payload: EventPayload) {
        self.init(eventID: eventID, type: type, payload: payload, source: source, time: time, subject: subject, rep: rep, region: region)
    }
}
