import Foundation
import Logging
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
import Synchronization

/// The cluster at start: reaching it, recognising the embedded broker, the topics it writes to.
extension ProjectorRuntime {
    /// Waits until the cluster answers a metadata request, for up to
    /// ``RuntimeConfiguration/clusterWaitMilliseconds``: a wrong `--bootstrap` or a cluster that
    /// is down is reported as such, where the start went on to wait for each repartition topic
    /// (up to 8.5 minutes, deaf to SIGTERM) and then blamed the topic. False when a stop was
    /// requested meanwhile.
    func reachCluster(with admin: KafkaAdmin) throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(configuration.clusterWaitMilliseconds)
        var failure: KafkaError?
        while !stopping.load(ordering: .acquiring) {
            let attempt = ContinuousClock.now
            do {
                _ = try admin.metadata(timeout: .seconds(1))
                return true
            } catch {
                failure = error
            }
            guard ContinuousClock.now < deadline else {
                throw KafkaError(code: .connection, isRetriable: true, librdkafkaName: failure?.librdkafkaName,
                                 message: "cannot reach the Kafka cluster at \(configuration.bootstrapServers) (no answer within \(DurationText.text(configuration.clusterWaitMilliseconds)): \(failure?.message ?? "no metadata"))",
                                 hint: "Check --bootstrap and that the brokers are up (`salespulse broker` starts an embedded one on 127.0.0.1).")
            }
            if ContinuousClock.now - attempt < .milliseconds(200) { Thread.sleep(forTimeInterval: 0.2) }
        }
        return false
    }

    /// Makes sure the topics the run writes to — dead letters and alerts — exist before anything
    /// is folded, created if missing (as the repartition topics, with the input topic's
    /// partition count). Throws, saying which topic and what to do, when one does not exist
    /// and cannot be created: its first record would have waited for it and, failing, ended
    /// the run, maybe days later at the first invalid event.
    func ensureOutputTopics(admin: KafkaAdmin, onEmbeddedBroker: Bool) throws {
        // Each with the partitions it is created with; nil: the input topic's count.
        var topics: [(topic: String, role: String, partitions: Int?)] = [
            (configuration.deadLetterTopic ?? DeadLetter.topic(for: configuration.topic), "dead-letter", nil),
            (configuration.alertsTopic, "alerts", nil),
        ]
        // Partition claims (with --http) are produced records too: one that cannot be delivered
        // ends the run. They are few, and every instance reads all of them: one partition.
        if directory != nil { topics.append((PartitionDirectory.topic(group: configuration.group), "membership", 1)) }
        let known = (try? admin.metadata().topics.filter { !$0.partitions.isEmpty && $0.error == nil }) ?? []
        let missing = topics.filter { wanted in !known.contains { $0.name == wanted.topic } }
        guard !missing.isEmpty else { return }
        if !onEmbeddedBroker {
            let inputPartitions = known.first { $0.name == configuration.topic }?.partitions.count ?? 1
            createTopics(missing.map { ($0.topic, $0.partitions ?? inputPartitions) }, admin: admin)
        }
        for (topic, role, _) in missing {
            let (partitions, error) = partitionCount(of: topic, admin: admin)
            guard partitions == 0, !stopping.load(ordering: .acquiring) else { continue }
            throw KafkaError(code: .admin, message: "the \(role) topic \(topic) does not exist and could not be created\(error.map { " (the cluster says: \($0))" } ?? "")",
                             hint: "Create it (any partition count), or let the cluster create topics (auto.create.topics.enable), or grant this client the ACLs to create it.")
        }
    }

    /// Asks the cluster to create `topics` (name, partitions) with
    /// ``RuntimeConfiguration/topicReplicationFactor``, or the cluster's own default when none is
    /// configured. A cluster that cannot take its default (Kafka before 2.4: KIP-464) is asked
    /// again with ``fallbackReplicationFactor(brokers:)``. What still fails is logged: a broker
    /// that creates topics automatically creates them on the metadata requests that follow, and
    /// the callers report a topic that is still missing then.
    func createTopics(_ topics: [(name: String, partitions: Int)], admin: KafkaAdmin) {
        let timeout = Duration.milliseconds(1_500)
        do {
            try admin.createTopics(Self.newTopics(topics, replicationFactor: configuration.topicReplicationFactor), timeout: timeout)
            return
        } catch where configuration.topicReplicationFactor == nil && error.code != .timedOut {
            let brokers = (try? admin.metadata(timeout: .seconds(1)))?.brokers.count ?? 1
            let factor = Self.fallbackReplicationFactor(brokers: brokers)
            logger.info("CreateTopics with the cluster's default replication factor failed (it needs Kafka 2.4 or later); asking for \(factor)", metadata: ["error": "\(error)"])
            do {
                try admin.createTopics(Self.newTopics(topics, replicationFactor: factor), timeout: timeout)
                return
            } catch {
                logger.info("CreateTopics failed; relying on automatic topic creation", metadata: ["error": "\(error)"])
            }
        } catch {
            logger.info("CreateTopics failed; relying on automatic topic creation", metadata: ["error": "\(error)"])
        }
    }

    /// The CreateTopics entries for `topics` (name, partitions), each with `replicationFactor`;
    /// nil asks for the cluster's `default.replication.factor` (-1 on the wire).
    static func newTopics(_ topics: [(name: String, partitions: Int)], replicationFactor: Int?) -> [KafkaNewTopic] {
        topics.map { KafkaNewTopic(name: $0.name, partitions: Int32($0.partitions), replicationFactor: Int32(replicationFactor ?? -1)) }
    }

    /// The replication factor asked of a cluster that cannot take its own default: three copies,
    /// as production clusters keep, or one per broker on a smaller cluster.
    static func fallbackReplicationFactor(brokers: Int) -> Int { max(1, min(3, brokers)) }

    /// The partition count of `topic` (0 while it does not exist, or the cluster reports an
    /// error for it: the last such error is returned), asked for a few seconds at most, each
    /// request bounded (a request that waited its default 10 s on a cluster gone away made 50
    /// tries take minutes), a stop heeded. A metadata request for a missing topic creates it on
    /// a broker that creates topics automatically.
    private func partitionCount(of topic: String, admin: KafkaAdmin) -> (partitions: Int, error: String?) {
        var count = 0
        var error: String?
        let deadline = ContinuousClock.now + .seconds(10)
        while count == 0 && ContinuousClock.now < deadline && !stopping.load(ordering: .acquiring) {
            let found = (try? admin.metadata(topic: topic, timeout: .seconds(1)))?.topics.first { $0.name == topic }
            error = found?.error ?? error
            count = found?.error == nil ? found?.partitions.count ?? 0 : 0
            if count == 0 { Thread.sleep(forTimeInterval: 0.1) }
        }
        return (count, count == 0 ? error : nil)
    }

    /// True for the cluster id of the embedded broker (librdkafka's mock cluster).
    static func isEmbeddedCluster(_ id: String) -> Bool { EmbeddedKafkaCluster.isEmbedded(clusterID: id) }

    /// The repartition topics of the configuration's counters, created if missing: through
    /// CreateTopics with the input topic's partition count, or — where the broker does not
    /// implement it (the embedded broker) — by the broker's automatic creation on a metadata
    /// request. Empty when counters are not repartitioned.
    func ensureRepartitionTopics(admin: KafkaAdmin, onEmbeddedBroker: Bool) throws -> [(topic: String, attribute: String, partitions: Int)] {
        guard configuration.repartitionCounters else { return [] }
        let attributes = Repartition.attributes(of: configuration.process)
        let topics = attributes.map { Repartition.topic(group: configuration.group, attribute: $0) }
        guard !topics.isEmpty else { return [] }
        // One read of every topic's metadata: which repartition topics exist, and the input's
        // partition count (a request naming a missing topic would create it on a broker that
        // creates topics automatically).
        let known = (try? admin.metadata().topics.filter { !$0.partitions.isEmpty }) ?? []
        let existing = Set(known.map(\.name))
        let inputPartitions = known.first { $0.name == configuration.topic }?.partitions.count
        // The partitions wanted: configured, or the input's.
        let wanted = configuration.repartitionPartitions ?? inputPartitions
        let missing = topics.filter { !existing.contains($0) }
        if !missing.isEmpty {
            let partitions = wanted
            // A controller creates topics in milliseconds. The embedded broker (librdkafka's mock
            // cluster) implements no CreateTopics: the request could only time out, which held
            // up every start by the timeout (5 s until session 21, then 1.5 s). There, and when
            // the request fails, the metadata requests below create the topics.
            if onEmbeddedBroker {
                logger.info("embedded broker: relying on automatic topic creation")
            } else {
                createTopics(missing.map { ($0, max(1, partitions ?? 1)) }, admin: admin)
            }
        }
        // Counter inputs are sent to explicit partitions: every instance needs the same counts.
        var partitionCounts: [Int] = []
        for topic in topics {
            let count = partitionCount(of: topic, admin: admin).partitions
            if stopping.load(ordering: .acquiring) { return [] }
            guard count > 0 else {
                throw KafkaError(code: .admin, message: "repartition topic \(topic) does not exist and could not be created", hint: "Create it with as many partitions as \(configuration.topic), or run with --no-repartition on a single instance.")
            }
            partitionCounts.append(count)
        }
        logger.info("repartitioning counters and rep exits",
                    metadata: ["topics": "\(topics.indices.map { "\(topics[$0]):\(partitionCounts[$0])" }.joined(separator: ","))"])
        // Fewer partitions than wanted is correct, but caps how many instances share the groups
        // (or, for the rep exits, the reps) a topic carries; the embedded broker creates missing
        // topics with 4. One notice for all such topics: a notice each was seven long lines at
        // every start on the embedded broker.
        let fewer = topics.indices.filter { partitionCounts[$0] < wanted ?? 0 }
        if let wanted, let fewest = fewer.map({ partitionCounts[$0] }).min() {
            let listed = fewer.map { "\(topics[$0]):\(partitionCounts[$0])" }.joined(separator: ",")
            logger.notice("repartition topics with fewer partitions than wanted: at most that many instances share the groups (or reps) each carries",
                          metadata: ["topics": "\(listed)", "wanted": "\(wanted)",
                                     "hint": "Create them beforehand with \(wanted) partitions (on the embedded broker: salespulse broker --repartition-for \(configuration.group):\(wanted) with this configuration), or run with --repartition-partitions \(fewest)."])
        }
        return topics.indices.map { (topics[$0], attributes[$0], partitionCounts[$0]) }
    }

    /// The input topic's partition count (nil when it cannot be read: rules then follow each
    /// repartitioned partition's own watermark).
    func inputPartitionCount(with admin: KafkaAdmin) -> Int? {
        do {
            if let count = try admin.metadata(topic: configuration.topic).topics.first(where: { $0.name == configuration.topic })?.partitions.count, count > 0 { return count }
        } catch {
            logger.warning("partition count of \(configuration.topic) unknown: counter rules follow each partition's own watermark", metadata: ["error": "\(error)"])
        }
        return nil
    }
}
