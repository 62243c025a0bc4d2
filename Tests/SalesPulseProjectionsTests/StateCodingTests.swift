import Foundation
import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// The positional checkpoint layout of customers (``StateWriter`` / ``StateReader``): every
/// field round-trips exactly (UTC offsets included), the bytes do not depend on dictionary
/// order, and damaged bytes throw instead of trapping.
@Suite struct StateCodingTests {
    static func time(_ millis: Int64, _ offset: Int16 = 480) -> EventTime { EventTime(epochMilliseconds: millis, offsetMinutes: offset) }

    /// A customer with every field set, every enum case used somewhere and awkward values.
    static func richCustomer() -> CustomerState {
        var customer = CustomerState(customer: "cust-ü-000042")
        customer.rep = "rep-0007"
        customer.region = nil
        customer.repNamedAt = -1_772_413_200_123
        customer.leadCreatedAt = time(1_772_413_200_123)
        customer.firstContactAt = time(-5, -330)
        customer.lastEventAt = time(.max / 4, 0)
        customer.lastCommunicationAt = nil
        customer.fields = [
            "latest_need": FieldState(value: .string("价格 \"quoted\""), updatedAt: time(1), updatedBy: "rep-1"),
            "budget": FieldState(value: .number(-0.5), updatedAt: time(2), updatedBy: nil, firstUpdatedAt: -7),
            "signed": FieldState(value: .bool(true), updatedAt: time(3), updatedBy: "rep-2"),
            "cleared": FieldState(value: .null, updatedAt: time(4, -720), updatedBy: nil),
        ]
        customer.activation = .activatedLate(at: time(99))
        var visit = StepVisit(step: "visit", enteredAt: time(10), required: ["photo", "notes"])
        visit.exitedAt = time(20)
        visit.completed = ["photo": CompletedAction(at: time(12), rep: nil, eventID: "e-1", evidence: ["photo abc", "gps 12 m"])]
        visit.invalidEvidence = [EvidenceProblem(action: "notes", at: time(13), eventID: "e-2", reasons: ["text too short", ""])]
        visit.executions = ["photo": 1, "notes": 3]
        visit.blockage = Blockage(reason: "doctor_abroad", at: time(11), isConfiguredReason: true)
        var current = StepVisit(step: "review", enteredAt: time(20), required: [])
        current.blockage = Blockage(reason: "other", at: time(21), isConfiguredReason: false)
        var academic = FlowState(flow: "academic")
        academic.history = [visit]
        academic.current = current
        customer.flows = ["academic": academic, "pipeline": FlowState(flow: "pipeline")]
        customer.actionExecutions = 7
        customer.ineffectiveExecutions = 2
        customer.quotesSentSinceOpened = 1
        customer.misplacedActions = 300
        customer.unplaced = [UnplacedBlockage(flow: "academic", step: "visit", blockage: Blockage(reason: "holiday", at: time(30), isConfiguredReason: false))]
        let evidence = Evidence(photo: .init(hash: "sha256:ab", capturedAt: time(39, -330)), location: .init(latitude: -33.9, longitude: 151.2, accuracyMeters: 0.5),
                                attachment: .init(name: "deck.pdf", version: "v2"), text: "价格", skus: [.init(sku: "SKU-1", quantity: 2.5), .init(sku: "", quantity: -1)])
        customer.unplacedActions = [
            UnplacedAction(flow: "academic", step: "visit", action: "photo", at: time(40), report: .reported(eventID: EventID("e-40"), rep: "rep-9", evidence: evidence)),
            UnplacedAction(flow: "academic", step: "visit", action: "notes", at: time(41), report: .reported(eventID: EventID(String(repeating: "x", count: 60)), rep: nil, evidence: Evidence())),
            UnplacedAction(flow: "academic", step: "review", action: "send", at: time(42), report: .completed(CompletedAction(at: time(42), rep: nil, eventID: "e-42", evidence: ["text (3 characters)"]))),
            UnplacedAction(flow: "academic", step: "review", action: "send", at: time(43), report: .rejected(EvidenceProblem(action: "send", at: time(43), eventID: "e-43", reasons: ["attachment missing"]))),
        ]
        customer.outcome = .won(at: time(500), amount: 12_345.67, currency: "CNY")
        var alert = Alert(rule: "step-sla", customer: customer.customer, rep: "rep-0007", organisation: Organisation(), region: "east", flow: "academic", step: "review", since: time(20), reason: "stuck > 72h")
        alert.supervisor = "sup-1"
        alert.departments = ["product-dept"]
        alert.severity = "critical"
        alert.evidence = ["cust-1", "cust-2"]
        alert.state = .resolved
        alert.resolvedAt = time(900)
        var open = Alert(rule: "lead-activation", customer: customer.customer, rep: nil, organisation: Organisation(), region: nil, since: time(30), reason: "")
        open.evidence = []
        customer.openAlerts = [alert.id: alert, open.id: open]
        customer.reconciledAt = time(1_000)
        customer.nextTimerDue = -1
        return customer
    }

    static func bytes(_ customers: [CustomerState]) -> [UInt8] {
        var writer = StateWriter()
        for customer in customers { customer.write(to: &writer) }
        return writer.bytes
    }

    static func read(_ bytes: [UInt8], count: Int) throws(StateReadError) -> [CustomerState] {
        var reader = StateReader(bytes)
        var customers: [CustomerState] = []
        for _ in 0..<count { customers.append(try CustomerState(reading: &reader)) }
        guard reader.isAtEnd else { throw StateReadError(position: reader.position, "trailing bytes") }
        return customers
    }

    /// JSON with sorted keys: compares every field, including the UTC offsets that
    /// `EventTime`'s `==` ignores.
    static func json(_ customers: [CustomerState]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(customers), as: UTF8.self)
    }

    @Test func everyFieldRoundTripsExactly() throws {
        var other = Self.richCustomer()
        other.activation = .pending(deadline: Self.time(5))
        other.outcome = .lost(at: Self.time(6), reason: nil)
        var third = CustomerState(customer: "c")
        third.activation = .toBeActivated(since: Self.time(7))
        third.outcome = .lost(at: Self.time(8), reason: "price")
        var fourth = CustomerState(customer: "d")
        fourth.activation = .activated(at: Self.time(9))
        let customers = [Self.richCustomer(), other, third, fourth, CustomerState(customer: "")]
        let read = try Self.read(Self.bytes(customers), count: customers.count)
        #expect(read == customers)
        #expect(try Self.json(read) == Self.json(customers))
    }

    /// Dictionaries are written sorted by key: the same state gives the same bytes whatever
    /// order its entries were inserted in.
    @Test func bytesDoNotDependOnInsertionOrder() {
        var forward = CustomerState(customer: "c")
        var backward = CustomerState(customer: "c")
        let keys = (0..<50).map { "field-\($0)" }
        for key in keys { forward.fields[key] = FieldState(value: .string(key), updatedAt: Self.time(1), updatedBy: nil) }
        for key in keys.reversed() { backward.fields[key] = FieldState(value: .string(key), updatedAt: Self.time(1), updatedBy: nil) }
        #expect(Self.bytes([forward]) == Self.bytes([backward]))
    }

    @Test func everyTruncationThrows() {
        let bytes = Self.bytes([Self.richCustomer()])
        for length in 0..<bytes.count {
            #expect(throws: StateReadError.self) { try Self.read(Array(bytes[..<length]), count: 1) }
        }
        #expect(throws: StateReadError.self) { try Self.read(bytes + [0], count: 1) }
    }

    /// A sweep of single-byte changes: an error or a different value, never a trap (huge
    /// counts, unknown enum tags and bad booleans are refused).
    @Test func damagedBytesNeverTrap() {
        let bytes = Self.bytes([Self.richCustomer()])
        var refused = 0
        for index in bytes.indices {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = bytes
                damaged[index] ^= mask
                if (try? Self.read(damaged, count: 1)) == nil { refused += 1 }
            }
        }
        #expect(refused > 0)
        var reader = StateReader([0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(throws: StateReadError.self) { try reader.readString() }
    }
}
