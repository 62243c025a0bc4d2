import ArgumentParser
import Foundation
import SalesPulseModel
import SalesPulseKafka
import SalesPulseProjections
import SalesPulseRuntime
import SalesPulseServer
import Synchronization

/// The memory stage: resident memory per customer with flow state, and per pending absence.
extension BenchCommand {
    /// Resident memory of flow state for 1,000,000 customers: each customer gets a lead, a step
    /// entry, an action with evidence and a field update (4,000,000 events), folded in batches.
    func memoryStage(_ configuration: ProcessConfiguration) {
        let customers = 1_000_000
        let decoder = EventDecoder()
        let reference = EventTime(epochMilliseconds: 1_900_000_000_000)
        var projection = FlowProjection(configuration: configuration)
        let before = Self.residentBytes()
        let base: Int64 = 1_772_413_200_000
        for round in 0..<4 {
            for index in 0..<customers {
                let time = Self.memoryEventTime(round: round, index: index, base: base)
                let data: String
                let type: String
                switch round {
                case 0: (type, data) = ("sales.lead.created", #"{"channel":"wechat","contactMode":"visit"}"#)
                case 1: (type, data) = ("sales.step.entered", #"{"flow":"academic","step":"dept_visit"}"#)
                case 2: (type, data) = ("sales.action.completed", #"{"flow":"academic","step":"dept_visit","action":"photo_badge","evidence":{"photo":{"hash":"sha256:9f86d081884c7d65","capturedAt":"\#(time)"},"location":{"lat":31.2,"lon":121.4,"accuracyM":18}}}"#)
                default: (type, data) = ("sales.field.updated", #"{"field":"latest_need","value":"spine","previous":null}"#)
                }
                let json = Self.memoryEvent(round: round, index: index, type: type, data: data, base: base)
                if let event = try? decoder.decode(json, referenceTime: reference) { projection.apply(event) }
            }
            Console.status("memory: round \(round + 1)/4 folded")
        }
        let after = Self.residentBytes()
        let perCustomer = Double(after - before) / Double(projection.customers.count)
        Console.line("memory: \(projection.customers.count) customers with flow state, 4 events each: +\(String(format: "%.0f", Double(after - before) / 1_048_576)) MiB resident (\(String(format: "%.0f", perCustomer)) bytes per customer; a customer's state record is \(MemoryLayout<CustomerState>.stride) bytes inline, a flow state \(MemoryLayout<FlowState>.stride), a step visit \(MemoryLayout<StepVisit>.stride))")
        keyedRuleMemory(customers: customers, configuration: configuration, decoder: decoder, reference: reference, base: base)
        withExtendedLifetime(projection) {}
    }

    /// The keyed rules' share: one message per customer arms the configuration's absence rules
    /// that a message triggers (the shipped one: no interaction for 90 days), so every customer
    /// holds a pending entry, as in a live book of accounts.
    private func keyedRuleMemory(customers: Int, configuration: ProcessConfiguration, decoder: EventDecoder, reference: EventTime, base: Int64) {
        var rules = KeyedRuleProjection()
        let before = Self.residentBytes()
        for index in 0..<customers {
            let json = Self.memoryEvent(round: 4, index: index, type: "sales.message.sent", data: #"{"channel":"wechat"}"#, base: base)
            if let event = try? decoder.decode(json, referenceTime: reference) { _ = rules.apply(event, outputs: [], configuration: configuration) }
        }
        let after = Self.residentBytes()
        let entries = rules.pending.values.reduce(0) { $0 + $1.count }
        guard entries > 0 else {
            Console.line("memory: keyed rules: no absence rule of the configuration is armed by a message; nothing pending to measure")
            return
        }
        Console.line("memory: keyed rules, \(entries) pending absences (one message per customer): +\(String(format: "%.0f", Double(after - before) / 1_048_576)) MiB resident (\(String(format: "%.0f", Double(after - before) / Double(entries))) bytes per entry; an entry is \(MemoryLayout<KeyedRuleProjection.Pending>.stride) bytes inline, plus its timer)")
        withExtendedLifetime(rules) {}
    }

    /// The time of the memory stage's event for customer `index` in `round` (an hour per round).
    static func memoryEventTime(round: Int, index: Int, base: Int64) -> String {
        EventTime(epochMilliseconds: base + Int64(round) * 3_600_000 + Int64(index)).rfc3339UTC
    }

    /// The memory stage's event of `type` with payload `data` for customer `index` in `round`.
    static func memoryEvent(round: Int, index: Int, type: String, data: String, base: Int64) -> String {
        let customer = "cust-\(SampleEvents.pad(index, 7))"
        let time = memoryEventTime(round: round, index: index, base: base)
        return #"{"specversion":"1.0","id":"m-\#(round)-\#(index)","source":"bench","type":"\#(type)","time":"\#(time)","subject":"\#(customer)","repid":"rep-\#(SampleEvents.pad(index % 320 + 1, 4))","region":"east","data":\#(data)}"#
    }

    /// This process's resident memory, in bytes (`/proc/self/statm`).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
