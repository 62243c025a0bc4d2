/// A decoded, validated sales event: the CloudEvents envelope plus its typed payload.
public struct SalesEvent: Sendable, Hashable {
    /// CloudEvents `id`: unique per event, used for de-duplication.
    public var id: String
    /// CloudEvents `type`.
    public var type: SalesEventType
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
    /// The typed payload.
    public var payload: EventPayload

    /// Creates an event.
    @inlinable
    public init(id: String, type: SalesEventType, source: String, time: EventTime, subject: String, rep: String? = nil, region: String? = nil, payload: EventPayload) {
        self.id = id
        self.type = type
        self.source = source
        self.time = time
        self.subject = subject
        self.rep = rep
        self.region = region
        self.payload = payload
    }

    /// The customer id (alias of ``subject``).
    public var customer: String { subject }
}
