import Foundation
import Logging
import Testing
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// Counters through repartition topics: with two instances sharing the input partitions, every
/// counter group is folded at exactly one instance and the groups together equal a fold of all
/// events in one place; derived attributes (time to sign) travel with the forwarded records.
@Suite(.serialized) struct RepartitionTests {
    typealias H = RuntimeHarness
    static let configuration = SeedRuleCatalogueTests.configuration
    static let t0: Int64 = 1_772_413_200_000
    static let codes = ["price_too_high", "no_budget", "competitor_cheaper", "timing", "need_approval"]

    /// Objections from 17 reps on 120 customers (spread over every input partition), and won
    /// deals in three regions.
    static func events() -> [(key: String, value: String)] {
        var events: [(String, String)] = []
        for index in 0..<300 {
            let customer = "cust-\(index % 120)"
            let millis = t0 + Int64(index) * 7_000
            let (type, data): (String, String) = index % 10 == 9
                ? ("sales.deal.won", #"{"amount":1000,"currency":"CNY"}"#)
                : ("sales.objection.chosen", #"{"objection":"\#(codes[index % codes.count])"}"#)
            let region = ["east", "north", "south"][index % 3]
            events.append((customer, #"{"specversion":"1.0","id":"r-\#(index)","source":"test","type":"\#(type)","time":"\#(H.stamp(millis))","subject":"\#(customer)","repid":"rep-\#(index % 17)","region":"\#(region)","data":\#(data)}"#))
        }
        return events
    }

    /// The counters of all events folded in one partition projector (no repartitioning).
    static func reference(_ events: [(key: String, value: String)]) -> [String: CounterState] {
        var projector = PartitionProjector(topic: "reference", partition: 0, configuration: configuration)
        let decoder = EventDecoder()
        for (offset, event) in events.enumerated() {
            _ = Array(event.value.utf8).withUnsafeBytes { value in
                projector.process(value: value, key: nil, offset: Int64(offset), recordTime: EventTime(epochMilliseconds: Int64.max / 4), decoder: decoder)
            }
        }
        return projector.counters.states
    }

    /// A runtime on the shipped configuration in replay mode (events far in the future accepted).
    static func runtime(bootstrap: String, directory: String, group: String = "rp", repartition: Bool = true) throws -> ProjectorRuntime {
        try H.makeRuntime(bootstrap: bootstrap, stateDirectory: directory, group: group, process: configuration) { runtime in
            runtime.validation.maxFutureSkewMilliseconds = Int64.max / 4
            runtime.repartitionCounters = repartition
        }
    }

    @Test func twoInstancesFoldEachCounterGroupOnceAndTogetherEqualOneFold() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 4)
        let events = Self.events()
        try H.publish(events, to: cluster.bootstrapServers)
        let directory = H.temporaryDirectory() // shared state location
        let a = try Self.runtime(bootstrap: cluster.bootstrapServers, directory: directory)
        let b = try Self.runtime(bootstrap: cluster.bootstrapServers, directory: directory)
        let runningA = Task { try await a.run() }
        let runningB = Task { try await b.run() }
        // One status of each instance per check: statuses taken at different moments of a
        // rebalance counted a partition moving from one instance to the other at both, which
        // could settle the check with inputs still unfolded (seen under a loaded full test run).
        func settled() -> Bool {
            let (statusA, statusB) = (a.status(), b.status())
            let statistics = statusA.statistics + statusB.statistics
            let forwarded = a.repartitionProgress.forwarded + b.repartitionProgress.forwarded
            let owned = Set(statusA.partitions + statusB.partitions)
            return statistics.applied == events.count && statistics.repartitioned >= forwarded && forwarded > 0
                && statusA.partitions.contains { $0.topic == "sales.events" } && statusB.partitions.contains { $0.topic == "sales.events" }
                && owned.count == statusA.partitions.count + statusB.partitions.count
        }
        #expect(await H.eventually { settled() })

        let reference = Self.reference(events)
        let now = EventTime(epochMilliseconds: Self.t0 + 300 * 7_000)
        for counter in Self.configuration.counters where reference[counter.id] != nil {
            let valuesA = a.counterState(counter.id).values(at: now, counter: counter)
            let valuesB = b.counterState(counter.id).values(at: now, counter: counter)
            #expect(Set(valuesA.keys).isDisjoint(with: valuesB.keys), "\(counter.id): a group folded at both instances")
            #expect(valuesA.merging(valuesB) { x, _ in x } == reference[counter.id]!.values(at: now, counter: counter), "\(counter.id)")
        }
        // The sum of days to sign is derived at the input partition and forwarded in a header.
        let signDays = Self.configuration.counters.first { $0.id == "sign_days_30d" }!
        let summed = a.counterState("sign_days_30d").values(at: now, counter: signDays).values.reduce(0, +) + b.counterState("sign_days_30d").values(at: now, counter: signDays).values.reduce(0, +)
        #expect(summed > 0)

        a.stop()
        b.stop()
        try await runningA.value
        try await runningB.value
    }

    /// A tick's per-partition work (counter rules, timers) runs on the fold threads: one fold
    /// thread or three give the same customers and the same open alerts, counter-rule and timer
    /// alerts among them.
    @Test func oneFoldThreadOrSeveralGiveTheSameProjectionsAndAlerts() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 4)
        var events = Self.events()
        func feed(_ type: String, _ subject: String, rep: String, at millis: Int64, _ data: String) {
            events.append((subject, #"{"specversion":"1.0","id":"x-\#(events.count)","source":"test","type":"\#(type)","time":"\#(H.stamp(millis))","subject":"\#(subject)","repid":"\#(rep)","region":"east","data":\#(data)}"#))
        }
        // Leads never activated (a timer at 24 h); 29 hours later six reps name one competitor
        // within minutes (a counter rule over 24 h), and an hour after that events in every
        // partition move the watermarks past the timers.
        let hour: Int64 = 3_600_000
        for index in 0..<30 { feed("sales.lead.created", "lead-\(index)", rep: "rep-\(index % 5)", at: Self.t0 + Int64(index) * 1_000, #"{"channel":"wechat","contactMode":"visit"}"#) }
        for rep in 0..<6 { feed("sales.competitor.mentioned", "cust-\(rep)", rep: "rep-\(rep)", at: Self.t0 + 29 * hour + Int64(rep) * 60_000, #"{"competitor":"medix"}"#) }
        for index in 0..<24 { feed("sales.message.sent", "late-\(index)", rep: "rep-1", at: Self.t0 + 30 * hour + Int64(index), #"{"channel":"sms"}"#) }
        try H.publish(events, to: cluster.bootstrapServers)

        func fold(threads: Int) async throws -> (customers: [CustomerState], alerts: [Alert]) {
            let runtime = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: H.temporaryDirectory(), group: "threads-\(threads)", process: Self.configuration) { runtime in
                runtime.validation.maxFutureSkewMilliseconds = Int64.max / 4
                runtime.foldThreads = threads
            }
            let running = Task { try await runtime.run() }
            #expect(await H.eventually { runtime.status().statistics.applied == events.count })
            // Counter rules follow every input partition's progress, reported a tick later.
            // Settled: the open alerts unchanged over several ticks.
            var alerts: [Alert] = []
            var unchangedSince = ContinuousClock.now
            #expect(await H.eventually {
                let now = runtime.openAlerts()
                if now != alerts { (alerts, unchangedSince) = (now, .now) }
                return ContinuousClock.now - unchangedSince > .milliseconds(3_500)
                    && now.contains { $0.rule.hasPrefix("counter:") } && now.contains { $0.rule == CustomerState.TimerRule.leadActivation }
            })
            let customers = runtime.allCustomers()
            runtime.stop()
            try await running.value
            return (customers, alerts)
        }
        let one = try await fold(threads: 1)
        let three = try await fold(threads: 3)
        #expect(one.customers.count == 120 + 30 + 24)
        #expect(one.customers == three.customers)
        #expect(one.alerts == three.alerts)
        // Each run sent every timer alert it holds open to the alerts topic once, as
        // AlertEvent writes it (written by the fold threads).
        let timerAlerts = one.alerts.filter { $0.rule == CustomerState.TimerRule.leadActivation }
        #expect(timerAlerts.count == 30)
        var wanted = Dictionary(timerAlerts.map { (AlertEvent.json($0), 2) }, uniquingKeysWith: +)
        let reader = try KafkaConsumer(configuration: KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: "alerts-reader"))
        try reader.subscribe(to: [AlertEvent.topic])
        let end = ContinuousClock.now + .seconds(60)
        while wanted.values.contains(where: { $0 > 0 }), ContinuousClock.now < end {
            try reader.consumeBatch(timeout: .milliseconds(100)) { batch in
                for message in batch.owned() { if let value = message.value, wanted[value] != nil { wanted[value]! -= 1 } }
            }
        }
        reader.close()
        #expect(wanted.values.allSatisfy { $0 == 0 }, "each open timer alert on the alerts topic once per run")
    }

    /// An instance that takes input partitions over at their end (checkpointed after their
    /// last record, nothing new since) counts them as caught up: librdkafka knows no position
    /// for such a partition until a record arrives, and the counter rules, which wait for every
    /// input partition, were judged only up to those partitions' watermark. (The crash-and-scale
    /// soak with seed 26 found an alert that never fired.) Here five reps mention a competitor
    /// in partition 0 only, an hour after the other partitions' last events.
    @Test func partitionsTakenOverAtTheirEndDoNotHoldTheCounterRulesBack() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 4)
        func customer(in partition: Int32, _ nth: Int) -> String {
            var found = 0
            for index in 0... {
                let id = "end-\(index)"
                guard KafkaPartitioner.consistent.partition(of: id, partitions: 4) == partition else { continue }
                if found == nth { return id }
                found += 1
            }
            fatalError("unreachable")
        }
        func event(_ id: String, _ type: String, _ subject: String, rep: String, at millis: Int64, _ data: String) -> (key: String, value: String) {
            (subject, #"{"specversion":"1.0","id":"\#(id)","source":"test","type":"\#(type)","time":"\#(H.stamp(millis))","subject":"\#(subject)","repid":"\#(rep)","region":"east","data":\#(data)}"#)
        }
        let first = (Int32(0)..<4).map { event("first-\($0)", "sales.message.sent", customer(in: $0, 0), rep: "rep-0001", at: Self.t0, #"{"channel":"wechat"}"#) }
        try H.publish(first, to: cluster.bootstrapServers)
        let directory = H.temporaryDirectory()
        let a = try Self.runtime(bootstrap: cluster.bootstrapServers, directory: directory, group: "ends")
        let runningA = Task { try await a.run() }
        #expect(await H.eventually { a.status().statistics.applied == first.count })
        a.stop()
        try await runningA.value

        let later = (0..<5).map { event("later-\($0)", "sales.competitor.mentioned", customer(in: 0, $0), rep: "rep-000\($0 + 1)", at: Self.t0 + 3_600_000 + Int64($0) * 1000, #"{"competitor":"acme"}"#) }
        try H.publish(later, to: cluster.bootstrapServers)
        let b = try Self.runtime(bootstrap: cluster.bootstrapServers, directory: directory, group: "ends")
        let runningB = Task { try await b.run() }
        #expect(await H.eventually { b.openRuleAlerts().contains { $0.rule == "counter:competitor_mentioned_by_5_reps" && $0.customer == "acme" } })
        b.stop()
        try await runningB.value
    }

    /// A region's time to sign averages over 14 days: the alert fires at the partition of the
    /// region topic and lists the region's customers waiting longest, read from the instance's
    /// input partitions (a partition's projector is mutated while it evaluates its rules: the
    /// evidence must not read it in place).
    @Test func aTimeToSignAlertAtARepartitionedPartitionListsTheWaitingCustomers() async throws {
        let day: Int64 = 86_400_000, hour: Int64 = 3_600_000
        var events: [(key: String, value: String)] = []
        func feed(_ type: String, _ subject: String, rep: String = "rep-0001", at millis: Int64, _ data: String) {
            events.append((subject, #"{"specversion":"1.0","id":"tts-\#(events.count)","source":"test","type":"\#(type)","time":"\#(H.stamp(millis))","subject":"\#(subject)","repid":"\#(rep)","region":"east","data":\#(data)}"#))
        }
        // Two deals, 10 and 20 days from first contact (average 15 > 14); four customers waiting.
        feed("sales.lead.created", "won-1", at: Self.t0, #"{"channel":"wechat","contactMode":"visit"}"#)
        feed("sales.lead.created", "won-2", at: Self.t0 + day, #"{"channel":"wechat","contactMode":"visit"}"#)
        for index in 0..<4 {
            feed("sales.lead.created", "wait-\(index)", rep: "rep-000\(index + 2)", at: Self.t0 + Int64(2 + index) * day, #"{"channel":"phone","contactMode":"call"}"#)
            feed("sales.step.entered", "wait-\(index)", rep: "rep-000\(index + 2)", at: Self.t0 + Int64(2 + index) * day + hour, #"{"flow":"lead_pipeline","step":"proposal"}"#)
        }
        feed("sales.deal.won", "won-1", at: Self.t0 + 10 * day, #"{"amount":1000,"currency":"CNY"}"#)
        feed("sales.deal.won", "won-2", at: Self.t0 + 21 * day, #"{"amount":1000,"currency":"CNY"}"#)
        feed("sales.lead.created", "later", rep: "rep-0009", at: Self.t0 + 23 * day, #"{"channel":"phone","contactMode":"call"}"#)

        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 4)
        try H.publish(events, to: cluster.bootstrapServers)
        let runtime = try Self.runtime(bootstrap: cluster.bootstrapServers, directory: H.temporaryDirectory(), group: "tts")
        let running = Task { try await runtime.run() }
        func alert() -> Alert? { runtime.openRuleAlerts().first { $0.rule == "counter:region_time_to_sign_over_14d" } }
        #expect(await H.eventually { alert() != nil })
        #expect(alert()?.customer == "east")
        #expect(alert()?.evidence?.map { String($0.prefix(6)) } == ["wait-0", "wait-1", "wait-2"], "longest waiting first")
        runtime.stop()
        try await running.value
    }

    /// A rep skips "retrieve similar cases" on three customers in three different input
    /// partitions, so no instance sees all three exits itself: the exits repartitioned by rep
    /// meet at one instance, and the N-in-a-row alert fires exactly once.
    @Test func aRepsExitsFromPartitionsOfBothInstancesMeetAtOne() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 4)
        var customers: [String] = []
        var used = Set<Int32>()
        var index = 0
        while customers.count < 3 {
            let id = "skip-\(index)"
            if used.insert(KafkaPartitioner.consistent.partition(of: id, partitions: 4)).inserted { customers.append(id) }
            index += 1
        }
        var events: [(key: String, value: String)] = []
        for (round, customer) in customers.enumerated() {
            let start = Self.t0 + Int64(round) * 3_600_000
            for (offset, step) in [(0, "objection_handling"), (2_000, "considering")] {
                events.append((customer, #"{"specversion":"1.0","id":"x-\#(round)-\#(offset)","source":"test","type":"sales.step.entered","time":"\#(H.stamp(start + Int64(offset)))","subject":"\#(customer)","repid":"rep-0007","region":"east","data":{"flow":"lead_pipeline","step":"\#(step)"}}"#))
            }
        }
        let directory = H.temporaryDirectory()
        let a = try Self.runtime(bootstrap: cluster.bootstrapServers, directory: directory)
        let b = try Self.runtime(bootstrap: cluster.bootstrapServers, directory: directory)
        let runningA = Task { try await a.run() }
        let runningB = Task { try await b.run() }
        // Publish once both own input partitions, so neither folds every customer itself.
        #expect(await H.eventually { a.status().partitions.count { $0.topic == "sales.events" } == 2 && b.status().partitions.count { $0.topic == "sales.events" } == 2 })
        try H.publish(events, to: cluster.bootstrapServers)
        func fired() -> [Alert] { (a.openRuleAlerts() + b.openRuleAlerts()).filter { $0.rule == "in-a-row:skipped_similar_cases_3x" } }
        #expect(await H.eventually {
            (a.status().statistics + b.status().statistics).applied == events.count
                && a.status().partitions.contains { $0.topic == "sales.events" } && b.status().partitions.contains { $0.topic == "sales.events" }
                && fired().count == 1
        })
        #expect(fired().map(\.rep) == ["rep-0007"])
        #expect(fired().first?.evidence?.count == 3)
        a.stop()
        b.stop()
        try await runningA.value
        try await runningB.value
    }

    /// The forwarded input carries exactly what the counters read, round-trips in a batch record
    /// with where it came from, and anything else on a repartition topic is refused.
    @Test func counterInputsCarryWhatTheCountersReadAndRoundTrip() {
        let decoder = EventDecoder()
        let json = #"{"specversion":"1.0","id":"w-1","source":"test","type":"sales.objection.chosen","time":"2026-03-02T09:15:04.123+08:00","subject":"cust-1","repid":"rep-0007","region":"east","data":{"objection":"price_too_high"}}"#
        let event = try! decoder.decode(json, referenceTime: EventTime(epochMilliseconds: Int64.max / 4))
        let forwards = PartitionProjector.forwards(of: event, counters: Self.configuration.counters, derived: [:])
        #expect(forwards.map(\.attribute) == ["objection"])
        #expect(forwards.first?.key == "price_too_high")
        #expect(forwards.first?.input == Repartition.CounterInput(type: .objectionChosen, time: event.time, attributes: ["objection": "price_too_high", "repid": "rep-0007"]))
        var batch = Repartition.CounterBatch()
        batch.append(partition: 3, offset: 1_234_567, input: forwards[0].input)
        let early = Repartition.CounterInput(type: .dealWon, time: EventTime(epochMilliseconds: -5), attributes: [:])
        batch.append(partition: 0, offset: 0, input: early)
        let bytes = batch.bytes
        #expect(batch.count == 2)
        #expect(bytes.withUnsafeBytes { Repartition.CounterBatch.entries(decoding: $0) } == [
            Repartition.CounterBatch.Entry(partition: 3, offset: 1_234_567, input: forwards[0].input),
            Repartition.CounterBatch.Entry(partition: 0, offset: 0, input: early),
        ])
        // Cut anywhere inside an entry, the record is refused (cut between entries, it is shorter).
        let boundary = {
            var first = Repartition.CounterBatch()
            first.append(partition: 3, offset: 1_234_567, input: forwards[0].input)
            return first.bytes.count
        }()
        for length in 0..<bytes.count where length != boundary {
            let entries = Array(bytes[..<length]).withUnsafeBytes { Repartition.CounterBatch.entries(decoding: $0) }
            #expect(entries == nil || (length == 1 && entries == []), "cut at \(length)")
        }
        #expect(Array(bytes[..<boundary]).withUnsafeBytes { Repartition.CounterBatch.entries(decoding: $0) }?.count == 1)
        #expect(Array(json.utf8).withUnsafeBytes { Repartition.CounterBatch.entries(decoding: $0) } == nil)
    }

    /// A batch record's bytes are exactly the documented encoding, field by field: format byte,
    /// then per entry partition, offset, type, zig-zag time, attribute count and the name and
    /// value pairs as length and UTF-8 — with varints of one to ten bytes, a negative time, an
    /// empty value, a non-ASCII one and one longer than 127 bytes.
    @Test func counterBatchBytesAreTheDocumentedEncoding() {
        let inputs: [(Int32, Int64, Repartition.CounterInput)] = [
            (0, 0, Repartition.CounterInput(type: .leadCreated, time: EventTime(epochMilliseconds: 0), attributes: [:])),
            (3, 1_234_567, Repartition.CounterInput(type: .objectionChosen, time: EventTime(epochMilliseconds: 1_772_414_104_123), attributes: ["objection": "price_too_high", "repid": "rep-0007"])),
            (Int32.max, Int64.max, Repartition.CounterInput(type: .dealWon, time: EventTime(epochMilliseconds: -5), attributes: ["region": "华东", "timeToSignDays": "", "query": String(repeating: "q", count: 200)])),
            (127, 128, Repartition.CounterInput(type: .dealLost, time: EventTime(epochMilliseconds: Int64.min / 2), attributes: ["a": "b"])),
        ]
        var batch = Repartition.CounterBatch()
        var expected: [UInt8] = [Repartition.CounterBatch.format]
        for (partition, offset, input) in inputs {
            batch.append(partition: partition, offset: offset, input: input)
            expected.appendVarint(UInt64(UInt32(bitPattern: partition)))
            expected.appendVarint(UInt64(bitPattern: offset))
            expected.append(input.type.rawValue)
            let milliseconds = input.time.epochMilliseconds
            expected.appendVarint(UInt64(bitPattern: (milliseconds << 1) ^ (milliseconds >> 63)))
            expected.appendVarint(UInt64(input.attributes.count))
            for attribute in input.attributes {
                expected.appendString(attribute.name)
                expected.appendString(attribute.value)
            }
            #expect(batch.bytes == expected, "after the entry from \(partition)/\(offset)")
        }
        #expect(batch.bytes.withUnsafeBytes { Repartition.CounterBatch.entries(decoding: $0) }?.map(\.input) == inputs.map(\.2))
    }

    /// The forward plan, worked out once from the counters, forwards what each counter reads:
    /// a won deal goes to the region topic with its derived time to sign, in name order; an
    /// event without a value for a group-by attribute is not forwarded there; a type no counter
    /// counts forwards nothing.
    @Test func forwardPlanCarriesDerivedAttributesAndSkipsMissingGroups() {
        let decoder = EventDecoder()
        func event(_ type: String, region: String?, data: String) -> SalesEvent {
            let region = region.map { #","region":"\#($0)""# } ?? ""
            let json = #"{"specversion":"1.0","id":"p-1","source":"test","type":"\#(type)","time":"2026-03-02T09:15:04.123+08:00","subject":"cust-1","repid":"rep-0007"\#(region),"data":\#(data)}"#
            return try! decoder.decode(json, referenceTime: EventTime(epochMilliseconds: Int64.max / 4))
        }
        let plan = Repartition.ForwardPlan(counters: Self.configuration.counters)
        let won = event("sales.deal.won", region: "east", data: #"{"amount":1000,"currency":"CNY"}"#)
        let forwards = plan.forwards(of: won, derived: [CounterDefinition.timeToSignDays: "2.5"])
        #expect(forwards.map(\.attribute) == ["region"])
        #expect(forwards.first?.key == "east")
        #expect(forwards.first?.input.attributes == [.init(name: "region", value: "east"), .init(name: "timeToSignDays", value: "2.5")])
        // The plan forwards what the per-counter definition reads, nothing more.
        let read = Set(Self.configuration.counters.filter { $0.type == .dealWon }.flatMap(\.attributesRead))
        #expect(Set(forwards.first?.input.attributes.map(\.name) ?? []) == read)
        #expect(plan.forwards(of: event("sales.deal.won", region: nil, data: #"{"amount":1000,"currency":"CNY"}"#), derived: [:]).isEmpty)
        #expect(!plan.forwards(.fieldUpdated))
        #expect(plan.forwards(of: event("sales.message.sent", region: "east", data: #"{"channel":"wechat"}"#), derived: [:]).isEmpty)
    }

    /// A projector's forwards are written over the last record's, their storage reused: after
    /// every record they are exactly what a fresh plan gives for its event — fewer, other
    /// attributes, none at all for a duplicate, a rejected record or a type no counter counts.
    @Test func forwardsWrittenOverTheLastRecordsAreTheFreshPlans() {
        let decoder = EventDecoder()
        let role = PartitionProjector.Role.input(repartitioning: true)
        var projector = PartitionProjector(topic: "sales.events", partition: 0, configuration: Self.configuration, role: role)
        func json(_ id: String, _ type: String, region: String?, _ data: String) -> String {
            let region = region.map { #","region":"\#($0)""# } ?? ""
            return #"{"specversion":"1.0","id":"\#(id)","source":"test","type":"\#(type)","time":"2026-03-02T09:15:04.123+08:00","subject":"cust-1","repid":"rep-0007"\#(region),"data":\#(data)}"#
        }
        let records = [
            json("f-1", "sales.deal.won", region: "east", #"{"amount":1000,"currency":"CNY"}"#),
            json("f-2", "sales.objection.chosen", region: "east", #"{"objection":"price_too_high"}"#),
            json("f-2", "sales.objection.chosen", region: "east", #"{"objection":"price_too_high"}"#), // a duplicate
            json("f-3", "sales.message.sent", region: "east", #"{"channel":"wechat"}"#),
            json("f-4", "sales.objection.chosen", region: "west", #"{"objection":"timing"}"#),
            #"{"specversion":"1.0","id":"broken"#, // rejected
            json("f-5", "sales.deal.won", region: nil, #"{"amount":1000,"currency":"CNY"}"#),
            json("f-6", "sales.deal.won", region: "north", #"{"amount":2000,"currency":"CNY"}"#),
        ]
        var counts: [Int] = []
        for (offset, record) in records.enumerated() {
            let outcome = Array(record.utf8).withUnsafeBytes { projector.process(value: $0, key: nil, offset: Int64(offset), recordTime: EventTime(epochMilliseconds: Int64.max / 4), decoder: decoder) }
            var expected: [Repartition.Forward] = []
            if case .applied = outcome {
                let event = try! EventDecoder().decode(record, referenceTime: EventTime(epochMilliseconds: Int64.max / 4))
                var derived: [String: String] = [:]
                if event.type == .dealWon, let milliseconds = projector.projection.customers[event.subject]?.timeToSignMilliseconds {
                    derived[CounterDefinition.timeToSignDays] = String(Double(milliseconds) / 86_400_000)
                }
                expected = PartitionProjector.forwards(of: event, counters: Self.configuration.counters, derived: derived)
            }
            #expect(Array(projector.forwards) == expected, "after record \(offset)")
            counts.append(projector.forwards.count)
        }
        #expect(counts == [1, 1, 0, 0, 1, 0, 0, 1])
    }

    /// Attributes are written in name order, each once; a record with them out of order or
    /// repeated was not written by us and is refused.
    @Test func counterBatchesWithUnsortedAttributesAreRefused() {
        func record(_ names: [String]) -> [UInt8] {
            var bytes: [UInt8] = [Repartition.CounterBatch.format, 0, 1, SalesEventType.objectionChosen.rawValue, 2, UInt8(names.count)]
            for name in names { bytes.appendString(name); bytes.appendString("x") }
            return bytes
        }
        #expect(record(["objection", "repid"]).withUnsafeBytes { Repartition.CounterBatch.entries(decoding: $0) }?.first?.input.value(of: "repid") == "x")
        #expect(record(["repid", "objection"]).withUnsafeBytes { Repartition.CounterBatch.entries(decoding: $0) } == nil)
        #expect(record(["repid", "repid"]).withUnsafeBytes { Repartition.CounterBatch.entries(decoding: $0) } == nil)
        // Names compare as strings do, beyond ASCII too.
        #expect(record(["région", "zone"]).withUnsafeBytes { Repartition.CounterBatch.entries(decoding: $0) }?.first?.input.value(of: "région") == "x")
        #expect(record(["zone", "région"]).withUnsafeBytes { Repartition.CounterBatch.entries(decoding: $0) } == nil)
        #expect(record(["e\u{301}", "é"]).withUnsafeBytes { Repartition.CounterBatch.entries(decoding: $0) } == nil, "canonically equal: repeated")
    }

    /// A batch is folded whole or not at all: a record whose last entry is damaged hands over
    /// no entry, not the ones before it; a sound one hands every entry over in order, each
    /// with its own attributes although one array is reused.
    @Test func counterBatchesAreHandedOverWholeOrNotAtAll() {
        var batch = Repartition.CounterBatch()
        let inputs = (0..<5).map { index in
            Repartition.CounterInput(type: .objectionChosen, time: EventTime(epochMilliseconds: 1_000 * Int64(index)),
                                     attributes: index.isMultiple(of: 2) ? ["objection": "price-\(index)", "repid": "rep-\(index)"] : ["objection": "timing"])
        }
        for (index, input) in inputs.enumerated() { batch.append(partition: Int32(index % 2), offset: Int64(10 + index), input: input) }
        var handed: [Repartition.CounterBatch.Entry] = []
        #expect(batch.bytes.withUnsafeBytes { bytes in
            Repartition.CounterBatch.forEachEntry(in: bytes) { handed.append(.init(partition: $0, offset: $1, input: $2)) }
        })
        #expect(handed == inputs.enumerated().map { .init(partition: Int32($0.offset % 2), offset: Int64(10 + $0.offset), input: $0.element) })
        var damaged = batch.bytes
        #expect(damaged.suffix(6) == [5] + Array("rep-4".utf8))
        damaged[damaged.count - 6] = 0x7f // the last value's length: now past the end
        var calls = 0
        #expect(!damaged.withUnsafeBytes { bytes in Repartition.CounterBatch.forEachEntry(in: bytes) { _, _, _ in calls += 1 } })
        #expect(calls == 0)
    }

    /// A rep's exit travels as a small binary record: it round-trips exactly (UTC offset of the
    /// exit time included), and a cut, padded or foreign record is refused, never half-read.
    @Test func repExitRecordsRoundTripAndRefuseDamage() {
        let forward = Repartition.ExitForward(id: "evt-42#skipped_similar_cases_3x", exit: KeyedRuleProjection.RepExit(
            rule: "skipped_similar_cases_3x", rep: "rep-0007",
            exit: KeyedRuleProjection.StepExit(at: EventTime(epochMilliseconds: 1_772_413_200_123, offsetMinutes: 480), customer: "cust-ü-1", missed: true)))
        let bytes = forward.encoded
        let decoded = bytes.withUnsafeBytes { Repartition.ExitForward(decoding: $0) }
        #expect(decoded == forward)
        #expect(decoded?.exit.exit.at.offsetMinutes == 480)
        for length in 0..<bytes.count {
            #expect(Array(bytes[..<length]).withUnsafeBytes { Repartition.ExitForward(decoding: $0) } == nil, "cut at \(length)")
        }
        #expect((bytes + [0]).withUnsafeBytes { Repartition.ExitForward(decoding: $0) } == nil)
        let json = Array(#"{"id":"evt-42#r","exit":{}}"#.utf8)
        #expect(json.withUnsafeBytes { Repartition.ExitForward(decoding: $0) } == nil)
    }

    /// A repartitioned partition folds each input once: entries at or below the offset it has
    /// folded from their input partition are re-forwards (after a crash of the forwarding
    /// instance) and are dropped — also after the repartitioned partition restarts from its
    /// checkpoint.
    @Test func repartitionedPartitionsDropReForwardedInputsByInputOffset() throws {
        let topic = Repartition.topic(group: "rp", attribute: "objection")
        let counters = Self.configuration.counters.filter { Repartition.attribute(of: $0) == "objection" }
        #expect(!counters.isEmpty)
        func input(_ code: String, second: Int64) -> Repartition.CounterInput {
            Repartition.CounterInput(type: .objectionChosen, time: EventTime(epochMilliseconds: Self.t0 + second * 1000), attributes: ["objection": code, "repid": "rep-1"])
        }
        func batch(_ entries: [(Int32, Int64, Repartition.CounterInput)]) -> [UInt8] {
            var batch = Repartition.CounterBatch()
            for (partition, offset, input) in entries { batch.append(partition: partition, offset: offset, input: input) }
            return batch.bytes
        }
        func process(_ projector: inout PartitionProjector, _ bytes: [UInt8], at offset: Int64) {
            _ = bytes.withUnsafeBytes { projector.process(value: $0, key: nil, offset: offset, recordTime: EventTime(epochMilliseconds: Self.t0), decoder: EventDecoder()) }
        }
        let role = PartitionProjector.Role.of(topic: topic, group: "rp", repartitioning: true)
        #expect(role == .repartitioned(attribute: "objection"))
        var projector = PartitionProjector(topic: topic, partition: 0, configuration: Self.configuration, role: role)
        process(&projector, batch([(0, 10, input("no_budget", second: 1)), (1, 5, input("no_budget", second: 2))]), at: 0)
        // Input partition 0 replays from offset 9 after a crash: 9 and 10 were folded, 11 is new.
        process(&projector, batch([(0, 10, input("no_budget", second: 1)), (0, 11, input("timing", second: 3))]), at: 1)
        #expect(projector.statistics.repartitioned == 3)
        #expect(projector.statistics.repartitionDuplicates == 1)
        #expect(projector.inputOffsets == [0: 11, 1: 5])

        let restored = try {
            let directory = RuntimeHarness.temporaryDirectory()
            let store = try CheckpointStore(directory: directory)
            try store.write(projector.checkpoint())
            return try #require(try store.read(topic: topic, partition: 0))
        }()
        var again = PartitionProjector(topic: topic, partition: 0, configuration: Self.configuration, checkpoint: restored, role: role)
        #expect(again.inputOffsets == [0: 11, 1: 5])
        process(&again, batch([(1, 5, input("no_budget", second: 2)), (1, 6, input("timing", second: 4))]), at: 2)
        #expect(again.statistics.repartitioned == 4)
        #expect(again.statistics.repartitionDuplicates == 2)

        // The same inputs folded once each, in one record, give the same counters.
        var once = PartitionProjector(topic: topic, partition: 0, configuration: Self.configuration, role: role)
        process(&once, batch([(0, 10, input("no_budget", second: 1)), (1, 5, input("no_budget", second: 2)), (0, 11, input("timing", second: 3)), (1, 6, input("timing", second: 4))]), at: 0)
        #expect(once.counters == again.counters)
        #expect(!once.counters.states.isEmpty)

        // Anything else on a repartition topic goes to the DLQ.
        var rejected = PartitionProjector(topic: topic, partition: 0, configuration: Self.configuration, role: role)
        let json = Array(#"{"specversion":"1.0"}"#.utf8)
        guard case .rejected? = json.withUnsafeBytes({ rejected.process(value: $0, key: nil, offset: 0, recordTime: EventTime(epochMilliseconds: Self.t0), decoder: EventDecoder()) }) else {
            Issue.record("a JSON record on a repartition topic was not rejected")
            return
        }
    }

    @Test func withoutRepartitioningOneInstanceFoldsTheSameCounters() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 4)
        let events = Self.events()
        try H.publish(events, to: cluster.bootstrapServers)
        let runtime = try Self.runtime(bootstrap: cluster.bootstrapServers, directory: H.temporaryDirectory(), group: "single", repartition: false)
        let running = Task { try await runtime.run() }
        #expect(await H.eventually { runtime.status().statistics.applied == events.count })
        #expect(runtime.status().partitions.allSatisfy { $0.topic == "sales.events" }, "no repartition topics")
        #expect(runtime.repartitionProgress.forwarded == 0)
        let reference = Self.reference(events)
        let now = EventTime(epochMilliseconds: Self.t0 + 300 * 7_000)
        for counter in Self.configuration.counters where reference[counter.id] != nil {
            #expect(runtime.counterState(counter.id).values(at: now, counter: counter) == reference[counter.id]!.values(at: now, counter: counter), "\(counter.id)")
        }
        runtime.stop()
        try await running.value
    }
}

/// What `run` says about repartition topics with fewer partitions than wanted (the input's count,
/// or `--repartition-partitions`): correct, but fewer instances can share their counter groups,
/// and on the embedded broker (whose automatic creation gives every topic 4 partitions) the
/// operator is told how to create them.
@Suite(.serialized) struct RepartitionPartitionCountTests {
    typealias H = RuntimeHarness

    /// The notices of a runtime that folded the repartition tests' events from an input of 8
    /// partitions, with the repartition topics of `precreated` attributes made beforehand with 8
    /// partitions (the others by the broker's automatic creation, with 4).
    static func notices(precreated: [String], configured: Int? = nil) async throws -> (notices: [LogRecorder.Record], topics: [String]) {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 8)
        for attribute in precreated { try cluster.createTopic(Repartition.topic(group: "counts", attribute: attribute), partitions: 8) }
        let events = RepartitionTests.events()
        try H.publish(events, to: cluster.bootstrapServers)
        let recorder = LogRecorder()
        let runtime = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: H.temporaryDirectory(), group: "counts", process: RepartitionTests.configuration,
                                        logger: Logger(label: "salespulse.runtime") { _ in recorder }) { runtime in
            runtime.validation.maxFutureSkewMilliseconds = Int64.max / 4
            runtime.repartitionPartitions = configured
        }
        let running = Task { try await runtime.run() }
        #expect(await H.eventually { runtime.status().statistics.applied == events.count })
        runtime.stop()
        try await running.value
        let topics = Repartition.attributes(of: RepartitionTests.configuration).map { Repartition.topic(group: "counts", attribute: $0) }
        return (recorder.records.filter { $0.level == .notice && $0.message.hasPrefix("repartition topics with fewer partitions than wanted") }, topics)
    }

    @Test func aRepartitionTopicWithFewerPartitionsThanTheInputIsReportedWithItsFix() async throws {
        let (reported, topics) = try await Self.notices(precreated: ["region"])
        let expected = Set(topics).subtracting([Repartition.topic(group: "counts", attribute: "region")])
        #expect(!expected.isEmpty)
        // One notice listing every such topic with its partitions, and how to create them all
        // (the broker's --repartition-for creates the group's topics, `BrokerRepartitionTests`).
        #expect(reported.count == 1)
        let record = try #require(reported.first)
        let listed = (record.metadata["topics"] ?? "").split(separator: ",").map(String.init)
        #expect(Set(listed) == Set(expected.map { "\($0):4" }))
        #expect(record.metadata["wanted"] == "8")
        let hint = record.metadata["hint"] ?? ""
        #expect(hint.contains("salespulse broker --repartition-for counts:8 "), "\(hint)")
        #expect(hint.contains("--repartition-partitions 4"))
    }

    @Test func noNoticeWhenTheTopicsHaveThePartitionsAskedFor() async throws {
        // --repartition-partitions 4: what the embedded broker's automatic creation gives.
        let (reported, _) = try await Self.notices(precreated: [], configured: 4)
        #expect(reported.isEmpty, "\(reported.map(\.metadata))")
    }
}

/// A log handler that keeps every record (level, message and metadata as text), for tests of
/// what the runtime logs.
final class LogRecorder: LogHandler, @unchecked Sendable {
    struct Record {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let lock = NSLock()
    private var kept: [Record] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var records: [Record] { lock.withLock { kept } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let record = Record(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" })
        lock.withLock { kept.append(record) }
    }
}
