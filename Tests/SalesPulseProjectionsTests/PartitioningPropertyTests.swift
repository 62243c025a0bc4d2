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
        // The totals and the open-alert count read in place, shard by shard, are the full
        // report's and the states' own.
        let shards = 0..<ShardedMap<CustomerState>.shardCount
        #expect(shards.reduce(MetricSums()) { $0 + single.overallMetrics(now: end, shard: $1) } == single.metrics(now: end).overall)
        #expect(shards.reduce(0) { $0 + single.openAlertCount(shard: $1) } == single.customers.values.reduce(0) { $0 + $1.openAlerts.count })
    }

    /// Outputs put in order by their ordering key: non-decreasing keys, and outputs with equal
    /// keys in the order they came (the fold's outputs, shuffled, with repeats).
    @Test(arguments: [21, 22, 23] as [UInt64])
    func outputsSortByTheirOrderingKeyKeepingTiesInOrder(_ seed: UInt64) {
        var (_, outputs) = F.fold(Self.randomEvents(seed: seed, count: 300), until: 300)
        var random = Generator(state: seed)
        outputs += (0..<40).map { _ in outputs[random.next(outputs.count)] }
        let shuffled = outputs.indices.map { ($0, random.next(1_000_000)) }.sorted { $0.1 < $1.1 }.map { outputs[$0.0] }
        let sorted = shuffled.sortedByOrderingKey()
        #expect(sorted.count == shuffled.count)
        #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.orderingKey <= $1.orderingKey })
        for key in Set(shuffled.map(\.orderingKey)) {
            #expect(sorted.filter { $0.orderingKey == key } == shuffled.filter { $0.orderingKey == key })
        }
    }

    /// Ticks (the watermark advancing timers between batches) may come after any event: a
    /// replay, a restart or another instance batches differently. Wherever they come, the
    /// states and every alert emitted — fired or resolved, with the rep and region it carries
    /// — are those of a fold with no tick until the end.
    @Test(arguments: [11, 12, 13, 14, 15, 16, 17, 18] as [UInt64])
    func ticksAnywhereBetweenEventsChangeNothing(_ seed: UInt64) {
        let events = Self.randomEvents(seed: seed, count: 400)
        let end = F.at(400)
        var untouched = FlowProjection(configuration: F.configuration)
        var expected: [FlowOutput] = []
        for event in events { expected += untouched.apply(event) }
        expected += untouched.advance(to: end)

        var random = Generator(state: seed * 7)
        var ticked = FlowProjection(configuration: F.configuration)
        var outputs: [FlowOutput] = []
        var watermark = events[0].time
        for event in events {
            outputs += ticked.apply(event)
            watermark = max(watermark, event.time)
            if random.next(4) == 0 { outputs += ticked.advance(to: watermark) }
        }
        outputs += ticked.advance(to: end)
        #expect(ticked.customers == untouched.customers)
        let alerts = { (outputs: [FlowOutput]) in outputs.compactMap { output -> Alert? in if case .alert(let alert) = output { alert } else { nil } } }
        let key = { (alert: Alert) in "\(alert.id)|\(alert.state.rawValue)" }
        #expect(alerts(outputs).sorted { key($0) < key($1) } == alerts(expected).sorted { key($0) < key($1) })
        #expect(alerts(expected).count > 10)
    }
}
