import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SalesPulseModel
import SalesPulseProjections

/// The HTTP surface: pull queries, the live SSE stream, Prometheus metrics, health, and the
/// dashboard page. Paths are versioned under `/v1`; errors are RFC 9457 problem+json.
/// Documented in `schemas/openapi.yaml`.
public struct SalesPulseHTTPServer: Sendable {
    public let queries: any ProjectionQueries
    public let hub: LiveEventHub

    public init(queries: any ProjectionQueries, hub: LiveEventHub) {
        self.queries = queries
        self.hub = hub
    }

    /// The router with every route.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let queries = self.queries
        let hub = self.hub
        let health = HealthIndexGauge()
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html)))
        }
        router.get("/healthz") { _, _ in JSONResponse.make(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            queries.isReady ? JSONResponse.make(["status": "ready"]) : JSONResponse.make(["status": "restoring partitions"], status: .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            var text = ""
            var described = Set<String>()
            let counters = queries.counters()
            for (name, help, value) in counters {
                let base = String(name.prefix { $0 != "{" })
                let type = base.hasSuffix("_total") ? "counter" : "gauge"
                if described.insert(base).inserted {
                    text += "# HELP \(base) \(help)\n# TYPE \(base) \(type)\n"
                }
                text += "\(name) \(value)\n"
            }
            let now = queries.currentTime()
            func counter(_ name: String) -> Double { counters.first { $0.0 == name }?.2 ?? 0 }
            let version = HealthIndexGauge.Version(applied: counter("salespulse_events_applied_total"), customers: counter("salespulse_customers"),
                                                   partitions: counter("salespulse_partitions_owned"), now: now)
            let phi = health.value(for: version) { queries.processHealthIndex(now: now) }
            text += "# HELP salespulse_process_health_index Process health index (0-100)\n# TYPE salespulse_process_health_index gauge\nsalespulse_process_health_index \(phi ?? 0)\n"
            // Operational metrics recorded through swift-metrics (records in/out, lag, latency…).
            text += queries.metricsExposition()
            // A closing comment (ignored by Prometheus) tells readers the body is complete.
            text += "# EOF\n"
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/v1/customers") { request, _ -> Response in
            let after = request.uri.queryParameters.get("after")
            var limit = CustomerPage.defaultLimit
            if let text = request.uri.queryParameters.get("limit") {
                guard let value = Int(text), (1...CustomerPage.maximumLimit).contains(value) else {
                    return Problem.badRequest("limit=\(text): give the number of customers per page, 1 to \(CustomerPage.maximumLimit)").response
                }
                limit = value
            }
            // The page's states are copied under the lock, their views made after it.
            var page = FirstByKey<CustomerState>(limit: limit)
            queries.forEachCustomerAddress { state in
                if let after, state.pointee.customer <= after { return }
                page.consider(key: state.pointee.customer) { state.pointee }
            }
            let organisation = queries.processConfiguration.organisation
            let customers = page.elements.map { CustomerView($0, organisation: organisation) }
            let next = page.total > customers.count ? customers.last?.customer : nil
            var response = JSONResponse.make(CustomerPage(customers: customers, next: next))
            response.headers[HTTPField.Name("SalesPulse-Total-Count")!] = String(page.total)
            return response
        }
        router.get("/v1/customers/:id") { request, context -> Response in
            let id = try context.parameters.require("id")
            if let state = queries.customer(id) { return JSONResponse.make(CustomerView(state, organisation: queries.processConfiguration.organisation)) }
            // Not here: with several instances, the key may belong to a partition another one owns.
            switch queries.locate(customer: id) {
            case .local:
                return Problem.notFound("no customer '\(id)': no event for this subject has been seen").response
            case .remote(let url, let instance, let partition):
                var response = Problem(status: .temporaryRedirect, title: "Owned by another instance",
                                       detail: "customer '\(id)' is in partition \(partition), owned by instance \(instance): follow Location").response
                response.headers[.location] = url + request.uri.description
                response.headers[HTTPField.Name("SalesPulse-Owner")!] = "\(instance); partition=\(partition)"
                return response
            case .unknown(let reason):
                return Problem.unavailable("customer '\(id)' is not in this instance's partitions and its owner is not known yet: \(reason); retry shortly").response
            }
        }
        router.get("/v1/flows/:flow") { request, context -> Response in
            let id = try context.parameters.require("flow")
            guard let flow = queries.processConfiguration.flow(named: id) else {
                return Problem.notFound("no flow '\(id)'; configured flows: \(queries.processConfiguration.flows.map(\.id).joined(separator: ", "))").response
            }
            let now: EventTime
            do throws(Problem) { now = try MetricsAsked.time(asked: request, queries) } catch { return error.response }
            return JSONResponse.make(FlowSummary.make(flow: flow, now: now, forEachCustomer: queries.forEachCustomerAddress))
        }
        router.get("/v1/metrics/:name") { request, context -> Response in
            let name = try context.parameters.require("name")
            guard MetricValues.names.contains(name) else {
                return Problem.notFound("no metric '\(name)'; available: \(MetricValues.names.joined(separator: ", "))").response
            }
            let asked: MetricsAsked
            do throws(Problem) { asked = try MetricsAsked(request, queries) } catch { return error.response }
            return JSONResponse.make(MetricResponse(metric: name, by: asked.grouping, at: asked.now.rfc3339UTC,
                                                    values: asked.values.mapValues { $0.value(named: name) }, customers: asked.values.mapValues(\.customers)))
        }
        router.get("/v1/metrics") { request, _ -> Response in
            let asked: MetricsAsked
            do throws(Problem) { asked = try MetricsAsked(request, queries) } catch { return error.response }
            let byMetric = Dictionary(uniqueKeysWithValues: MetricValues.names.map { name in (name, asked.values.mapValues { $0.value(named: name) }) })
            let weights = queries.processConfiguration.healthWeights
            return JSONResponse.make(MetricsResponse(by: asked.grouping, at: asked.now.rfc3339UTC, values: byMetric, customers: asked.values.mapValues(\.customers), sums: asked.sums,
                                                     healthWeights: ["compliance": weights.compliance, "freshness": weights.freshness, "effectiveness": weights.effectiveness]))
        }
        router.get("/v1/counters/:name") { request, context -> Response in
            let name = try context.parameters.require("name")
            guard let counter = queries.processConfiguration.counters.first(where: { $0.id == name }) else {
                return Problem.notFound("no counter '\(name)'; configured: \(queries.processConfiguration.counters.map(\.id).joined(separator: ", "))").response
            }
            let wantSeries: Bool
            switch request.uri.queryParameters.get("series") {
            case nil, "0", "false": wantSeries = false
            case "1", "true": wantSeries = true
            case let other?: return Problem.badRequest("series=\(other): use series=1 or series=0").response
            }
            var selection = CounterResponse.SeriesSelection.top(CounterResponse.defaultSeriesLimit)
            if let text = request.uri.queryParameters.get("limit") {
                guard let limit = Int(text), (1...CounterResponse.maximumSeriesLimit).contains(limit) else {
                    return Problem.badRequest("limit=\(text): give the number of groups to chart, 1 to \(CounterResponse.maximumSeriesLimit)").response
                }
                selection = .top(limit)
            }
            if let text = request.uri.queryParameters.get("groups") {
                let groups = text.split(separator: ",").map { String($0) }
                guard !groups.isEmpty, groups.count <= CounterResponse.maximumSeriesLimit else {
                    return Problem.badRequest("groups=\(text): name 1 to \(CounterResponse.maximumSeriesLimit) groups, separated by commas").response
                }
                selection = .named(groups)
            }
            return JSONResponse.make(CounterResponse.make(counter: counter, state: queries.counterState(name), now: queries.currentTime(), series: wantSeries ? selection : nil))
        }
        router.get("/v1/alerts") { request, _ -> Response in
            let state = request.uri.queryParameters.get("state") ?? "open"
            var since: EventTime?
            if let text = request.uri.queryParameters.get("since") {
                var millis: Int64 = 0
                guard let parsed = RFC3339.parse(text, into: &millis) else {
                    return Problem.badRequest("since=\(text) is not an RFC 3339 time with an offset, e.g. 2026-03-02T09:00:00+08:00").response
                }
                since = parsed
            }
            var limit = Int.max
            if let text = request.uri.queryParameters.get("limit") {
                guard let value = Int(text), value >= 1 else {
                    return Problem.badRequest("limit=\(text): give the largest number of alerts to return, 1 or more (the total is in the SalesPulse-Total-Count header)").response
                }
                limit = value
            }
            let page: (alerts: [Alert], total: Int)
            switch state {
            case "open": page = queries.openAlerts(since: since, limit: limit)
            case "resolved": page = Alert.page(hub.resolvedAlerts, since: since, limit: limit)
            default: return Problem.badRequest("state=\(state) is not supported; use state=open or state=resolved").response
            }
            return AlertList.response(page.alerts, total: page.total)
        }
        router.get("/v1/stream") { request, _ -> Response in
            let topics = Set((request.uri.queryParameters.get("topics") ?? "alerts,steps,status,counters").split(separator: ",").map(String.init))
            let unknown = topics.subtracting(["alerts", "steps", "status", "counters"])
            guard unknown.isEmpty else {
                return Problem.badRequest("unknown topics \(unknown.sorted().joined(separator: ",")); use alerts, steps, status, counters").response
            }
            let region = request.uri.queryParameters.get("region")
            var lastEventID: Int?
            if let header = request.headers[HTTPField.Name("Last-Event-ID")!] {
                guard let id = Int(header) else { return Problem.badRequest("Last-Event-ID must be an event id number").response }
                lastEventID = id
            }
            let stream = hub.subscribe(after: lastEventID, topics: topics)
            let body = ResponseBody { writer in
                try await writer.write(ByteBuffer(string: ": salespulse live stream\nretry: 2000\n\n"))
                for await event in stream where topics.contains(event.topic) && (region == nil || event.region == nil || event.region == region) {
                    try await writer.write(ByteBuffer(string: event.wireText))
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
        }
        return router
    }
}

/// `GET /v1/counters/{name}`: values per group now, and optionally one point per step of the
/// window (a second for windows up to an hour; see `CounterDefinition.resolutionSeconds`).
struct CounterResponse: Codable, Sendable {
    struct Point: Codable, Sendable {
        var at: String
        var values: [String: Double]
    }
    /// Which groups a series charts: a counter grouped by customer has one group per customer,
    /// and a series of all of them (3,600 points each) would be gigabytes.
    enum SeriesSelection: Sendable, Equatable {
        /// The groups with the highest current values (ties by name).
        case top(Int)
        /// These groups.
        case named([String])
    }

    static let defaultSeriesLimit = 20
    static let maximumSeriesLimit = 500

    var counter: String
    var at: String
    var windowSeconds: Int64
    var values: [String: Double]
    /// The groups charted by `series`, in the order chosen.
    var seriesGroups: [String]?
    var series: [Point]?

    static func make(counter: CounterDefinition, state: CounterState, now: EventTime, series selection: SeriesSelection?) -> CounterResponse {
        let values = state.values(at: now, counter: counter)
        var points: [Point]?
        var charted: [String]?
        if let selection {
            switch selection {
            case .top(let limit): charted = Array(values.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(limit).map(\.key))
            case .named(let groups): charted = groups
            }
            let step = counter.resolutionSeconds
            let count = Int(min(3_600, max(1, counter.windowMilliseconds / 1000 / step)))
            points = state.series(endingAt: now, stepSeconds: step, count: count, counter: counter, groups: Set(charted!)).enumerated().map { index, values in
                Point(at: now.adding(milliseconds: -Int64(count - 1 - index) * step * 1000).rfc3339UTC, values: values)
            }
        }
        return CounterResponse(counter: counter.id, at: now.rfc3339UTC, windowSeconds: counter.windowMilliseconds / 1000,
                               values: values, seriesGroups: charted, series: points)
    }
}

/// What a metrics route was asked for (`by`, `at`) and the sums and values that answer it.
struct MetricsAsked {
    /// `by`, or `overall`.
    var grouping: String
    /// The time the metrics are worked out at: `?at=` (RFC 3339 with an offset), else the
    /// projections' current time. Several instances asked with the same `at` give sums that
    /// add up to one instance's (each instance's own time is its partitions' watermark).
    var now: EventTime
    /// The sums behind the metrics, by group (the report's groupings are worked out only when
    /// `by` asks for one).
    var sums: [String: MetricSums]
    /// Every metric's value, by group.
    var values: [String: MetricValues]

    /// Reads `by` and `at` and works the sums out; a problem names a bad parameter.
    init(_ request: Request, _ queries: any ProjectionQueries) throws(Problem) {
        let by = request.uri.queryParameters.get("by")
        now = try Self.time(asked: request, queries)
        switch by {
        case nil: sums = ["overall": queries.overallMetrics(now: now)]
        case "rep": sums = queries.metrics(now: now).byRep
        case "team": sums = queries.metrics(now: now).byTeam
        case "region": sums = queries.metrics(now: now).byRegion
        case let other?: throw Problem.badRequest("by=\(other) is not supported; use by=rep, by=team or by=region, or leave it out for the overall values")
        }
        grouping = by ?? "overall"
        let weights = queries.processConfiguration.healthWeights
        values = sums.mapValues { MetricValues($0, weights: weights) }
    }

    /// `?at=` (RFC 3339 with an offset), else the projections' current time.
    static func time(asked request: Request, _ queries: any ProjectionQueries) throws(Problem) -> EventTime {
        guard let text = request.uri.queryParameters.get("at") else { return queries.currentTime() }
        var millis: Int64 = 0
        guard let time = RFC3339.parse(text, into: &millis) else {
            throw Problem.badRequest("at=\(text) is not an RFC 3339 time with an offset, e.g. 2026-03-02T09:00:00+08:00 (or leave it out for the projections' current time)")
        }
        return time
    }
}

/// `GET /v1/customers`: a page of the customers this instance owns, in id order.
struct CustomerPage: Codable, Sendable {
    static let defaultLimit = 1_000
    static let maximumLimit = 10_000
    /// The customers after the `after` asked for, at most `limit`, each as `/v1/customers/{id}`
    /// shows it.
    var customers: [CustomerView]
    /// The `after` of the next page: the last customer of this one, absent on the last page.
    var next: String?
}

/// `GET /v1/metrics`: every metric at once, by group.
struct MetricsResponse: Codable, Sendable {
    var by: String
    var at: String
    /// Metric name → group → value (null when the group has no data for it).
    var values: [String: [String: Double?]]
    var customers: [String: Int]
    /// Group → the sums the values are worked out from: instances' answers merge exactly by
    /// adding them (README, "Global views").
    var sums: [String: MetricSums]
    /// The configured weights of PHI's components, to work PHI out from merged sums.
    var healthWeights: [String: Double]
}

/// `GET /v1/metrics/{name}`: a metric's values by group.
struct MetricResponse: Codable, Sendable {
    var metric: String
    var by: String
    var at: String
    var values: [String: Double?]
    var customers: [String: Int]
}

/// RFC 3339 parsing for query parameters, through the same rules as events.
enum RFC3339 {
    static func parse(_ text: String, into millis: inout Int64) -> EventTime? {
        let json = #"{"specversion":"1.0","id":"q","source":"q","type":"sales.message.sent","time":"\#(text)","subject":"q","data":{"channel":"q"}}"#
        return try? EventDecoder().decode(json, referenceTime: EventTime(epochMilliseconds: Int64.max / 4)).time
    }
}
