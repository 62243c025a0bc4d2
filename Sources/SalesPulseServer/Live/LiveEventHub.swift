import Foundation
import SalesPulseModel
import SalesPulseProjections
import Synchronization

/// The live stream behind `GET /v1/stream`: numbered events (alerts, step changes, status)
/// kept in a bounded ring for `Last-Event-ID` resumption, fanned out to subscribers through
/// bounded async streams (a slow client loses its oldest buffered events, never blocks ingestion).
public final class LiveEventHub: Sendable {
    /// One server-sent event.
    public struct Event: Sendable, Equatable {
        public var id: Int
        /// `alerts`, `steps` or `status`.
        public var topic: String
        /// Region of the customer, for filtering (nil for global events).
        public var region: String?
        /// What the event carries, written as JSON when read (``data``).
        var payload: Payload

        /// JSON payload.
        public var data: String { payload.json }

        /// The SSE wire form.
        public var wireText: String { "id: \(id)\nevent: \(topic)\ndata: \(data)\n\n" }
    }

    /// An event's content. Alerts and step changes are kept as they are and written as JSON
    /// only when a subscriber reads them: the runtime publishes every output of a batch here
    /// on its consume thread, and on a backlog that fires alerts, writing each one's JSON up
    /// front cost 7 % of the process's CPU with nobody subscribed.
    enum Payload: Sendable, Equatable {
        case json(String)
        case alert(Alert)
        case step(customer: String, flow: String, from: String?, to: String, at: EventTime)

        var json: String {
            switch self {
            case .json(let text): text
            case .alert(let alert): LiveEventHub.json(alert)
            case .step(let customer, let flow, let from, let to, let at): LiveEventHub.stepJSON(customer: customer, flow: flow, from: from, to: to, at: at)
            }
        }
    }

    struct State {
        var nextID = 1
        var ring: BoundedHistory<Event>
        var subscribers: [Int: Subscriber] = [:]
        var nextSubscriber = 0
        var resolved: BoundedHistory<Alert>
        var closed = false

        /// Numbers an event, keeps it in the ring and hands it to every subscriber.
        mutating func publish(topic: String, region: String?, payload: Payload) {
            let event = Event(id: nextID, topic: topic, region: region, payload: payload)
            nextID += 1
            ring.append(event)
            for subscriber in subscribers.values where subscriber.wants(topic) { subscriber.continuation.yield(event) }
        }
    }

    /// A connected client: where its events go, and the topics it asked for (nil: all).
    struct Subscriber {
        var continuation: AsyncStream<Event>.Continuation
        var topics: Set<String>?

        func wants(_ topic: String) -> Bool { topics?.contains(topic) ?? true }
    }

    private let state: Mutex<State>

    /// Creates a hub keeping the last `capacity` events for resumption (and as many resolved
    /// alerts).
    public init(capacity: Int = 10_000) {
        state = Mutex(State(ring: BoundedHistory(capacity: max(1, capacity)), resolved: BoundedHistory(capacity: max(1, capacity))))
    }

    /// Publishes a projection's outputs (alerts and step changes).
    /// All under one hold of the lock: the runtime publishes every batch's outputs here on its
    /// consume thread, and taking the lock for each output added to the time the next batch
    /// waited.
    public func publish(_ outputs: [FlowOutput]) {
        state.withLock { state in
            for output in outputs {
                switch output {
                case .alert(let alert):
                    state.publish(topic: "alerts", region: alert.region, payload: .alert(alert))
                    if alert.state == .resolved { state.resolved.append(alert) }
                case .stepChanged(let customer, let flow, let from, let to, let at):
                    state.publish(topic: "steps", region: nil, payload: .step(customer: customer, flow: flow, from: from, to: to, at: at))
                default:
                    break
                }
            }
        }
    }

    /// Publishes one event.
    public func publish(topic: String, region: String?, data: String) {
        state.withLock { $0.publish(topic: topic, region: region, payload: .json(data)) }
    }

    /// Resolved alerts kept in memory (most recent last).
    public var resolvedAlerts: [Alert] { state.withLock { $0.resolved.elements } }

    /// Subscribes to `topics` (nil: every topic): events after `lastEventID` still in the ring
    /// first, then live ones.
    public func subscribe(after lastEventID: Int?, topics: Set<String>? = nil) -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(4_096))
        let subscriber = Subscriber(continuation: continuation, topics: topics)
        let id = state.withLock { state -> Int in
            if state.closed { continuation.finish(); return -1 }
            if let lastEventID { for event in state.ring.elements where event.id > lastEventID && subscriber.wants(event.topic) { continuation.yield(event) } }
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = subscriber
            return id
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) } }
        return stream
    }

    /// Ends every subscriber's stream (their SSE responses complete), e.g. at shutdown, so that
    /// graceful shutdown does not wait forever on open event streams. Later subscribers are
    /// finished at once.
    public func finishAll() {
        let continuations = state.withLock { state in
            state.closed = true
            defer { state.subscribers.removeAll() }
            return state.subscribers.values.map(\.continuation)
        }
        for continuation in continuations { continuation.finish() }
    }

    /// Number of connected subscribers.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Number of connected subscribers that asked for `topic`.
    public func subscriberCount(topic: String) -> Int { state.withLock { $0.subscribers.values.count { $0.wants(topic) } } }

    /// An alert as the stream sends it: ``AlertView``'s members, sorted, written directly (the
    /// bytes `JSONEncoder` wrote with `.sortedKeys`, without its cost per alert).
    static func json(_ alert: Alert) -> String { String(decoding: jsonBytes(alert), as: UTF8.self) }

    /// ``json(_:)``'s UTF-8 bytes.
    static func jsonBytes(_ alert: Alert) -> [UInt8] {
        var view = JSONObjectWriter()
        alert.writeMembers(into: &view, idKey: "id", departmentsWhenEmpty: true)
        return view.finish()
    }

    /// A step change as the stream sends it (`from` is empty for a customer's first step).
    static func stepJSON(customer: String, flow: String, from: String?, to: String, at: EventTime) -> String {
        var change = JSONObjectWriter(capacity: 160)
        change.field("at", at.rfc3339UTC)
        change.field("customer", customer)
        change.field("flow", flow)
        change.field("from", from ?? "")
        change.field("to", to)
        return String(decoding: change.finish(), as: UTF8.self)
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}
