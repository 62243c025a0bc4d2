import Foundation
import Testing
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
import SalesPulseRuntime
@testable import SalesPulseServer

/// Two instances of one consumer group, each with its own HTTP server: a customer query sent to
/// the instance that does not own the customer is redirected to the one that does.
@Suite struct MultiInstanceQueryTests {
    struct Instance: Sendable {
        let runtime: ProjectorRuntime
        let web: HTTPService
        let port: Int
        let running: Task<Void, any Error>
        let serving: Task<Void, any Error>
    }

    /// The folder of this test process's state folders, removed when the process exits.
    static let temporaryRoot: String = {
        let path = NSTemporaryDirectory() + "salespulse-multi-\(getpid())"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: MultiInstanceQueryTests.temporaryRoot) }
        return path
    }()

    static func start(bootstrap: String, process: ProcessConfiguration, name: String, port: Int) throws -> Instance {
        var configuration = RuntimeConfiguration(bootstrapServers: bootstrap, process: process)
        configuration.stateDirectory = temporaryRoot + "/\(UUID().uuidString)"
        configuration.group = "multi"
        configuration.instanceID = name
        configuration.advertisedURL = "http://127.0.0.1:\(port)"
        let runtime = try ProjectorRuntime(configuration: configuration)
        let web = HTTPService(server: SalesPulseHTTPServer(queries: runtime, hub: LiveEventHub()), host: "127.0.0.1", port: port)
        return Instance(runtime: runtime, web: web, port: port, running: Task { try await runtime.run() }, serving: Task { try await web.run() })
    }

    static func get(_ port: Int, _ path: String) throws -> String {
        try LoopbackSSEClient.readRaw(port: port, path: path, until: "\r\n\r\n", count: 1)
    }

    @Test func aQueryForACustomerOwnedElsewhereIsRedirectedToItsOwner() async throws {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 6)
        let process = try ConfigurationLoader.load(path: ServerTests.repository.appendingPathComponent("deploy/config/salespulse.yaml").path)
        // The advertised URL needs the port before the server starts: pick one below Linux's
        // ephemeral range (32768-60999), where brokers and client sockets never land.
        let base = 21_000 + Int.random(in: 0..<2_000) * 2
        let a = try Self.start(bootstrap: cluster.bootstrapServers, process: process, name: "instance-a", port: base)
        let b = try Self.start(bootstrap: cluster.bootstrapServers, process: process, name: "instance-b", port: base + 1)
        // Queried only once both listen: a server started late under load refused the first
        // query, and one that cannot bind says so here.
        _ = try await a.web.waitUntilListening(timeout: listenWait)
        _ = try await b.web.waitUntilListening(timeout: listenWait)

        let customers = (0..<60).map { "cust-\($0)" }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        for (index, customer) in customers.enumerated() {
            let json = #"{"specversion":"1.0","id":"m-\#(index)","source":"test","type":"sales.step.entered","time":"2026-03-02T01:00:00Z","subject":"\#(customer)","repid":"rep-0001","data":{"flow":"academic","step":"dept_visit"}}"#
            try producer.enqueue(KafkaOutgoingMessage(topic: "sales.events", key: customer, value: json))
        }
        try producer.flush(timeout: .seconds(30))
        producer.close()

        // Wait (bounded) until the group has settled: both instances own partitions, every
        // customer is folded somewhere, and each directory has both claims.
        @Sendable func settled() -> Bool {
            // Input partitions only (the counters' repartition topics are shared out too).
            let owned = [a, b].map { $0.runtime.status().partitions.filter { $0.topic == "sales.events" }.count }
            let folded = customers.filter { a.runtime.customer($0) != nil || b.runtime.customer($0) != nil }.count
            let claims = [a, b].map { $0.runtime.directory!.allClaims.filter { !$0.partitions.isEmpty }.count }
            return owned.allSatisfy { $0 > 0 } && owned.reduce(0, +) == 6 && folded == customers.count && claims == [2, 2]
        }
        // Under load the group may rebalance again while we query: each attempt waits for a
        // settled group and checks everything against the ownership of that moment.
        @Sendable func attempt() throws -> [String] {
            var problems: [String] = []
            func check(_ condition: Bool, _ what: String) { if !condition { problems.append(what) } }
            guard let atB = customers.first(where: { b.runtime.customer($0) != nil }), let atA = customers.first(where: { a.runtime.customer($0) != nil }) else { return ["no customer on each side"] }
            check(a.runtime.locate(customer: atB) == .remote(url: "http://127.0.0.1:\(b.port)", instance: "instance-b", partition: KafkaPartitioner.consistent.partition(of: atB, partitions: 6)), "A locates \(atB) at B")
            check(a.runtime.locate(customer: atA) == .local, "A locates \(atA) here")
            let redirected = try Self.get(a.port, "/v1/customers/\(atB)")
            check(redirected.hasPrefix("HTTP/1.1 307"), "307 from A: \(redirected)")
            check(redirected.lowercased().contains("location: http://127.0.0.1:\(b.port)/v1/customers/\(atB)"), "Location at B: \(redirected)")
            check(redirected.lowercased().contains("salespulse-owner: instance-b"), "owner header: \(redirected)")
            let answered = try LoopbackSSEClient.readRaw(port: b.port, path: "/v1/customers/\(atB)", until: "\"customer\"", count: 1)
            check(answered.hasPrefix("HTTP/1.1 200") && answered.contains(atB), "200 from B: \(answered.prefix(300))")
            // The other way round, and a customer nobody has seen in a partition A owns: 404.
            check(try Self.get(b.port, "/v1/customers/\(atA)").hasPrefix("HTTP/1.1 307"), "307 from B")
            if let unseen = (0..<1_000).map({ "nobody-\($0)" }).first(where: { a.runtime.locate(customer: $0) == .local }) {
                check(try Self.get(a.port, "/v1/customers/\(unseen)").hasPrefix("HTTP/1.1 404"), "404 for \(unseen)")
            }
            return problems
        }
        var problems: [String] = ["not settled"]
        for _ in 0..<5 where !problems.isEmpty {
            let deadline = ContinuousClock.now + .seconds(60)
            while !settled() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            // Blocking socket reads run on their own thread, off the cooperative pool.
            problems = settled() ? try await DedicatedThread.run(name: "test.http", attempt) : ["group did not settle"]
            if !problems.isEmpty { print("multi-instance attempt: \(problems)") }
        }
        #expect(problems.isEmpty, "\(problems)")

        for instance in [a, b] {
            instance.runtime.stop()
            try await instance.running.value
            await instance.web.shutdown()
            _ = try? await instance.serving.value
        }
    }
}
