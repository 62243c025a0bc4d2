import Foundation
import ArgumentParser
import Testing
@testable import SalesPulseCLI
import SalesPulseRuntime

/// Command-line options are rejected before anything starts, with a message naming the option.
@Suite struct OptionValidationTests {
    @Test func prefetchTakesNoneOrAPositiveRecordCount() throws {
        #expect(try PrefetchOption.parse("none") == nil)
        #expect(try PrefetchOption.parse("200000") == 200_000)
        for text in ["0", "-5", "lots", "", "None"] {
            #expect(throws: ValidationError.self, "--prefetch \(text)") { try PrefetchOption.parse(text) }
        }
    }

    @Test(arguments: [("--group", "--group: expected a consumer group id"), ("--topic", "--topic: expected the input topic's name")])
    func anEmptyGroupOrTopicIsRefusedBeforeAnythingStarts(_ option: String, _ message: String) async throws {
        let command = try RunCommand.parse(["--bootstrap", "127.0.0.1:1", option, ""])
        await #expect(throws: ValidationError.self) { try await command.run() }
        do { try await command.run() } catch { #expect(SalesPulse.message(for: error).contains(message)) }
    }

    @Test func bootstrapTakesACommaSeparatedListOfBrokers() throws {
        #expect(try RunCommand.bootstrapServers("127.0.0.1:9092") == "127.0.0.1:9092")
        #expect(try RunCommand.bootstrapServers("a:1,b:2,kafka") == "a:1,b:2,kafka")
        for text in ["", ",", "a:1,", "a:1,,b:2", "a:1, b:2", " a:1"] {
            do {
                _ = try RunCommand.bootstrapServers(text)
                Issue.record("--bootstrap '\(text)' was accepted")
            } catch {
                #expect(SalesPulse.message(for: error).contains("--bootstrap '\(text)': expected brokers as HOST:PORT"), "\(text)")
            }
        }
    }

    @Test func aGroupThatCannotNameTopicsIsRefusedBeforeAnythingStarts() async throws {
        let command = try RunCommand.parse(["--bootstrap", "127.0.0.1:1", "--group", "war room"])
        do {
            try await command.run()
            Issue.record("a run started with group 'war room'")
        } catch {
            #expect(error is ValidationError, "\(error)")
            #expect(SalesPulse.message(for: error).contains("is not a valid Kafka topic name: it holds a space"), "\(SalesPulse.message(for: error))")
        }
    }

    @Test func replicationFactorTakesOneToKafkasLargest() throws {
        #expect(try RunCommand.replicationFactor(1) == 1)
        #expect(try RunCommand.replicationFactor(3) == 3)
        #expect(try RunCommand.replicationFactor(32_767) == 32_767)
        for value in [0, -1, 32_768] {
            do {
                _ = try RunCommand.replicationFactor(value)
                Issue.record("--replication-factor \(value) was accepted")
            } catch {
                #expect(SalesPulse.message(for: error).contains("--replication-factor \(value): expected 1 to 32767"), "\(value)")
            }
        }
        #expect(try RunCommand.parse(["--bootstrap", "127.0.0.1:1", "--replication-factor", "3"]).replicationFactor == 3)
    }

    @Test(arguments: [
        (["--kafka-property", "enable.auto.commit=true"], "--kafka-property enable.auto.commit=true: the Kafka client property enable.auto.commit cannot be set"),
        (["--kafka-property", "security.protocol"], "--kafka-property security.protocol: 'security.protocol' is not NAME=VALUE"),
        (["--kafka-property", "security.protocol=carrier-pigeon"], "security.protocol=carrier-pigeon rejected"),
        (["--kafka-config", "/nonexistent/client.properties"], "--kafka-config /nonexistent/client.properties: cannot read it"),
    ])
    func kafkaPropertiesAreCheckedBeforeAnythingStarts(_ options: [String], _ message: String) async throws {
        for command in ["run", "publish"] {
            let arguments = [command, "--bootstrap", "127.0.0.1:1"] + options + (command == "publish" ? ["events.jsonl"] : [])
            var parsed = try SalesPulse.parseAsRoot(arguments) as! any AsyncParsableCommand
            do {
                try await parsed.run()
                Issue.record("\(arguments) started")
            } catch {
                #expect(error is ValidationError, "\(arguments): \(error)")
                #expect(SalesPulse.message(for: error).contains(message), "\(arguments): \(SalesPulse.message(for: error))")
            }
        }
    }

    @Test func kafkaPropertiesFromAFileAndOptionsReachThePublisher() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("salespulse-client-\(UInt32.random(in: .min ... .max)).properties")
        try "# secured\r\nsecurity.protocol=SASL_SSL\r\nsasl.mechanisms=PLAIN\r\nsasl.username=alice\r\nsasl.password=secret\r\nclient.rack=a\r\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let command = try #require(try SalesPulse.parseAsRoot(["publish", "--bootstrap", "127.0.0.1:9092", "--kafka-config", file.path, "--kafka-property", "client.rack=b", "events.jsonl"]) as? PublishCommand)
        let properties = try command.producerConfiguration().librdkafkaProperties
        #expect(properties["security.protocol"] == "SASL_SSL")
        #expect(properties["client.rack"] == "b", "an option wins over the file")
        #expect(properties["enable.idempotence"] == "true")
    }

    @Test func sessionTimeoutTakesADurationFromTwoSecondsToAnHour() throws {
        #expect(try RunCommand.sessionTimeoutMilliseconds("4s") == 4_000)
        #expect(try RunCommand.sessionTimeoutMilliseconds("2000ms") == 2_000)
        #expect(try RunCommand.sessionTimeoutMilliseconds("1h") == 3_600_000)
        for text in ["1s", "1999ms", "61m", "0s", "10", "ten seconds", "", "-5s"] {
            do {
                _ = try RunCommand.sessionTimeoutMilliseconds(text)
                Issue.record("--session-timeout \(text) was accepted")
            } catch {
                #expect(SalesPulse.message(for: error).contains("--session-timeout \(text): expected a duration from 2s to 1h"), "\(text)")
            }
        }
    }

    @Test(arguments: [
        (["bench", "--kafka-runs", "full,nope"], "unknown run 'nope'"),
        (["bench", "--kafka-rounds", "0"], "--kafka-rounds must be 1 or more"),
        (["bench", "--repartition-partitions", "0"], "--repartition-partitions must be 1 or more"),
        (["bench", "--customers", "1000000"], "--customers must be 1 to 999999"),
        (["bench", "--process-runs", "remote"], "unknown run 'remote'"),
        (["bench", "--look-ahead", "full,psychic"], "--look-ahead: unknown mode 'psychic'"),
        (["bench", "--prefetch", "0"], "--prefetch 0"),
        (["bench", "--fold-threads", "0"], "--fold-threads must be 1 or more"),
        (["bench", "--publish-linger-ms=-1"], "--publish-linger-ms must be 0 or more"),
        (["bench", "--stages", "decode,alert"], "--stages: unknown stage 'alert'"),
        (["bench", "--bootstrap", "a:1, b:2"], "--bootstrap 'a:1, b:2': expected brokers as HOST:PORT"),
        (["bench", "--bootstrap", "127.0.0.1:9092", "--topic", ""], "--topic: expected the name of the topic --bootstrap measures"),
        (["bench", "--bootstrap", "127.0.0.1:9092", "--repartition-partitions", "8"], "--repartition-partitions: with --bootstrap the runtime finds or creates its repartition topics"),
        (["bench", "--rounds", "0"], "--rounds must be 1 or more"),
        (["bench", "--events", "0"], "--events must be 1 or more"),
        (["bench", "--kafka-events", "0"], "--kafka-events must be 1 or more"),
        (["bench", "--partitions=-2"], "--partitions must be 1 or more"),
        (["bench", "--latency-rate", "0"], "--latency-rate must be 1 or more"),
        (["bench", "--latency-seconds", "0"], "--latency-seconds must be 1 or more"),
        (["bench", "--latency-checkpoint-milliseconds", "0"], "--latency-checkpoint-milliseconds must be 1 or more"),
        (["bench", "--events-file", "/nonexistent/events.jsonl"], "--events-file /nonexistent/events.jsonl: no readable file there"),
        (["bench", "--kafka-property", "security.protocol=SSL"], "--kafka-config and --kafka-property set up the clients for --bootstrap's cluster"),
        (["bench", "--bootstrap", "127.0.0.1:9092", "--kafka-property", "enable.auto.commit=true"], "--kafka-property enable.auto.commit=true: the Kafka client property enable.auto.commit cannot be set"),
        (["bench", "--bootstrap", "127.0.0.1:9092", "--kafka-config", "/nonexistent/client.properties"], "--kafka-config /nonexistent/client.properties: cannot read it"),
    ])
    func benchRejectsABadOption(arguments: [String], message: String) {
        do {
            _ = try SalesPulse.parseAsRoot(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let text = SalesPulse.message(for: error)
            #expect(text.contains(message), "\(arguments): \(text)")
        }
    }

    @Test(arguments: ["-1", "900001", "soon"])
    func publishRejectsALingerOutsideLibrdkafkasRange(text: String) {
        do {
            _ = try SalesPulse.parseAsRoot(["publish", "--bootstrap", "127.0.0.1:9092", "--linger-ms=\(text)", "events.jsonl"])
            Issue.record("--linger-ms \(text) was accepted")
        } catch {
            #expect(SalesPulse.message(for: error).contains("--linger-ms"), "\(text)")
        }
    }

    @Test func publishLingersLikeABulkLoadUnlessToldOtherwise() throws {
        let byDefault = try #require(try SalesPulse.parseAsRoot(["publish", "--bootstrap", "127.0.0.1:9092", "events.jsonl"]) as? PublishCommand)
        #expect(try byDefault.producerConfiguration().librdkafkaProperties["linger.ms"] == "100")
        let told = try #require(try SalesPulse.parseAsRoot(["publish", "--bootstrap", "127.0.0.1:9092", "--linger-ms", "5", "events.jsonl"]) as? PublishCommand)
        #expect(try told.producerConfiguration().librdkafkaProperties["linger.ms"] == "5")
    }

    @Test func benchAcceptsItsDefaults() throws {
        let command = try SalesPulse.parseAsRoot(["bench", "--stages", "decode,alerts", "--kafka-rounds", "3"])
        let bench = try #require(command as? BenchCommand)
        #expect(bench.kafkaRounds == 3)
        #expect(try PrefetchOption.parse(bench.prefetch) == RuntimeConfiguration.defaultPrefetchRecords)
        #expect(bench.lookAhead == "full")
    }
}
