import Foundation
import Testing
import SalesPulseKafka
import SalesPulseModel
@testable import SalesPulseRuntime

/// The outbox of one consumed batch: every forwarded input lands exactly once, in the order
/// added, in a batch for the partition its key hashes to; full batches are handed back at the
/// size limit, the rest drained in destination order — also for an attribute not listed.
@Suite struct RepartitionOutboxTests {
    @Test func everyInputLandsOnceInOrderAtItsKeysPartition() throws {
        let counts = ["region": 4, "repid": 64, "all": 1]
        var outbox = RepartitionOutbox(partitionCounts: counts, maxRecordBytes: 200)
        var generator = SystemRandomNumberGenerator()
        var sent: [(RepartitionOutbox.Destination, Repartition.CounterBatch)] = []
        var expected: [RepartitionOutbox.Destination: [Int64]] = [:]
        for offset in Int64(0)..<2_000 {
            let attribute = ["region", "repid", "all", "objection"].randomElement(using: &generator)!
            let key = attribute == "all" ? "all" : "\(attribute)-\(Int.random(in: 0..<50, using: &generator))"
            let input = Repartition.CounterInput(type: .objectionChosen, time: EventTime(epochMilliseconds: 1_772_413_200_000 + offset), attributes: [attribute: key])
            let partition = KafkaPartitioner.consistent.partition(of: key, partitions: counts[attribute] ?? 1)
            expected[RepartitionOutbox.Destination(attribute: attribute, partition: partition), default: []].append(offset)
            if let full = outbox.add(Repartition.Forward(attribute: attribute, key: key, input: input), from: 3, offset: offset) {
                #expect(full.1.bytes.count >= 200)
                sent.append(full)
            }
        }
        #expect(outbox.gathered == 2_000)
        #expect(!sent.isEmpty, "the size limit hands batches back before the end")
        let drained = outbox.drain()
        #expect(drained.map(\.0) == drained.map(\.0).sorted(), "drained in destination order")
        #expect(Set(drained.map(\.0)).count == drained.count, "one batch per destination")
        #expect(drained.allSatisfy { $0.1.bytes.count < 200 })
        #expect(outbox.drain().isEmpty, "draining empties the outbox")

        var landed: [RepartitionOutbox.Destination: [Int64]] = [:]
        for (destination, batch) in sent + drained {
            let entries = try #require(batch.bytes.withUnsafeBytes { Repartition.CounterBatch.entries(decoding: $0) })
            #expect(entries.count == batch.count)
            #expect(entries.allSatisfy { $0.partition == 3 })
            landed[destination, default: []] += entries.map(\.offset)
        }
        #expect(landed == expected)
    }
}
