import Foundation
import Testing
import SalesPulseKafka
@testable import SalesPulseRuntime

/// `salespulse_consumer_lag` has a series for each partition the instance owns, and none for a
/// partition that moved away (a series left behind kept its last value, often 0, and a script
/// waiting for every partition to be caught up counted a partition no instance folded yet).
@Suite(.serialized) struct LagMetricTests {
    typealias H = RuntimeHarness

    /// The partitions of `topic` with a lag series in `exposition`, and their values.
    static func lagSeries(_ exposition: String, topic: String = "sales.events") -> [Int32: Double] {
        var series: [Int32: Double] = [:]
        for line in exposition.split(separator: "\n") where line.hasPrefix("salespulse_consumer_lag{") && line.contains("topic=\"\(topic)\"") {
            guard let start = line.range(of: "partition=\""), let end = line[start.upperBound...].firstIndex(of: "\""),
                  let partition = Int32(line[start.upperBound..<end]), let value = Double(line.split(separator: " ").last ?? "") else { continue }
            series[partition] = value
        }
        return series
    }

    static func partition(_ number: Int32) -> KafkaTopicPartition { KafkaTopicPartition(topic: "sales.events", partition: number) }

    @Test func aPartitionLeftOutOfTheLagsLosesItsSeries() {
        let metrics = RuntimeMetrics(inputTopic: "sales.events")
        metrics.record(lags: [Self.partition(0): 5, Self.partition(1): 0, Self.partition(2): 7])
        #expect(Self.lagSeries(metrics.exposition()) == [0: 5, 1: 0, 2: 7])
        metrics.record(lags: [Self.partition(1): 3])
        #expect(Self.lagSeries(metrics.exposition()) == [1: 3])
    }

    @Test func forgottenPartitionsLoseTheirSeries() {
        let metrics = RuntimeMetrics(inputTopic: "sales.events")
        metrics.record(lags: [Self.partition(0): 0, Self.partition(1): 0])
        metrics.record(lags: [Self.partition(1): 0])
        #expect(Self.lagSeries(metrics.exposition()) == [1: 0])
        metrics.record(lags: [Self.partition(0): 2, Self.partition(1): 0])
        #expect(Self.lagSeries(metrics.exposition()) == [0: 2, 1: 0], "a partition owned again has a series again")
    }

    @Test func anInstanceShowsTheLagsOfThePartitionsItOwnsAfterAnotherJoins() async throws {
        let (cluster, script) = try H.clusterWithScript(partitions: 4, customers: 40)
        defer { cluster.shutdown() }
        let directory = H.temporaryDirectory()
        let first = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: directory, group: "lags")
        let runningFirst = Task { try await first.run() }
        #expect(await H.eventually { Self.lagSeries(first.metrics.exposition()).count == 4 && first.status().statistics.applied == script.count })

        let second = try H.makeRuntime(bootstrap: cluster.bootstrapServers, stateDirectory: directory, group: "lags")
        let runningSecond = Task { try await second.run() }
        // Once the first has ticked with its new share (lags are read once a second), its
        // series are those of the partitions it owns, and only those (with the series of the
        // partitions that moved left behind, this never holds).
        #expect(await H.eventually {
            let owned = Set(first.status().partitions.filter { $0.topic == "sales.events" }.map(\.partition))
            return owned.count == 2 && second.status().partitions.count == 2
                && Set(Self.lagSeries(first.metrics.exposition()).keys) == owned
                && Set(first.consumerLag.keys.filter { $0.topic == "sales.events" }.map(\.partition)) == owned
        })
        second.stop()
        try await runningSecond.value
        first.stop()
        try await runningFirst.value
    }
}
