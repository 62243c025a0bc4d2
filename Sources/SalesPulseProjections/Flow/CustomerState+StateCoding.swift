import SalesPulseModel

// The positional checkpoint layout of a customer (see ``StateWriter``). Fields are written in
// declaration order; changing this layout changes the checkpoint format version.

extension CustomerState {
    /// Writes the state.
    public func write(to writer: inout StateWriter) {
        withUnsafePointer(to: self) { Self.write($0, to: &writer) }
    }

    /// Writes the state at `state` where it lies (the layout of ``write(to:)``): a state lent
    /// from an array's buffer or a map's entries to a method is copied first, a retain and
    /// release of every field; here each field is read through the address.
    public static func write(_ state: UnsafePointer<CustomerState>, to writer: inout StateWriter) {
        writer.write(state.pointee.customer)
        writer.write(state.pointee.rep)
        writer.write(state.pointee.region)
        writer.write(state.pointee.repNamedAt)
        writer.write(state.pointee.regionNamedAt)
        writer.write(state.pointee.leadCreatedAt)
        writer.write(state.pointee.firstContactAt)
        writer.write(state.pointee.lastEventAt)
        writer.write(state.pointee.lastCommunicationAt)
        writer.write(state.pointee.fields, byAddress: { $1.pointee.write(to: &$0) })
        state.pointee.activation.write(to: &writer)
        writer.write(state.pointee.flows, byAddress: { FlowState.write($1, to: &$0) })
        writer.write(state.pointee.actionExecutions)
        writer.write(state.pointee.ineffectiveExecutions)
        writer.write(state.pointee.quotesSentSinceOpened)
        state.pointee.quotes.write(to: &writer)
        writer.write(state.pointee.misplacedActions)
        writer.write(state.pointee.unplaced, byAddress: { $1.pointee.write(to: &$0) })
        writer.write(state.pointee.unplacedActions, byAddress: { $1.pointee.write(to: &$0) })
        writer.write(state.pointee.outcome) { $1.write(to: &$0) }
        writer.write(state.pointee.openAlerts, byAddress: { $1.pointee.write(to: &$0) })
        writer.write(state.pointee.reconciledAt)
        writer.write(state.pointee.nextTimerDue) { $0.write($1) }
    }

    /// Reads a state written by ``write(to:)``.
    public init(reading reader: inout StateReader) throws(StateReadError) {
        self.init(customer: try reader.readString())
        rep = try reader.readOptionalString()
        region = try reader.readOptionalString()
        repNamedAt = try reader.readInt64()
        regionNamedAt = try reader.readInt64()
        leadCreatedAt = try reader.readOptionalTime()
        firstContactAt = try reader.readOptionalTime()
        lastEventAt = try reader.readOptionalTime()
        lastCommunicationAt = try reader.readOptionalTime()
        fields = try reader.readMap { reader throws(StateReadError) in try FieldState(reading: &reader) }
        activation = try Activation(reading: &reader)
        flows = try reader.readMap { reader throws(StateReadError) in try FlowState(reading: &reader) }
        actionExecutions = try reader.readInt()
        ineffectiveExecutions = try reader.readInt()
        quotesSentSinceOpened = try reader.readInt()
        quotes = try QuoteTimeline(reading: &reader)
        misplacedActions = try reader.readInt()
        let unplacedCount = try reader.readCount()
        for _ in 0..<unplacedCount { unplaced.append(try UnplacedBlockage(reading: &reader)) }
        let unplacedActionCount = try reader.readCount()
        for _ in 0..<unplacedActionCount { unplacedActions.append(try UnplacedAction(reading: &reader)) }
        outcome = try reader.readOptional { reader throws(StateReadError) in try Outcome(reading: &reader) }
        openAlerts = try reader.readMap { reader throws(StateReadError) in try Alert(reading: &reader) }
        reconciledAt = try reader.readOptionalTime()
        nextTimerDue = try reader.readOptional { reader throws(StateReadError) in try reader.readInt64() }
    }
}

extension FieldState {
    func write(to writer: inout StateWriter) {
        value.write(to: &writer)
        writer.write(updatedAt)
        writer.write(updatedBy)
        writer.write(firstUpdatedAt)
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        self.init(value: try FieldValue(reading: &reader), updatedAt: try reader.readTime(), updatedBy: try reader.readOptionalString(), firstUpdatedAt: try reader.readInt64())
    }
}

extension FieldValue {
    func write(to writer: inout StateWriter) {
        switch self {
        case .null: writer.write(UInt64(0))
        case .string(let text): writer.write(UInt64(1)); writer.write(text)
        case .number(let number): writer.write(UInt64(2)); writer.write(number)
        case .bool(let flag): writer.write(UInt64(3)); writer.write(flag)
        }
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        switch try reader.readByte() {
        case 0: self = .null
        case 1: self = .string(try reader.readString())
        case 2: self = .number(try reader.readDouble())
        case 3: self = .bool(try reader.readBool())
        case let tag: throw StateReadError(position: reader.position - 1, "unknown field value tag \(tag)")
        }
    }
}

extension Activation {
    func write(to writer: inout StateWriter) {
        switch self {
        case .notALead: writer.write(UInt64(0))
        case .pending(let deadline): writer.write(UInt64(1)); writer.write(deadline)
        case .activated(let at): writer.write(UInt64(2)); writer.write(at)
        case .toBeActivated(let since): writer.write(UInt64(3)); writer.write(since)
        case .activatedLate(let at): writer.write(UInt64(4)); writer.write(at)
        }
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        switch try reader.readByte() {
        case 0: self = .notALead
        case 1: self = .pending(deadline: try reader.readTime())
        case 2: self = .activated(at: try reader.readTime())
        case 3: self = .toBeActivated(since: try reader.readTime())
        case 4: self = .activatedLate(at: try reader.readTime())
        case let tag: throw StateReadError(position: reader.position - 1, "unknown activation tag \(tag)")
        }
    }
}

extension Outcome {
    func write(to writer: inout StateWriter) {
        switch self {
        case .won(let at, let amount, let currency):
            writer.write(UInt64(0)); writer.write(at); writer.write(amount); writer.write(currency)
        case .lost(let at, let reason):
            writer.write(UInt64(1)); writer.write(at); writer.write(reason)
        }
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        switch try reader.readByte() {
        case 0: self = .won(at: try reader.readTime(), amount: try reader.readDouble(), currency: try reader.readString())
        case 1: self = .lost(at: try reader.readTime(), reason: try reader.readOptionalString())
        case let tag: throw StateReadError(position: reader.position - 1, "unknown outcome tag \(tag)")
        }
    }
}

extension FlowState {
    func write(to writer: inout StateWriter) {
        withUnsafePointer(to: self) { Self.write($0, to: &writer) }
    }

    /// Writes the flow state at `state` where it lies (see ``CustomerState/write(_:to:)``).
    static func write(_ state: UnsafePointer<FlowState>, to writer: inout StateWriter) {
        writer.write(state.pointee.flow)
        if state.pointee.current == nil {
            writer.write(false)
        } else {
            writer.write(true)
            withUnsafePointer(to: state.pointee.current!) { StepVisit.write($0, to: &writer) }
        }
        writer.write(state.pointee.history, byAddress: { StepVisit.write($1, to: &$0) })
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        self.init(flow: try reader.readString())
        current = try reader.readOptional { reader throws(StateReadError) in try StepVisit(reading: &reader) }
        let count = try reader.readCount()
        history.reserveCapacity(count)
        for _ in 0..<count { history.append(try StepVisit(reading: &reader)) }
    }
}

extension StepVisit {
    func write(to writer: inout StateWriter) {
        withUnsafePointer(to: self) { Self.write($0, to: &writer) }
    }

    /// Writes the visit at `visit` where it lies (see ``CustomerState/write(_:to:)``).
    static func write(_ visit: UnsafePointer<StepVisit>, to writer: inout StateWriter) {
        writer.write(visit.pointee.step)
        writer.write(visit.pointee.enteredAt)
        writer.write(visit.pointee.exitedAt)
        writer.write(visit.pointee.required)
        writer.write(visit.pointee.completed, byAddress: { $1.pointee.write(to: &$0) })
        writer.write(visit.pointee.invalidEvidence, byAddress: { $1.pointee.write(to: &$0) })
        writer.write(visit.pointee.executions) { $0.write($1) }
        writer.write(visit.pointee.blockage) { $1.write(to: &$0) }
        writer.write(visit.pointee.reentries, byAddress: { $0.write($1.pointee) })
        writer.write(visit.pointee.repeats, byAddress: { writer, repeated in
            writer.write(repeated.pointee.action)
            repeated.pointee.completion.write(to: &writer)
        })
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        let step = try reader.readString()
        let enteredAt = try reader.readTime()
        let exitedAt = try reader.readOptionalTime()
        self.init(step: step, enteredAt: enteredAt, required: try reader.readStrings())
        self.exitedAt = exitedAt
        completed = try reader.readMap { reader throws(StateReadError) in try CompletedAction(reading: &reader) }
        let problems = try reader.readCount()
        for _ in 0..<problems { invalidEvidence.append(try EvidenceProblem(reading: &reader)) }
        executions = try reader.readMap { reader throws(StateReadError) in try reader.readInt() }
        blockage = try reader.readOptional { reader throws(StateReadError) in try Blockage(reading: &reader) }
        let reentryCount = try reader.readCount()
        for _ in 0..<reentryCount { reentries.append(try reader.readTime()) }
        let repeatCount = try reader.readCount()
        for _ in 0..<repeatCount { repeats.append(RepeatedAction(action: try reader.readString(), completion: try CompletedAction(reading: &reader))) }
    }
}

extension CompletedAction {
    func write(to writer: inout StateWriter) {
        writer.write(at)
        writer.write(rep)
        writer.write(eventID)
        writer.write(evidence)
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        self.init(at: try reader.readTime(), rep: try reader.readOptionalString(), eventID: try reader.readString(), evidence: try reader.readStrings())
    }
}

extension EvidenceProblem {
    func write(to writer: inout StateWriter) {
        writer.write(action)
        writer.write(at)
        writer.write(eventID)
        writer.write(reasons)
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        self.init(action: try reader.readString(), at: try reader.readTime(), eventID: try reader.readString(), reasons: try reader.readStrings())
    }
}

extension Blockage {
    func write(to writer: inout StateWriter) {
        writer.write(reason)
        writer.write(at)
        writer.write(isConfiguredReason)
    }

    init(reading reader: inout StateReader) throws(StateReadError) {
        self.init(reason: try reader.readString(), at: try reader.readTime(), isConfiguredReason: try reader.readBool())
    }
}
