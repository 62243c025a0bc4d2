import Foundation
import SalesPulseKafka
import SalesPulseModel

/// A simulated sales organisation producing realistic events: reps working customers through
/// the configured flows, with the mistakes real teams make — skipped evidence, imprecise GPS,
/// stale fields, bursts of "price too high", stuck deals, late and duplicate events, and a
/// device sending naive timestamps (the seed's 1970 fault).
///
/// Event time runs on a simulated clock: it starts `history` before now and runs `speedup`
/// times faster until it catches up with the wall clock, then in real time — so multi-day
/// rules (72h stuck, 24h activation) show within minutes.
final class Simulator: @unchecked Sendable {
    // @unchecked Sendable: all mutable state is touched only by the simulator's own thread.
    struct Options {
        var customers = 2_000
        var rate = 2_000
        var historyMilliseconds: Int64 = 4 * 86_400_000
        var speedup: Double = 3_600
        var seed: UInt64 = 42
    }

    enum Behaviour { case diligent, sloppy, stuck }

    struct Customer {
        let id: String
        let rep: String
        let region: String
        let flow: FlowDefinition
        let behaviour: Behaviour
        var leadCreated = false
        var stepIndex = -1
        var actionIndex = 0
        var stuckAt: Int
        var done = false
    }

    private let configuration: ProcessConfiguration
    private let producer: KafkaProducer
    private let topic: String
    private let options: Options
    private var random: UInt64
    private var customers: [Customer] = []
    private var sequence = 0
    private var lastEvent: [UInt8]?
    private var lastKey: String?
    private let startWall = Date()
    private let stopFlag = StopSignal()
    private(set) var produced = 0

    init(configuration: ProcessConfiguration, producer: KafkaProducer, topic: String, options: Options) {
        self.configuration = configuration
        self.producer = producer
        self.topic = topic
        self.options = options
        self.random = options.seed
        let reps = configuration.organisation.allReps.isEmpty ? (1...50).map { "rep-\($0)" } : configuration.organisation.allReps
        for index in 0..<options.customers {
            let rep = reps[index % reps.count]
            let region = configuration.organisation.placement(of: rep)?.region ?? "east"
            let flow = configuration.flows[index % configuration.flows.count]
            let roll = next(100)
            let behaviour: Behaviour = roll < 70 ? .diligent : (roll < 90 ? .sloppy : .stuck)
            customers.append(Customer(id: "cust-\(Self.pad(index, 6))", rep: rep, region: region, flow: flow, behaviour: behaviour, stuckAt: next(max(1, flow.steps.count))))
        }
    }

    /// The simulated event time now.
    var simulatedNow: Int64 {
        let wall = Int64(Date().timeIntervalSince1970 * 1000)
        let elapsed = Date().timeIntervalSince(startWall) * 1000
        let simulated = wall - options.historyMilliseconds + Int64(elapsed * options.speedup)
        return min(simulated, wall - 1_000)
    }

    func stop() { stopFlag.stop() }

    /// Produces events at the configured rate until stopped. Runs on its own thread.
    func run() {
        let perTick = max(1, options.rate / 100)
        var tick = 0
        let start = ContinuousClock.now
        while !stopFlag.isStopped {
            for _ in 0..<perTick { step() }
            tick += 1
            let due = start + .milliseconds(tick * 10)
            let now = ContinuousClock.now
            if due > now { Thread.sleep(forTimeInterval: Double((due - now).components.attoseconds) / 1e18) }
        }
    }

    private func step() {
        let index = next(customers.count)
        var customer = customers[index]
        defer { customers[index] = customer }
        let now = simulatedNow

        // Mistakes real systems make.
        let mistake = next(1000)
        if mistake < 10, let lastEvent, let lastKey { send(lastEvent, key: lastKey); return } // duplicate delivery
        if mistake < 12 { sendNaive(customer); return } // a device with no timezone offset
        if mistake < 13 { send(Array(#"{"specversion":"1.0","id":"broken"#.utf8), key: customer.id); return } // truncated JSON

        let late = mistake < 33 ? Int64(20_000) : 0
        let time = now - late - Int64(next(500))
        if !customer.leadCreated {
            customer.leadCreated = true
            emit(customer, "sales.lead.created", time, #"{"channel":"\#(["wechat", "store", "referral", "exhibition"][next(4)])","contactMode":"\#(["visit", "call", "message"][next(3)])"}"#)
            return
        }
        // Lead activation fields: diligent reps fill them quickly, sloppy ones often forget one.
        if customer.stepIndex < 0 {
            for field in configuration.activation.requiredFields where !(customer.behaviour == .sloppy && next(3) == 0) {
                emit(customer, "sales.field.updated", time, #"{"field":"\#(field)","value":"\#(field)-value","previous":null}"#)
            }
            customer.stepIndex = 0
            emit(customer, "sales.step.entered", time, #"{"flow":"\#(customer.flow.id)","step":"\#(customer.flow.steps[0].id)"}"#)
            return
        }
        switch next(20) {
        case 0, 1:
            // "Price too high" comes in bursts: some minutes many reps hear it.
            let burst = (now / 600_000) % 6 == 0
            let objection = burst || next(3) == 0 ? "price_too_high" : ["need_to_think", "budget_frozen", "competitor_cheaper"][next(3)]
            emit(customer, "sales.objection.chosen", time, #"{"objection":"\#(objection)"}"#)
            return
        case 2:
            if customer.behaviour != .sloppy || next(4) == 0 {
                let field = configuration.freshness.keyFields.isEmpty ? "latest_need" : configuration.freshness.keyFields[next(configuration.freshness.keyFields.count)]
                emit(customer, "sales.field.updated", time, #"{"field":"\#(field)","value":"update \#(sequence)","previous":"older"}"#)
            }
            return
        case 3:
            emit(customer, "sales.message.sent", time, #"{"channel":"\#(["wechat", "sms", "email"][next(3)])"}"#)
            return
        case 4:
            emit(customer, "sales.competitor.mentioned", time, #"{"competitor":"\#(["acme", "medix", "orthoplus"][next(3)])"}"#)
            return
        case 5:
            emit(customer, "sales.knowledge.searched", time, #"{"query":"\#(["spinal scope blur", "pricing sheet", "sterilisation"][next(3)])","hit":\#(next(3) != 0)}"#)
            return
        case 6:
            emit(customer, "sales.intent.marked", time, #"{"level":"\#(["low", "medium", "high"][next(3)])"}"#)
            return
        default:
            break
        }
        guard !customer.done else {
            emit(customer, "sales.message.sent", time, #"{"channel":"wechat"}"#)
            return
        }
        if customer.behaviour == .stuck && customer.stepIndex >= customer.stuckAt {
            if next(4) == 0 { emit(customer, "sales.step.blocked", time, #"{"flow":"\#(customer.flow.id)","step":"\#(customer.flow.steps[customer.stepIndex].id)","reason":"\#(customer.flow.steps[customer.stepIndex].blockageReasons.first ?? "waiting")"}"#) }
            return
        }
        let step = customer.flow.steps[customer.stepIndex]
        if customer.actionIndex < step.actions.count {
            let action = step.actions[customer.actionIndex]
            customer.actionIndex += 1
            if customer.behaviour == .sloppy && next(3) == 0 { return } // skipped: the flow will advance without it
            emit(customer, "sales.action.completed", time, actionData(customer.flow.id, step.id, action, time: time, sloppy: customer.behaviour == .sloppy))
            return
        }
        if customer.stepIndex + 1 < customer.flow.steps.count {
            customer.stepIndex += 1
            customer.actionIndex = 0
            emit(customer, "sales.step.entered", time, #"{"flow":"\#(customer.flow.id)","step":"\#(customer.flow.steps[customer.stepIndex].id)"}"#)
        } else {
            customer.done = true
            if next(4) == 0 {
                emit(customer, "sales.deal.lost", time, #"{"reason":"budget"}"#)
            } else {
                emit(customer, "sales.deal.won", time, #"{"amount":\#(10_000 + next(90_000)),"currency":"CNY"}"#)
            }
        }
    }

    private func actionData(_ flow: String, _ step: String, _ action: ActionDefinition, time: Int64, sloppy: Bool) -> String {
        var evidence: [String] = []
        let requirement = action.evidence
        if requirement.photo && !(sloppy && next(4) == 0) {
            evidence.append(#""photo":{"hash":"sha256:\#(String(next(1 << 30), radix: 16))","capturedAt":"\#(EventTime(epochMilliseconds: time - 60_000).rfc3339UTC)"}"#)
        }
        if requirement.locationMaxAccuracyMeters != nil {
            let accuracy = sloppy && next(3) == 0 ? 120 : 5 + next(40)
            evidence.append(#""location":{"lat":31.\#(next(9999)),"lon":121.\#(next(9999)),"accuracyM":\#(accuracy)}"#)
        }
        if requirement.attachment { evidence.append(#""attachment":{"name":"\#(action.id).pdf","version":"v\#(1 + next(3))"}"#) }
        if let bounds = requirement.textLength {
            let length = sloppy && next(3) == 0 ? max(0, bounds.lowerBound - 2) : min(bounds.upperBound, bounds.lowerBound + 20)
            evidence.append(#""text":"\#(String(repeating: "x", count: length))""#)
        }
        if requirement.skus { evidence.append(#""skus":[{"sku":"PS-\#(next(90) + 10)","quantity":\#(1 + next(40))}]"#) }
        return #"{"flow":"\#(flow)","step":"\#(step)","action":"\#(action.id)","evidence":{\#(evidence.joined(separator: ","))}}"#
    }

    private func emit(_ customer: Customer, _ type: String, _ time: Int64, _ data: String) {
        sequence += 1
        let stamp = localTime(time)
        let json = #"{"specversion":"1.0","id":"sim-\#(options.seed)-\#(sequence)","source":"rep-app/android","type":"\#(type)","time":"\#(stamp)","subject":"\#(customer.id)","repid":"\#(customer.rep)","region":"\#(customer.region)","data":\#(data)}"#
        let bytes = Array(json.utf8)
        lastEvent = bytes
        lastKey = customer.id
        send(bytes, key: customer.id)
    }

    private func sendNaive(_ customer: Customer) {
        sequence += 1
        let stamp = localTime(simulatedNow).prefix(19) // no offset: the faulty device
        let json = #"{"specversion":"1.0","id":"sim-\#(options.seed)-\#(sequence)","source":"rep-app/android-14-utc","type":"sales.message.sent","time":"\#(stamp)","subject":"\#(customer.id)","repid":"\#(customer.rep)","data":{"channel":"wechat"}}"#
        send(Array(json.utf8), key: customer.id)
    }

    private func send(_ bytes: [UInt8], key: String) {
        try? producer.enqueue(KafkaOutgoingMessage(topic: topic, key: Array(key.utf8), value: bytes))
        produced += 1
    }

    /// RFC 3339 in +08:00, as the reps' phones in the seed would write it.
    private func localTime(_ milliseconds: Int64) -> String {
        let shifted = EventTime(epochMilliseconds: milliseconds + 8 * 3_600_000).rfc3339UTC
        return String(shifted.dropLast()) + "+08:00"
    }

    private func next(_ bound: Int) -> Int {
        random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((random >> 33) % UInt64(max(1, bound)))
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

/// A thread-safe stop flag.
final class StopSignal: @unchecked Sendable {
    // @unchecked Sendable: `stopped` is guarded by `lock`.
    private var stopped = false
    private let lock = NSLock()
    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
    func stop() { lock.lock(); stopped = true; lock.unlock() }
}
