import Testing
import SalesPulseModel
@testable import SalesPulseProjections

/// Folding any split of an event sequence that keeps each customer's order (as Kafka
/// partitioning by key does) gives the same states and the same merged metrics.
@Suite struct PartitioningPropertyTests {
    typealias F = Fixtures

    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    static func randomEvents(seed: UInt64, count: Int) -> [SalesEvent] {
        var random = Generator(state: seed)
        let steps = [("academic", "visit"), ("academic", "review"), ("academic", "sign"), ("delivery", "receipt"), ("delivery", "invoice"), ("pipeline", "need_confirmation")]
        var events: [SalesEvent] = []
        for index in 0..<count {
            let customer = "c\(random.next(12))"
            let hours = Double(index) * 0.7
            let rep = "rep-\(1 + random.next(6))"
            let (flow, step) = steps[random.next(steps.count)]
            let payload: EventPayload = switch random.next(7) {
            case 0: .stepEntered(flow: flow, step: step)
            case 1: .actionCompleted(flow: "academic", step: "visit", action: "photo", evidence: random.next(2) == 0 ? F.goodPhoto : .none)
            case 2: .actionCompleted(flow: "academic", step: "visit", action: "notes", evidence: Evidence(text: "notes \(index)"))
            case 3: .fieldUpdated(field: ["latest_need", "competitor_dynamics", "core_need"][random.next(3)], value: .number(Double(index)), previous: .null)
            case 4: .leadCreated(channel: "c", contactMode: "m")
            case 5: .quoteSent(quote: "q", amount: 1, currency: "CNY")
            default: .messageSent(channel: "wechat")
            }
            events.append(F.event(payload, customer: customer, rep: rep, at: hours, id: "e\(index)"))
        }
        return events
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func anyKeyPreservingSplitGivesIdenticalState(_ seed: UInt64) {
        let events = Self.randomEvents(seed: seed, count: 400)
        let end = F.at(400)
        var single = FlowProjection(configuration: F.configuration)
        for event in events { single.apply(event) }
        single.advance(to: end)

        var random = Generator(state: seed * 31)
        let partitions = 1 + random.next(5)
        var assignment: [String: Int] = [:]
        var queues = Array(repeating: [SalesEvent](), count: partitions)
        for event in events {
            let partition = assignment[event.subject] ?? random.next(partitions)
            assignment[event.subject] = partition
            queues[partition].append(event)
        }
        var projections = Array(repeating: FlowProjection(configuration: F.configuration), count: partitions)
        // Interleave partitions randomly, as independent consumers would.
        var cursors = Array(repeating: 0, count: partitions)
        while cursors.indices.contains(where: { cursors[$0] < queues[$0].count }) {
            let partition = random.next(partitions)
            guard cursors[partition] < queues[partition].count else { continue }
            projections[partition].apply(queues[partition][cursors[partition]])
            cursors[partition] += 1
        }
        var merged = ShardedMap<CustomerState>()
        var report = MetricsReport()
        for index in projections.indices {
            projections[index].advance(to: end)
            for (id, state) in projections[index].customers { merged[id] = state }
            report = report + projections[index].metrics(now: end)
        }
        #expect(merged == single.customers)
        #expect(report == single.metrics(now: end))
    }
}
