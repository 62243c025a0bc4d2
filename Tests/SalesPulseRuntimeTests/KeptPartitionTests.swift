import Foundation
import SalesPulseKafka
import SalesPulseModel
import Testing
@testable import SalesPulseRuntime

/// An eager rebalance revokes every partition, also those the member gets back: a partition
/// given back is taken back from memory while its checkpoint in place is the one written from
/// its state, and read from the folder when another checkpoint has replaced it.
@Suite struct KeptPartitionTests {
    typealias H = RuntimeHarness
    static let partition = KafkaTopicPartition(topic: "sales.events", partition: 3)

    /// A runtime (never started: the rebalances are handed to it directly) owning the partition
    /// with `records` records (tombstones: only the offset moves) folded.
    static func runtimeOwningThePartition(folded records: Int64) throws -> ProjectorRuntime {
        let runtime = try H.makeRuntime(bootstrap: "127.0.0.1:9", stateDirectory: H.temporaryDirectory())
        #expect(runtime.rebalance(.assigned([partition])) == [partition: 0])
        runtime.partitions.withLock { owned in
            for offset in 0..<records {
                _ = owned[partition]!.projector.process(value: nil, key: nil, offset: offset, recordTime: EventTime(epochMilliseconds: 0), decoder: EventDecoder())
            }
        }
        return runtime
    }

    @Test func aPartitionGivenBackIsTakenBackWithoutReadingItsCheckpoint() throws {
        let runtime = try Self.runtimeOwningThePartition(folded: 5)
        _ = runtime.rebalance(.revoked([Self.partition], lost: false))
        #expect(try runtime.store.read(topic: "sales.events", partition: 3)?.nextOffset == 5, "checkpointed on revocation")
        #expect(runtime.rebalance(.assigned([Self.partition])) == [Self.partition: 5])
        #expect(runtime.partitionsTakenBackAfterRevocation == 1)
        #expect(runtime.partitions.withLock { $0[Self.partition]?.projector.nextOffset } == 5)
    }

    @Test func aCheckpointReplacedMeanwhileIsReadInstead() throws {
        let runtime = try Self.runtimeOwningThePartition(folded: 5)
        _ = runtime.rebalance(.revoked([Self.partition], lost: false))
        // Another instance sharing the folder owned the partition meanwhile and got further.
        var further = PartitionProjector(topic: "sales.events", partition: 3, configuration: H.configuration)
        for offset in Int64(0)..<9 {
            _ = further.process(value: nil, key: nil, offset: offset, recordTime: EventTime(epochMilliseconds: 0), decoder: EventDecoder())
        }
        _ = try runtime.store.write(runtime.checkpoint(of: further))
        #expect(runtime.rebalance(.assigned([Self.partition])) == [Self.partition: 9])
        #expect(runtime.partitionsTakenBackAfterRevocation == 0)
    }

    @Test func aLostPartitionIsNotKept() throws {
        let runtime = try Self.runtimeOwningThePartition(folded: 5)
        _ = runtime.rebalance(.revoked([Self.partition], lost: true))
        // Nothing was checkpointed: the partition is rebuilt from the log.
        #expect(runtime.rebalance(.assigned([Self.partition])) == [Self.partition: 0])
        #expect(runtime.partitionsTakenBackAfterRevocation == 0)
    }

    @Test func aPartitionNotGivenBackIsLetGo() throws {
        let runtime = try Self.runtimeOwningThePartition(folded: 5)
        _ = runtime.rebalance(.revoked([Self.partition], lost: false))
        let other = KafkaTopicPartition(topic: "sales.events", partition: 4)
        #expect(runtime.rebalance(.assigned([other])) == [other: 0])
        #expect(runtime.kept.withLock { $0.isEmpty })
        // Given back a rebalance later, it is read from its checkpoint.
        _ = runtime.rebalance(.revoked([other], lost: false))
        #expect(runtime.rebalance(.assigned([Self.partition])) == [Self.partition: 5])
        #expect(runtime.partitionsTakenBackAfterRevocation == 0)
    }
}
