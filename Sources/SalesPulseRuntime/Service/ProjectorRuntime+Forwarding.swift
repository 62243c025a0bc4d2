import Foundation
import Logging
import SalesPulseKafka
import SalesPulseModel
import SalesPulseProjections
import Synchronization

/// Records sent to the repartition topics: counter-input batches, rep exits and the input
/// partitions' progress.
extension ProjectorRuntime {
    /// How far the input partitions this instance owns have got: the watermark (in live mode, a
    /// partition idle for longer than ``RuntimeConfiguration/idleAfterMilliseconds`` advances
    /// with the wall clock, as its timers do) and whether it was read to the end of its log. A
    /// partition read to its end is as far as the instance's latest input partition: it has
    /// nothing before that to send now (so a replay whose partitions end at different times is
    /// judged to the end: ``PartitionProjector/completeThrough(sources:)`` goes only a few hours
    /// past a partition read to its end).
    func inputProgress(lag: [KafkaTopicPartition: Int64], lastEventWallClock: [KafkaTopicPartition: Int64]) -> [Repartition.Progress.Source] {
        let now = Self.wallClockMilliseconds()
        return partitions.withLock { owned in
            let inputs = owned.keys.filter { $0.topic == configuration.topic }.sorted()
            let latest = inputs.compactMap { owned[$0]!.projector.watermark }.max()
            return inputs.map { key in
                var watermark = owned[key]!.projector.watermark
                if configuration.live && now - (lastEventWallClock[key] ?? 0) > configuration.idleAfterMilliseconds {
                    watermark = max(watermark ?? EventTime(epochMilliseconds: now), EventTime(epochMilliseconds: now))
                }
                let caughtUp = lag[key] == 0
                if caughtUp, let latest { watermark = max(watermark ?? latest, latest) }
                return Repartition.Progress.Source(partition: key.partition, watermark: watermark, caughtUp: caughtUp)
            }
        }
    }

    /// Sends the progress of this instance's input partitions to every partition of the
    /// repartition topics: the counters' (whose rules are judged up to where every input
    /// partition has got) and the rep exits' (whose N-in-a-row alerts wait likewise).
    func sendProgress(_ sources: [Repartition.Progress.Source], to topics: [(topic: String, attribute: String, partitions: Int)], with producer: KafkaProducer) throws {
        guard !sources.isEmpty else { return }
        let value = Repartition.Progress(sources: sources).bytes
        for topic in topics {
            for partition in 0..<topic.partitions {
                try producer.enqueue(KafkaOutgoingMessage(topic: topic.topic, partition: Int32(partition), key: nil, value: value,
                                                          headers: [KafkaHeader(name: "salespulse-source", string: configuration.topic)]))
            }
        }
    }

    /// The record carrying a batch of counter inputs to a partition of a repartition topic.
    func counterBatchRecord(_ batch: Repartition.CounterBatch, to destination: RepartitionOutbox.Destination) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(topic: Repartition.topic(group: configuration.group, attribute: destination.attribute), partition: destination.partition, key: nil, value: batch.bytes,
                             headers: [KafkaHeader(name: "salespulse-source", string: configuration.topic)])
    }

    /// The record forwarded to the rep-exits topic for a rep's exit from a watched step.
    func exitRecord(_ forward: Repartition.ExitForward, of record: KafkaRecord) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(topic: Repartition.topic(group: configuration.group, attribute: Repartition.repExits), key: Array(forward.exit.rep.utf8), value: forward.encoded,
                                    headers: [KafkaHeader(name: "salespulse-source", string: "\(configuration.topic)/\(record.partition)/\(record.offset)")])
    }
}
