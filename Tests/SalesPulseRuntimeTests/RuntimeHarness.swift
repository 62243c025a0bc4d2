import Foundation
import Logging
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
@testable import SalesPulseRuntime

/// Helpers for runtime tests: a deterministic event script, publishing, and running a runtime
/// until it has seen a number of records.
enum RuntimeHarness {
    static let configuration = try! ConfigurationLoader.parse(yaml: yaml)

    static let yaml = """
    version: 1
    freshness: {horizon: 72h, keyFields: [latest_need]}
    activation: {window: 24h, requiredFields: [core_need]}
    flows:
      - id: academic
        steps:
          - id: visit
            sla: 72h
            actions:
              - {id: photo, evidence: {photo: true}}
              - {id: notes, evidence: {text: {min: 3, max: 200}}}
          - id: review
            sla: 72h
          - id: sign
    """

    static let base: Int64 = 1_772_413_200_000

    static func stamp(_ millis: Int64) -> String { EventTime(epochMilliseconds: millis).rfc3339UTC }

    /// A deterministic script of `customers × 6` valid events, in per-customer order.
    static func script(customers: Int, offsetHours: Int64 = 0) -> [(key: String, value: String)] {
        var events: [(String, String)] = []
        for round in 0..<6 {
            for index in 0..<customers {
                let customer = "cust-\(index)"
                let time = base + (offsetHours + Int64(round) * 20) * 3_600_000 + Int64(index)
                let id = "e-\(offsetHours)-\(round)-\(index)"
                let (type, data): (String, String) = switch round {
                case 0: ("sales.lead.created", #"{"channel":"wechat","contactMode":"visit"}"#)
                case 1: ("sales.step.entered", #"{"flow":"academic","step":"visit"}"#)
                case 2: index % 3 == 0 ? ("sales.field.updated", #"{"field":"core_need","value":"spine","previous":null}"#)
                                       : ("sales.action.completed", #"{"flow":"academic","step":"visit","action":"photo","evidence":{"photo":{"hash":"h","capturedAt":"\#(stamp(time - 1000))"}}}"#)
                case 3: ("sales.action.completed", #"{"flow":"academic","step":"visit","action":"notes","evidence":{"text":"pain \#(index)"}}"#)
                case 4: index % 4 == 0 ? ("sales.message.sent", #"{"channel":"sms"}"#) : ("sales.step.entered", #"{"flow":"academic","step":"review"}"#)
                default: ("sales.field.updated", #"{"field":"latest_need","value":"v\#(index)","previous":"old"}"#)
                }
                events.append((customer, #"{"specversion":"1.0","id":"\#(id)","source":"test","type":"\#(type)","time":"\#(stamp(time))","subject":"\#(customer)","repid":"rep-\#(index % 7)","region":"east","data":\#(data)}"#))
            }
        }
        return events
    }

    /// An embedded cluster whose `sales.events` has `partitions` partitions and holds the
    /// script of `customers` customers.
    static func clusterWithScript(partitions: Int, customers: Int) throws -> (cluster: EmbeddedKafkaCluster, script: [(key: String, value: String)]) {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("sales.events", partitions: partitions)
        let script = script(customers: customers)
        try publish(script, to: cluster.bootstrapServers)
        return (cluster, script)
    }

    static func publish(_ events: [(key: String, value: String)], to bootstrap: String, topic: String = "sales.events") throws {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: bootstrap))
        for event in events {
            try producer.enqueue(KafkaOutgoingMessage(topic: topic, key: event.key, value: event.value))
        }
        try producer.flush(timeout: .seconds(30))
        producer.close()
    }

    static func makeRuntime(bootstrap: String, stateDirectory: String, group: String = "g", process: ProcessConfiguration = Self.configuration, logger: Logger = Logger(label: "salespulse.runtime"),
                            adjust: (inout RuntimeConfiguration) -> Void = { _ in }) throws -> ProjectorRuntime {
        var configuration = RuntimeConfiguration(bootstrapServers: bootstrap, process: process)
        configuration.stateDirectory = stateDirectory
        configuration.group = group
        configuration.live = false // replay semantics: timers follow event time only
        configuration.checkpointIntervalMilliseconds = 300
        adjust(&configuration)
        return try ProjectorRuntime(configuration: configuration, logger: logger)
    }

    /// The folder of this test process's state folders, removed when the process exits: the
    /// folders of finished tests are not left behind in the system's temporary folder.
    static let temporaryRoot: String = {
        let path = NSTemporaryDirectory() + "salespulse-test-\(getpid())"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: RuntimeHarness.temporaryRoot) }
        return path
    }()

    /// A fresh, empty state folder under ``temporaryRoot``.
    static func temporaryDirectory() -> String {
        let path = temporaryRoot + "/\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Records seen (applied + duplicates + rejected) across runtimes.
    static func seen(_ runtimes: [ProjectorRuntime]) -> Int {
        runtimes.reduce(0) { total, runtime in
            let s = runtime.status().statistics
            return total + s.applied + s.duplicates + s.rejected
        }
    }

    /// Waits (bounded) until `condition` holds.
    static func eventually(_ deadline: Duration = .seconds(90), _ condition: () -> Bool) async -> Bool {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    /// Consumes a whole topic (for reading the DLQ and alerts).
    static func readAll(_ topic: String, bootstrap: String, expected: Int) throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(bootstrapServers: bootstrap, groupID: "reader-\(UUID().uuidString)"))
        try consumer.subscribe(to: [topic])
        var messages: [KafkaMessage] = []
        let end = ContinuousClock.now + .seconds(60)
        while messages.count < expected, ContinuousClock.now < end {
            try consumer.consumeBatch(timeout: .milliseconds(100)) { messages += $0.owned() }
        }
        consumer.close()
        return messages
    }
}
