import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseServer

/// Projections folded directly from decoded events (the real fold, without Kafka), for
/// endpoint tests. Readiness can be toggled.
final class FoldedProjections: ProjectionQueries, Sendable {
    let processConfiguration: ProcessConfiguration
    let projection: FlowProjection
    let now: EventTime
    let ready = Atomic<Bool>(true)
    let counterProjection: CounterProjection

    init(events: [String], now: EventTime) throws {
        processConfiguration = try ConfigurationLoader.load(path: ServerTests.repository.appendingPathComponent("deploy/config/salespulse.yaml").path)
        var projection = FlowProjection(configuration: processConfiguration)
        var counters = CounterProjection()
        let decoder = EventDecoder()
        for json in events {
            let event = try decoder.decode(json, referenceTime: now)
            projection.apply(event)
            counters.apply(event, counters: processConfiguration.counters)
        }
        counterProjection = counters
        projection.advance(to: now)
        self.projection = projection
        self.now = now
    }

    func customer(_ id: String) -> CustomerState? { projection.customers[id] }
    func forEachCustomerAddress(_ visit: (UnsafePointer<CustomerState>) -> Void) {
        for shard in 0..<ShardedMap<CustomerState>.shardCount { projection.customers.forEachValueAddress(inShard: shard, visit) }
    }
    func metrics(now: EventTime) -> MetricsReport { projection.metrics(now: now) }
    func openAlerts() -> [Alert] { projection.customers.values.flatMap(\.openAlerts.values).sorted { $0.id < $1.id } }
    var isReady: Bool { ready.load(ordering: .acquiring) }
    func currentTime() -> EventTime { now }
    func counters() -> [(String, String, Double)] { [("salespulse_customers", "Customers", Double(projection.customers.count))] }
    func counterState(_ id: String) -> CounterState { counterProjection.states[id] ?? CounterState() }
}

@Suite struct ServerTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func event(_ id: String, _ type: String, _ customer: String, _ time: String, _ data: String, rep: String = "rep-0001") -> String {
        #"{"specversion":"1.0","id":"\#(id)","source":"t","type":"\#(type)","time":"\#(time)","subject":"\#(customer)","repid":"\#(rep)","region":"east","data":\#(data)}"#
    }

    @Test func countersReportDistinctRepsPerObjection() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/v1/counters/objection_reps_1h", method: .get) { response in
                #expect(response.status == .ok)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
                #expect((json["values"] as! [String: Double])["price_too_high"] == 2)
                #expect(json["series"] == nil)
            }
            try await client.execute(uri: "/v1/counters/objection_reps_1h?series=1", method: .get) { response in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
                let series = json["series"] as! [[String: Any]]
                #expect(series.count == 3_600)
                #expect(json["seriesGroups"] as? [String] == ["price_too_high"], "the groups with the highest current values")
                #expect((series.last?["values"] as? [String: Double]) == ["price_too_high": 2])
            }
            try await client.execute(uri: "/v1/counters/objection_reps_1h?series=1&groups=nobody_asked", method: .get) { response in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
                #expect(json["seriesGroups"] as? [String] == ["nobody_asked"])
                #expect((json["series"] as! [[String: Any]]).allSatisfy { ($0["values"] as? [String: Double])?.isEmpty == true }, "only the named groups are charted")
            }
            try await client.execute(uri: "/v1/counters/objection_reps_1h?series=1&limit=0", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/counters/objection_reps_1h?series=maybe", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/counters/nope", method: .get) { #expect($0.status == .notFound) }
        }
    }

    /// A doctor visit whose photo is missing and whose next step is entered anyway, and a
    /// delivery stuck 73h at hospital receipt (two of the issue's scenarios).
    static let events = [
        event("1", "sales.step.entered", "doc-1", "2026-03-02T09:00:00+08:00", #"{"flow":"academic","step":"dept_visit"}"#),
        event("2", "sales.action.completed", "doc-1", "2026-03-02T09:30:00+08:00", #"{"flow":"academic","step":"dept_visit","action":"upload_proposal","evidence":{"attachment":{"name":"p.pdf","version":"v2"}}}"#),
        event("3", "sales.step.entered", "doc-1", "2026-03-02T11:00:00+08:00", #"{"flow":"academic","step":"literature_review"}"#),
        event("4", "sales.step.entered", "hosp-7", "2026-03-01T00:00:00Z", #"{"flow":"delivery","step":"hospital_receipt"}"#, rep: "rep-0100"),
        event("5", "sales.objection.chosen", "c-1", "2026-03-04T00:30:00Z", #"{"objection":"price_too_high"}"#, rep: "rep-0001"),
        event("6", "sales.objection.chosen", "c-2", "2026-03-04T00:40:00Z", #"{"objection":"price_too_high"}"#, rep: "rep-0001"),
        event("7", "sales.objection.chosen", "c-3", "2026-03-04T00:50:00Z", #"{"objection":"price_too_high"}"#, rep: "rep-0002"),
        event("8", "sales.objection.chosen", "c-4", "2026-03-03T22:00:00Z", #"{"objection":"price_too_high"}"#, rep: "rep-0003"),
    ]
    static let now = EventTime(epochMilliseconds: 1_772_323_200_000 + 73 * 3_600_000) // 2026-03-01T00:00Z + 73h

    func withServer(_ body: @Sendable (any TestClientProtocol, FoldedProjections) async throws -> Void) async throws {
        let queries = try FoldedProjections(events: Self.events, now: Self.now)
        let server = SalesPulseHTTPServer(queries: queries, hub: LiveEventHub())
        let app = Application(router: server.router())
        try await app.test(.router) { client in try await body(client, queries) }
    }

    @Test func healthAndReadiness() async throws {
        try await withServer { client, queries in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            queries.ready.store(false, ordering: .releasing)
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .serviceUnavailable) }
        }
    }

    @Test func customerShowsFlowStateMissingActionsAndViolations() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/v1/customers/doc-1", method: .get) { response in
                #expect(response.status == .ok)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
                let academic = (json["flows"] as! [String: Any])["academic"] as! [String: Any]
                #expect((academic["current"] as! [String: Any])["step"] as? String == "literature_review")
                #expect((academic["violations"] as! [String]).first?.contains("missing photo_badge, pain_points, sku_refs") == true)
            }
            try await client.execute(uri: "/v1/customers/nobody", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }

    /// Every customer, page by page in id order (`after` = the previous page's `next`), each
    /// as `/v1/customers/{id}` shows it; the header counts those after `after`.
    @Test func customersArePagedInIDOrder() async throws {
        try await withServer { client, queries in
            func get(_ uri: String) async throws -> (json: [String: Any], total: String?) {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                    return (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any], response.headers[HTTPField.Name("SalesPulse-Total-Count")!])
                }
            }
            var listed: [[String: Any]] = []
            var totals: [String?] = []
            var uri = "/v1/customers?limit=4"
            while true {
                let page = try await get(uri)
                listed += page.json["customers"] as! [[String: Any]]
                totals.append(page.total)
                guard let next = page.json["next"] as? String else { break }
                uri = "/v1/customers?limit=4&after=\(next)"
            }
            let ids = queries.projection.customers.values.map(\.customer).sorted()
            #expect(ids.count == 6)
            #expect(listed.map { $0["customer"] as! String } == ids)
            #expect(totals == ["6", "2"])
            for customer in listed {
                let one = try await get("/v1/customers/\(customer["customer"] as! String)").json
                #expect(NSDictionary(dictionary: customer) == NSDictionary(dictionary: one))
            }
            let all = try await get("/v1/customers")
            #expect((all.json["customers"] as! [[String: Any]]).count == 6 && all.json["next"] == nil)
            let none = try await get("/v1/customers?after=\(ids.last!)")
            #expect((none.json["customers"] as! [Any]).isEmpty && none.total == "0")
            for bad in ["0", "10001", "many"] {
                try await client.execute(uri: "/v1/customers?limit=\(bad)", method: .get) { #expect($0.status == .badRequest) }
            }
        }
    }

    @Test func flowSummaryCountsStuckCustomers() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/v1/flows/delivery", method: .get) { response in
                #expect(response.status == .ok)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
                let receipt = (json["steps"] as! [[String: Any]]).first { $0["step"] as? String == "hospital_receipt" }!
                #expect(receipt["customers"] as? Int == 1)
                #expect(receipt["stuck"] as? Int == 1)
                #expect(receipt["dwellHoursMax"] as? Double == 73)
            }
            // As of a day earlier (`at`): 49 h at the step, not yet beyond its 72 h SLA.
            try await client.execute(uri: "/v1/flows/delivery?at=2026-03-03T01:00:00Z", method: .get) { response in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
                let receipt = (json["steps"] as! [[String: Any]]).first { $0["step"] as? String == "hospital_receipt" }!
                #expect(json["at"] as? String == "2026-03-03T01:00:00.000Z")
                #expect(receipt["stuck"] as? Int == 0)
                #expect(receipt["dwellHoursMax"] as? Double == 49)
            }
            try await client.execute(uri: "/v1/flows/delivery?at=soon", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/flows/nope", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func metricsByGroupAndBadParameters() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/v1/metrics/compliance", method: .get) { response in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
                #expect((json["values"] as! [String: Any])["overall"] as? Double == 0.25, "1 of 4 mandatory actions done at the exited visit")
            }
            try await client.execute(uri: "/v1/metrics/phi?by=team", method: .get) { response in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
                #expect(Set((json["values"] as! [String: Any]).keys) == ["east-1", "north-1"])
            }
            try await client.execute(uri: "/v1/metrics/phi?by=city", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/metrics/happiness", method: .get) { #expect($0.status == .notFound) }
        }
    }

    /// `/v1/metrics` (what the war-room page asks for) gives every metric of one scan: each the
    /// values and customers `/v1/metrics/{name}` gives, overall and by every grouping.
    @Test func everyMetricAtOnceIsEachMetricsOwn() async throws {
        try await withServer { client, _ in
            func json(_ uri: String) async throws -> [String: Any] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                    return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
                }
            }
            for by in [nil, "rep", "team", "region"] as [String?] {
                let query = by.map { "?by=\($0)" } ?? ""
                let all = try await json("/v1/metrics\(query)")
                let values = all["values"] as! [String: [String: Any]]
                #expect(Set(values.keys) == Set(MetricValues.names))
                #expect(all["by"] as? String == by ?? "overall")
                for name in MetricValues.names {
                    let one = try await json("/v1/metrics/\(name)\(query)")
                    #expect(NSDictionary(dictionary: values[name]!) == NSDictionary(dictionary: one["values"] as! [String: Any]), "\(name)\(query)")
                    #expect(all["customers"] as? [String: Int] == one["customers"] as? [String: Int])
                }
            }
            try await client.execute(uri: "/v1/metrics?by=city", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("by=city"))
            }
        }
    }

    @Test func alertsAreListedAndFiltered() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/v1/alerts?state=open", method: .get) { response in
                let alerts = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [[String: Any]]
                #expect(alerts.count == 1)
                #expect(alerts.first?["rule"] as? String == "step-sla")
                #expect(alerts.first?["customer"] as? String == "hosp-7")
                #expect(alerts.first?["supervisor"] as? String == "sup-north-1")
                #expect(alerts.first?["since"] as? String == "2026-03-04T00:00:00.000Z")
            }
            try await client.execute(uri: "/v1/alerts?state=open&since=2026-03-05T00:00:00Z", method: .get) { response in
                let list = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [Any]
                #expect(list.isEmpty)
            }
            try await client.execute(uri: "/v1/alerts?state=maybe", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/alerts?since=yesterday", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/v1/stream?topics=gossip", method: .get) { #expect($0.status == .badRequest) }
        }
    }

    /// `?at=` is the time metrics are worked out at (freshness depends on it), on both routes;
    /// the answer says which.
    @Test func metricsAsOfAnotherTime() async throws {
        let update = Self.event("f1", "sales.field.updated", "c-9", "2026-03-03T00:00:00Z", #"{"field":"latest_need","value":"spine","previous":null}"#)
        let queries = try FoldedProjections(events: [update], now: Self.now)
        let app = Application(router: SalesPulseHTTPServer(queries: queries, hub: LiveEventHub()).router())
        try await app.test(.router) { client in
            func freshness(_ uri: String) async throws -> (at: String?, value: Double?) {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                    let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [String: Any]
                    let values = json["values"] as! [String: Any]
                    let overall = (values["freshness"] as? [String: Any]) ?? values
                    return (json["at"] as? String, overall["overall"] as? Double)
                }
            }
            // One of three key fields, updated a day before `now` (72 h horizon): fresh now and
            // a day later, stale a week later.
            for route in ["/v1/metrics", "/v1/metrics/freshness"] {
                let current = try await freshness(route)
                #expect(current.at == Self.now.rfc3339UTC && current.value == 1.0 / 3, "\(route)")
                let later = try await freshness(route + "?at=2026-03-05T01:00:00%2B01:00")
                #expect(later.at == "2026-03-05T00:00:00.000Z" && later.value == 1.0 / 3, "\(route)")
                let week = try await freshness(route + "?at=2026-03-10T00:00:00Z")
                #expect(week.at == "2026-03-10T00:00:00.000Z" && week.value == 0, "\(route)")
            }
            for uri in ["/v1/metrics?at=yesterday", "/v1/metrics/phi?at=2027-01-01T00:00:00"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .badRequest, "\(uri)")
                    #expect(String(buffer: response.body).contains("at="))
                }
            }
        }
    }

    /// Global views: two instances owning disjoint customers answer `/v1/metrics` with the sums
    /// behind each group's values; added group by group, they are one instance's sums over
    /// every customer, and give its values.
    @Test func instancesSumsMergeByAddition() async throws {
        func answer(_ events: [String], by: String?) async throws -> MetricsResponse {
            let queries = try FoldedProjections(events: events, now: Self.now)
            let app = Application(router: SalesPulseHTTPServer(queries: queries, hub: LiveEventHub()).router())
            return try await app.test(.router) { client in
                try await client.execute(uri: "/v1/metrics" + (by.map { "?by=\($0)" } ?? ""), method: .get) { response in
                    try JSONDecoder().decode(MetricsResponse.self, from: Data(buffer: response.body))
                }
            }
        }
        let owners: Set = ["doc-1", "c-1", "c-3"]
        let (first, second) = (Self.events.filter { event in owners.contains { event.contains("\"subject\":\"\($0)\"") } },
                               Self.events.filter { event in !owners.contains { event.contains("\"subject\":\"\($0)\"") } })
        #expect(!first.isEmpty && !second.isEmpty && first.count + second.count == Self.events.count)
        let weights = try FoldedProjections(events: [], now: Self.now).processConfiguration.healthWeights
        for by in [nil, "rep", "team", "region"] as [String?] {
            let whole = try await answer(Self.events, by: by)
            let merged = try await answer(first, by: by).sums.merging(try await answer(second, by: by).sums, uniquingKeysWith: +)
            #expect(merged == whole.sums, "by \(by ?? "overall")")
            #expect(whole.sums.values.reduce(0) { $0 + $1.customers } == 6)
            for (group, sums) in merged {
                let values = MetricValues(sums, weights: weights)
                for name in MetricValues.names { #expect(values.value(named: name) == whole.values[name]?[group] ?? nil, "\(name) of \(group)") }
            }
        }
    }

    /// The war-room page shows 60 open alerts and their number: `limit` returns the first by id,
    /// and the header counts those matching before the limit.
    @Test func alertsAreLimitedAndCounted() async throws {
        let stuck = (1...4).map { index in
            Self.event("s\(index)", "sales.step.entered", "hosp-\(index)", "2026-03-0\(index)T00:00:00Z", #"{"flow":"delivery","step":"hospital_receipt"}"#, rep: "rep-0100")
        }
        let queries = try FoldedProjections(events: stuck, now: EventTime(epochMilliseconds: 1_772_323_200_000 + 10 * 24 * 3_600_000))
        let app = Application(router: SalesPulseHTTPServer(queries: queries, hub: LiveEventHub()).router())
        try await app.test(.router) { client in
            let all = queries.openAlerts().map(\.id)
            #expect(all.count == 4 && all == all.sorted())
            func ids(_ response: TestResponse) throws -> [String] {
                (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as! [[String: Any]]).map { $0["id"] as! String }
            }
            let total = HTTPField.Name("SalesPulse-Total-Count")!
            try await client.execute(uri: "/v1/alerts?state=open", method: .get) { response in
                let listed = try ids(response)
                #expect(listed == all)
                #expect(response.headers[total] == "4")
            }
            try await client.execute(uri: "/v1/alerts?state=open&limit=2", method: .get) { response in
                let listed = try ids(response)
                #expect(listed == Array(all.prefix(2)))
                #expect(response.headers[total] == "4")
            }
            // Alerts since 3 March (stuck 72 h after entering on the 1st to 4th: the last two).
            try await client.execute(uri: "/v1/alerts?state=open&since=2026-03-06T00:00:00Z&limit=1", method: .get) { response in
                let listed = try ids(response)
                #expect(listed.count == 1)
                #expect(response.headers[total] == "2")
            }
            try await client.execute(uri: "/v1/alerts?state=open&limit=9", method: .get) { response in
                let listed = try ids(response)
                #expect(listed == all)
            }
            for bad in ["0", "-3", "ten"] {
                try await client.execute(uri: "/v1/alerts?limit=\(bad)", method: .get) { response in
                    #expect(response.status == .badRequest)
                    #expect(String(buffer: response.body).contains("limit=\(bad)"))
                }
            }
        }
    }

    @Test func prometheusExpositionIsText() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("# TYPE salespulse_customers gauge"))
                #expect(text.contains("salespulse_customers 6.0"))
                #expect(text.contains("salespulse_process_health_index"))
            }
        }
    }
}

extension Data {
    init(buffer: ByteBuffer) { self.init(buffer.readableBytesView) }
}
