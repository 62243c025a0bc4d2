import CRdKafka
import Testing
@testable import SalesPulseKafka

@Suite struct ErrorMappingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let code: Int32
        let expected: KafkaError.Code
        let retriable: Bool
        var testDescription: String { "\(code) → \(expected)" }
    }

    static let cases: [Case] = [
        Case(code: RD_KAFKA_RESP_ERR__TRANSPORT.rawValue, expected: .connection, retriable: true),
        Case(code: RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue, expected: .connection, retriable: true),
        Case(code: RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue, expected: .timedOut, retriable: true),
        Case(code: RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue, expected: .timedOut, retriable: true),
        Case(code: RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue, expected: .queueFull, retriable: true),
        Case(code: RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC.rawValue, expected: .unknownTopicOrPartition, retriable: false),
        Case(code: RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue, expected: .unknownTopicOrPartition, retriable: false),
        Case(code: RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION.rawValue, expected: .unknownTopicOrPartition, retriable: false),
        Case(code: RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue, expected: .connection, retriable: true),
        Case(code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, expected: .configuration, retriable: false),
        Case(code: RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue, expected: .delivery, retriable: false),
        Case(code: RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS.rawValue, expected: .consumerGroup, retriable: true),
        Case(code: RD_KAFKA_RESP_ERR__FATAL.rawValue, expected: .fatal, retriable: false),
        Case(code: RD_KAFKA_RESP_ERR__DESTROY.rawValue, expected: .closed, retriable: false),
    ]

    @Test(arguments: cases)
    func mapsLibrdkafkaCodes(_ testCase: Case) {
        let error = KafkaError.rdKafka(rd_kafka_resp_err_t(rawValue: testCase.code), context: "testing")
        #expect(error.code == testCase.expected)
        #expect(error.isRetriable == testCase.retriable)
        #expect(error.librdkafkaName != nil)
        #expect(error.message.hasPrefix("testing: "))
        #expect(!error.hint.isEmpty)
    }

    @Test func descriptionSaysWhatAndWhatToDo() {
        let error = KafkaError.rdKafka(RD_KAFKA_RESP_ERR__QUEUE_FULL, context: "producing to sales.events")
        #expect(error.description.contains("queue-full"))
        #expect(error.description.contains("_QUEUE_FULL"))
        #expect(error.description.contains("producing to sales.events"))
        #expect(error.description.contains("queue.buffering.max.messages"))
        #expect(error.description.contains("[retriable]"))
    }
}
