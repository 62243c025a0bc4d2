import Logging
import SalesPulseKafka
import SalesPulseRuntime
import Testing

/// The group consumer's session timeout: configured, or chosen by the kind of broker — the
/// embedded broker holds every rebalance of a group for the session timeout less a second, so a
/// shorter one there lets partitions move sooner when instances come and go.
@Suite(.serialized) struct SessionTimeoutTests {
    typealias H = RuntimeHarness

    @Test func theDefaultDependsOnTheBrokerAndAConfiguredValueWinsOnBoth() {
        var configuration = RuntimeConfiguration(bootstrapServers: "127.0.0.1:9092", process: H.configuration)
        #expect(configuration.sessionTimeoutMilliseconds(onEmbeddedBroker: false) == 10_000)
        #expect(configuration.sessionTimeoutMilliseconds(onEmbeddedBroker: true) == 4_000)
        configuration.sessionTimeoutMilliseconds = 7_000
        #expect(configuration.sessionTimeoutMilliseconds(onEmbeddedBroker: false) == 7_000)
        #expect(configuration.sessionTimeoutMilliseconds(onEmbeddedBroker: true) == 7_000)
    }

    /// What the runtime logs as it joins the group on the embedded broker, with `configured`.
    static func joining(configured: Int?) async throws -> [String: String] {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        try cluster.createTopic("sales.events", partitions: 2)
        let recorder = LogRecorder()
        let runtime = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: H.temporaryDirectory(), group: "sessions",
                                        logger: Logger(label: "salespulse.runtime") { _ in recorder }) { $0.sessionTimeoutMilliseconds = configured }
        let running = Task { try await runtime.run() }
        let joined = await H.eventually { recorder.records.contains { $0.message == "joining the group" } }
        runtime.stop()
        try await running.value
        #expect(joined)
        return recorder.records.first { $0.message == "joining the group" }?.metadata ?? [:]
    }

    @Test func onTheEmbeddedBrokerTheGroupIsJoinedWithTheShorterTimeout() async throws {
        let metadata = try await Self.joining(configured: nil)
        #expect(metadata["session.timeout.ms"] == "4000")
        #expect(metadata["kafka.cluster"]?.hasPrefix("mockCluster") == true, "\(metadata)")
    }

    @Test func aConfiguredTimeoutIsTheOneUsed() async throws {
        let metadata = try await Self.joining(configured: 12_000)
        #expect(metadata["session.timeout.ms"] == "12000")
    }
}
