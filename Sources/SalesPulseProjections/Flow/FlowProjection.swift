import SalesPulseModel

/// The flow-state projection of one partition: customer states keyed by customer id.
/// A value type: fold events with ``apply(_:)``, advance timers with ``advance(to:)``.
public struct FlowProjection: Sendable, Hashable {
    /// The configuration the fold runs with.
    public let configuration: ProcessConfiguration
    /// Customer states by id.
    public private(set) var customers: [String: CustomerState]

    /// Creates an empty projection.
    public init(configuration: ProcessConfiguration, customers: [String: CustomerState] = [:]) {
        self.configuration = configuration
        self.customers = customers
    }

    /// Folds an event into its customer's state and reconciles that customer's timers at the
    /// event's time.
    @discardableResult
    public mutating func apply(_ event: SalesEvent) -> [FlowOutput] {
        // One hash lookup: the customer's state is folded in place through the subscript.
        Self.fold(event, into: &customers[event.subject, default: CustomerState(customer: event.subject)], configuration: configuration)
    }

    private static func fold(_ event: SalesEvent, into state: inout CustomerState, configuration: ProcessConfiguration) -> [FlowOutput] {
        var outputs = state.apply(event, configuration: configuration)
        let timers = state.reconcile(now: event.time, configuration: configuration)
        if !timers.isEmpty { outputs += timers }
        return outputs
    }

    /// Advances every customer's timers to `now` (the watermark).
    @discardableResult
    public mutating func advance(to now: EventTime) -> [FlowOutput] {
        var outputs: [FlowOutput] = []
        for index in customers.indices {
            outputs += customers.values[index].reconcile(now: now, configuration: configuration)
        }
        // Dictionary order differs between processes: order the outputs deterministically.
        return outputs.sorted { $0.orderingKey < $1.orderingKey }
    }

    /// The metrics of this projection's customers as of `now`.
    public func metrics(now: EventTime) -> MetricsReport {
        MetricsReport.compute(customers.values, configuration: configuration, now: now)
    }

    /// Replaces the customer states (restoring a checkpoint).
    public mutating func restore(_ customers: [String: CustomerState]) {
        self.customers = customers
    }
}
