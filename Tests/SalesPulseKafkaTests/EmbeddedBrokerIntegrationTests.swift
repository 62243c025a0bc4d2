import Foundation
import Testing
@testable import SalesPulseKafka

/// Integration tests: real librdkafka clients talking the Kafka protocol over TCP to the
/// embedded broker (librdkafka's mock cluster) on 127.0.0.1.
@Suite(.serialized) struct EmbeddedBrokerIntegrationTests {
    @Test func roundTripKeepsKeysHeadersAndPerKeyOrderAcrossPartitions() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("roundtrip", partitions: 4)
        let total = 12_000
        let tally = try publish(total, to: "roundtrip", bootstrap: cluster.bootstrapServers)
        #expect(tally == KafkaDeliveryTally(delivered: total, failed: 0, firstError: nil))

        let harness = try ConsumerHarness(name: "rt", bootstrap: cluster.bootstrapServers, group: "rt", topics: ["roundtrip"], limit: total)
        harness.start()
        harness.waitUntilFinished()
        let seen = harness.seen
        #expect(seen.count == total)
        let sequences = seen.compactMap { $0.headers.string(named: "seq").flatMap(Int.init) }
        #expect(Set(sequences) == Set(0..<total))
        for record in seen {
            let sequence = Int(record.headers.string(named: "seq")!)!
            #expect(record.key == "key-\(sequence % 97)")
            #expect(record.value == "value-\(sequence)")
        }
        // A key always lands in one partition, in production order.
        let byKey = Dictionary(grouping: seen, by: { $0.key! })
        for (_, records) in byKey {
            #expect(Set(records.map(\.partition)).count == 1)
            let order = records.sorted { $0.offset < $1.offset }.map { Int($0.headers.string(named: "seq")!)! }
            #expect(order == order.sorted())
        }
        #expect(Set(seen.map(\.partition.partition)) == [0, 1, 2, 3])
        cluster.shutdown()
    }

    @Test func sendAwaitsTheDeliveryReport() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("acks", partitions: 2)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        let first = try await producer.send(KafkaOutgoingMessage(topic: "acks", partition: 1, key: "k", value: "v1"))
        let second = try await producer.send(KafkaOutgoingMessage(topic: "acks", partition: 1, key: "k", value: "v2"))
        #expect(first.topicPartition == KafkaTopicPartition(topic: "acks", partition: 1))
        #expect(second.offset == first.offset + 1)
        #expect(producer.tally.delivered == 2)
        await producer.shutdown()
    }

    @Test func rebalanceSplitsPartitionsAndEveryRecordIsConsumedExactlyOnce() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("rebalance", partitions: 6)
        let bootstrap = cluster.bootstrapServers
        _ = try publish(5_000, to: "rebalance", bootstrap: bootstrap)

        let first = try ConsumerHarness(name: "a", bootstrap: bootstrap, group: "grp", topics: ["rebalance"])
        first.start()
        #expect(await eventually { first.count == 5_000 })

        let second = try ConsumerHarness(name: "b", bootstrap: bootstrap, group: "grp", topics: ["rebalance"])
        second.start()
        #expect(await eventually { (try? second.consumer.assignment().count) ?? 0 > 0 && (try? first.consumer.assignment().count) ?? 6 < 6 })

        _ = try publish(5_000, from: 5_000, to: "rebalance", bootstrap: bootstrap)
        #expect(await eventually { first.count + second.count >= 10_000 })
        // Give a duplicate (if any) the chance to show up before stopping.
        try await Task.sleep(for: .milliseconds(500))
        first.stop()
        second.stop()

        let all = first.seen + second.seen
        let sequences = all.map { Int($0.headers.string(named: "seq")!)! }
        #expect(sequences.count == 10_000, "each record exactly once across the group")
        #expect(Set(sequences) == Set(0..<10_000))
        #expect(second.count > 0)
        #expect(first.seen.contains { Int($0.headers.string(named: "seq")!)! >= 5_000 })
        #expect(Set(first.seen.filter { $0.offset >= 0 && Int($0.headers.string(named: "seq")!)! >= 5_000 }.map(\.partition))
            .isDisjoint(with: Set(second.seen.map(\.partition))))
        #expect(first.rebalanceEvents.contains { if case .revoked = $0 { return true } else { return false } })
        cluster.shutdown()
    }

    @Test func committedOffsetsSurviveAConsumerRestart() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("restart", partitions: 2)
        let bootstrap = cluster.bootstrapServers
        _ = try publish(1_000, to: "restart", bootstrap: bootstrap)

        let before = try ConsumerHarness(name: "r1", bootstrap: bootstrap, group: "restart-group", topics: ["restart"], limit: 400)
        before.start()
        before.waitUntilFinished() // processed 400, stored their offsets, closed (commits)

        let after = try ConsumerHarness(name: "r2", bootstrap: bootstrap, group: "restart-group", topics: ["restart"])
        after.start()
        #expect(await eventually { after.count >= 600 })
        try await Task.sleep(for: .milliseconds(300))
        let committed = try after.consumer.committedOffsets(for: [KafkaTopicPartition(topic: "restart", partition: 0), KafkaTopicPartition(topic: "restart", partition: 1)])
        after.stop()

        let sequences = (before.seen + after.seen).map { Int($0.headers.string(named: "seq")!)! }
        #expect(before.count == 400)
        #expect(after.count == 600, "the second consumer resumes from the committed offsets")
        #expect(Set(sequences) == Set(0..<1_000))
        #expect(committed.values.reduce(0, +) > 0)
        cluster.shutdown()
    }

    @Test func producingToAMissingPartitionSurfacesAsASwiftError() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("small", partitions: 2)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        await #expect {
            _ = try await producer.send(KafkaOutgoingMessage(topic: "small", partition: 7, key: "k", value: "v"))
        } throws: { error in
            (error as? KafkaError)?.code == .unknownTopicOrPartition
        }
        await producer.shutdown()
    }

    @Test func aPreparedProducerKnowsATopicsPartitionsBeforeItsFirstRecord() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("prepared", partitions: 2)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        // A topic that does not exist is only logged.
        producer.prepare(topics: ["prepared", "prepared", "never-created"])
        // The partitions are known: a record for one the topic lacks is refused at once instead
        // of waiting, queued, for the client's next metadata scan.
        #expect {
            try producer.enqueue(KafkaOutgoingMessage(topic: "prepared", partition: 7, key: "k", value: "v"))
        } throws: { error in
            (error as? KafkaError)?.code == .unknownTopicOrPartition
        }
        let report = try await producer.send(KafkaOutgoingMessage(topic: "prepared", partition: 1, key: "k", value: "v"))
        #expect(report.topicPartition == KafkaTopicPartition(topic: "prepared", partition: 1))
        #expect(producer.tally == KafkaDeliveryTally(delivered: 1, failed: 0, firstError: nil))
        await producer.shutdown()
        cluster.shutdown()
    }

    @Test func anUnpreparedProducerQueuesARecordForAnUnknownTopic() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("unprepared", partitions: 2)
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.messageTimeoutMilliseconds = 5_000
        let producer = try KafkaProducer(configuration: configuration)
        // Without ``KafkaProducer/prepare(topics:timeout:)`` the client has not seen the topic:
        // the same record is queued and fails only once its metadata arrives.
        try producer.enqueue(KafkaOutgoingMessage(topic: "unprepared", partition: 7, key: "k", value: "v"))
        try? producer.flush(timeout: .seconds(10))
        #expect(producer.tally.failed == 1)
        await producer.shutdown()
        cluster.shutdown()
    }

    @Test func brokerSideErrorsSurfaceAsDeliveryErrors() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("denied", partitions: 1)
        try cluster.setTopicError("denied", errorName: "TOPIC_AUTHORIZATION_FAILED")
        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.messageTimeoutMilliseconds = 5_000
        let producer = try KafkaProducer(configuration: configuration)
        await #expect(throws: KafkaError.self) {
            _ = try await producer.send(KafkaOutgoingMessage(topic: "denied", key: "k", value: "v"))
        }
        #expect(producer.tally.failed == 1)
        await producer.shutdown()
    }

    @Test func metadataListsBrokersAndPartitionsButCreateTopicsIsUnsupportedByTheMock() async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 3)
        try cluster.createTopic("meta", partitions: 5, replicationFactor: 2)
        let admin = try KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: cluster.bootstrapServers))
        let metadata = try admin.metadata(topic: "meta")
        #expect(metadata.brokers.map(\.id) == [1, 2, 3])
        #expect(metadata.topics.first { $0.name == "meta" }?.partitions == [0, 1, 2, 3, 4])
        #expect {
            try admin.createTopics([KafkaNewTopic(name: "new", partitions: 1)], timeout: .seconds(1))
        } throws: { error in
            (error as? KafkaError)?.isRetriable == true
        }
        // How the runtime tells the embedded broker apart, to skip that request.
        #expect(admin.clusterID()?.hasPrefix("mockCluster") == true)
        cluster.shutdown()
    }

    /// -1 asks for the cluster's `default.replication.factor` (KIP-464): librdkafka sends it (the
    /// mock, which has no CreateTopics, lets the request time out), where a factor it cannot
    /// send is refused before anything goes out, naming the topic.
    @Test func createTopicsSendsTheClustersDefaultReplicationFactorAndRefusesAnImpossibleOne() async throws {
        let cluster = try EmbeddedKafkaCluster()
        let admin = try KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: cluster.bootstrapServers))
        _ = try admin.metadata()
        #expect {
            try admin.createTopics([KafkaNewTopic(name: "copies-default", partitions: 2, replicationFactor: -1)], timeout: .milliseconds(500))
        } throws: { error in
            (error as? KafkaError)?.code == .timedOut
        }
        // Refused locally (an .admin error, where a request sent to the mock times out).
        #expect {
            try admin.createTopics([KafkaNewTopic(name: "copies-impossible", partitions: 2, replicationFactor: -2)], timeout: .seconds(5))
        } throws: { error in
            (error as? KafkaError)?.code == .admin && "\(error)".contains("copies-impossible")
        }
        cluster.shutdown()
    }

    @Test func seekRereadsAndLagIsZeroOnceCaughtUp() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("seek", partitions: 1)
        _ = try publish(100, to: "seek", bootstrap: cluster.bootstrapServers)
        let result = try await DedicatedThread.run(name: "test.seek") { () throws -> (Int, [KafkaTopicPartition: Int64], Int) in
            let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: "seeker"))
            try consumer.subscribe(to: ["seek"])
            var read = 0
            let end = ContinuousClock.now + .seconds(60)
            while read < 100, ContinuousClock.now < end {
                read += try consumer.consumeBatch(timeout: .milliseconds(50)) { $0.count }
            }
            let lag = try consumer.lag()
            try consumer.seek([KafkaPartitionOffset(KafkaTopicPartition(topic: "seek", partition: 0), offset: 90)])
            var reread = 0
            while reread < 10, ContinuousClock.now < end {
                reread += try consumer.consumeBatch(timeout: .milliseconds(50)) { $0.count }
            }
            consumer.close()
            return (read, lag, reread)
        }
        #expect(result.0 == 100)
        #expect(result.1[KafkaTopicPartition(topic: "seek", partition: 0)] == 0)
        #expect(result.2 == 10)
        cluster.shutdown()
    }

    /// A stop request ends the consume thread's wait for records at once: the wait returns,
    /// empty, long before its timeout. An interrupt with no wait under way ends the next one;
    /// after close it does nothing.
    @Test func aWaitForRecordsEndsWhenInterruptedFromAnotherThread() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("quiet", partitions: 1)
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: "interrupted"))
        try consumer.subscribe(to: ["quiet"])
        let timeout = Duration.seconds(60)
        let waiting = Task {
            try await DedicatedThread.run(name: "test.interrupted") { () throws -> (Int, Duration) in
                let start = ContinuousClock.now
                let count = try consumer.consumeBatch(timeout: timeout) { $0.count }
                return (count, ContinuousClock.now - start)
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        consumer.interruptWait()
        let (count, waited) = try await waiting.value
        #expect(count == 0)
        #expect(waited < timeout)

        let next = try await DedicatedThread.run(name: "test.interrupted") { () throws -> Duration in
            consumer.interruptWait()
            let start = ContinuousClock.now
            _ = try consumer.consumeBatch(timeout: timeout) { $0.count }
            return ContinuousClock.now - start
        }
        #expect(next < timeout)
        try await DedicatedThread.run(name: "test.interrupted") { consumer.close() }
        consumer.interruptWait()
        cluster.shutdown()
    }

    /// A partition assigned at its end (as from a checkpoint taken after its last record) has
    /// no position in librdkafka until a new record arrives: its lag is known only from the
    /// offset it was assigned to start from. (The runtime's counter rules waited for such a
    /// partition to report being caught up: soak seed 26.)
    @Test func aPartitionAssignedAtItsEndHasNoLagUntilGivenItsStart() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("ended", partitions: 1)
        _ = try publish(20, to: "ended", bootstrap: cluster.bootstrapServers)
        let partition = KafkaTopicPartition(topic: "ended", partition: 0)
        let result = try await DedicatedThread.run(name: "test.ended") { () throws -> (read: Int, without: Int64?, with: Int64?) in
            let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: "at-the-end")) { event in
                guard case .assigned(let assigned) = event else { return [:] }
                return Dictionary(uniqueKeysWithValues: assigned.map { ($0, 20) })
            }
            try consumer.subscribe(to: ["ended"])
            var read = 0
            var lag: [KafkaTopicPartition: Int64] = [:]
            var started: [KafkaTopicPartition: Int64] = [:]
            // Until assigned and the high watermark is known (from the fetches at the end).
            let end = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < end {
                read += try consumer.consumeBatch(timeout: .milliseconds(50)) { $0.count }
                started = try consumer.lag { _ in 20 }
                if started[partition] != nil { break }
            }
            lag = try consumer.lag()
            consumer.close()
            return (read, lag[partition], started[partition])
        }
        #expect(result.read == 0)
        #expect(result.without == nil)
        #expect(result.with == 0)
        cluster.shutdown()
    }

    /// A bounded prefetch stops librdkafka's fetcher at the bound; the consumer wakes it once
    /// the queue has drained. A backlog of a hundred times the bound is read completely, each record
    /// once and in order per partition, and the wake-ups were needed to get there. With several
    /// brokers each wake-up reaches every leader of an assigned partition.
    @Test(arguments: [1, 3]) func aBoundedPrefetchReadsABacklogManyTimesItsBound(brokers: Int) async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: brokers)
        try cluster.createTopic("bounded", partitions: 6)
        // Leaders spread evenly: partition p is led by broker p % brokers + 1.
        for partition in 0..<6 { try cluster.setLeader(of: "bounded", partition: Int32(partition), to: Int32(partition % brokers + 1)) }
        let total = 20_000
        // Published in 40 flushed rounds of 500: at least 40 message sets per partition. The
        // embedded broker answers a fetch with one set per partition, ~500 records in all, more
        // than the bound: the fetcher stops after every fetch and must be woken about 40 times.
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        for round in 0..<40 {
            for index in (round * 500)..<((round + 1) * 500) {
                try producer.enqueue(KafkaOutgoingMessage(topic: "bounded", key: "key-\(index % 97)", value: "value-\(index)"))
            }
            try producer.flush(timeout: .seconds(60))
        }
        #expect(producer.tally.delivered == total)
        producer.close()
        let (sequences, offsetsInOrder, wakeups, targets) = try await DedicatedThread.run(name: "test.bounded") { () throws -> ([Int], Bool, Int, [KafkaTopicPartition]) in
            var configuration = KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: "bounded")
            configuration.boundedPrefetch = 200
            #expect(configuration.librdkafkaProperties["queued.min.messages"] == "200")
            let consumer = try KafkaConsumer(configuration: configuration, maxBatchSize: 100)
            try consumer.subscribe(to: ["bounded"])
            var sequences: [Int] = []
            var nextOffset: [Int32: Int64] = [:]
            var inOrder = true
            let end = ContinuousClock.now + .seconds(120)
            while sequences.count < total, ContinuousClock.now < end {
                try consumer.consumeBatch(timeout: .milliseconds(50)) { batch in
                    for record in batch {
                        if record.offset != nextOffset[record.partition, default: 0] { inOrder = false }
                        nextOffset[record.partition] = record.offset + 1
                        let text = record.value.map { String(decoding: $0, as: UTF8.self) } ?? ""
                        sequences.append(Int(text.dropFirst("value-".count)) ?? -1)
                    }
                }
            }
            let wakeups = consumer.fetchWakeups
            let targets = consumer.fetchWakeTargets()
            consumer.close()
            return (sequences, inOrder, wakeups, targets)
        }
        #expect(sequences.count == total)
        #expect(Set(sequences) == Set(0..<total))
        #expect(offsetsInOrder)
        #expect(wakeups > 0)
        // The lowest assigned partition of each leader: 0 alone, or 0, 1 and 2.
        #expect(targets == (0..<brokers).map { KafkaTopicPartition(topic: "bounded", partition: Int32($0)) })
        cluster.shutdown()
    }

    /// Prefetching is a cache hint: asking for any position — tombstones, large values, past the
    /// end of the batch — must leave every record reading as it did.
    @Test func prefetchingRecordsAheadChangesNothingRead() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("ahead", partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers))
        var sent: [String?] = []
        for index in 0..<60 {
            // Every seventh a tombstone; the others from 1 byte to several 64-byte lines long.
            let value: String? = index % 7 == 3 ? nil : String(repeating: "v\(index % 10)", count: 1 + index * 3)
            sent.append(value)
            try producer.enqueue(KafkaOutgoingMessage(topic: "ahead", partition: 0, key: "k\(index)", value: value))
        }
        try producer.flush(timeout: .seconds(30))
        producer.close()
        let read = try await DedicatedThread.run(name: "test.prefetch") { () throws -> [String?] in
            let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: "ahead"))
            try consumer.subscribe(to: ["ahead"])
            var values: [String?] = []
            let end = ContinuousClock.now + .seconds(60)
            while values.count < 60, ContinuousClock.now < end {
                try consumer.consumeBatch(timeout: .milliseconds(50)) { batch in
                    for position in batch.indices {
                        for ahead in [0, 1, 4, 16, batch.count, batch.count + 100] {
                            batch.prefetchHeader(at: position + ahead)
                            batch.prefetchValue(at: position + ahead)
                            batch.prefetchValue(at: position + ahead, lines: 1_000)
                        }
                        values.append(batch[position].value.map { String(decoding: $0, as: UTF8.self) })
                    }
                }
            }
            consumer.close()
            return values
        }
        #expect(read == sent)
        cluster.shutdown()
    }

    /// Fold threads free their records as they go: a released record is not freed again when the
    /// batch ends, releasing twice or out of range does nothing, and the records not released
    /// read as before.
    @Test func recordsReleasedInsideTheBatchAreFreedOnceAndTheOthersStayReadable() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("released", partitions: 1)
        let total = 500
        _ = try publish(total, to: "released", bootstrap: cluster.bootstrapServers)
        let (values, batches) = try await DedicatedThread.run(name: "test.release") { () throws -> ([String], Int) in
            let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: "released"), maxBatchSize: 64)
            try consumer.subscribe(to: ["released"])
            var values: [String] = []
            var batches = 0
            let end = ContinuousClock.now + .seconds(60)
            while values.count < total, ContinuousClock.now < end {
                try consumer.consumeBatch(timeout: .milliseconds(50)) { batch in
                    guard !batch.isEmpty else { return }
                    batches += 1
                    var read = [String?](repeating: nil, count: batch.count)
                    // Even positions first, each released once read, then the odd ones.
                    for position in stride(from: 0, to: batch.count, by: 2) {
                        read[position] = batch[position].value.map { String(decoding: $0, as: UTF8.self) }
                        batch.release(at: position)
                        batch.release(at: position)
                    }
                    batch.release(at: -1)
                    batch.release(at: batch.count)
                    for position in stride(from: 1, to: batch.count, by: 2) {
                        read[position] = batch[position].value.map { String(decoding: $0, as: UTF8.self) }
                    }
                    values += read.map { $0 ?? "" }
                }
            }
            consumer.close()
            return (values, batches)
        }
        #expect(values == (0..<total).map { "value-\($0)" })
        #expect(batches >= total / 64)
        cluster.shutdown()
    }

    @Test func fixedPortForwarderLetsClientsBootstrap() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("fwd", partitions: 1)
        let target = UInt16(cluster.bootstrapServers.split(separator: ",")[0].split(separator: ":")[1])!
        var forwarder: BootstrapForwarder?
        var port: UInt16 = 0
        for candidate in UInt16(39_100)..<UInt16(39_200) {
            if let made = try? BootstrapForwarder(listenPort: candidate, targetPort: target) {
                forwarder = made
                port = candidate
                break
            }
        }
        #expect(forwarder != nil)
        let tally = try publish(50, to: "fwd", bootstrap: "127.0.0.1:\(port)")
        #expect(tally.delivered == 50)
        forwarder?.stop()
        cluster.shutdown()
    }
}
