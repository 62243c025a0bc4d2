import Foundation
import Testing
import SalesPulseModel
@testable import SalesPulseRuntime

/// A staged checkpoint is written and synced beside the one in place and replaces it only when
/// published: until then a restart reads the previous checkpoint (or none).
@Suite struct CheckpointStoreTests {
    static let configuration = ProcessConfiguration(flows: [FlowDefinition(id: "a", steps: [StepDefinition(id: "s")])])

    /// A projector that has read records up to `offset` (tombstones: only the offset moves).
    static func projector(through offset: Int64) -> PartitionProjector {
        var projector = PartitionProjector(topic: "sales.events", partition: 3, configuration: configuration)
        for next in 0...offset {
            _ = projector.process(value: nil, key: nil, offset: next, recordTime: EventTime(epochMilliseconds: 0), decoder: EventDecoder())
        }
        return projector
    }

    @Test func aStagedCheckpointReplacesTheOneInPlaceOnlyWhenPublished() throws {
        let store = try CheckpointStore(directory: RuntimeHarness.temporaryDirectory())
        let first = try store.stage(Self.projector(through: 4).checkpoint())
        #expect(try store.read(topic: "sales.events", partition: 3) == nil, "nothing is in place before the first publish")
        try store.publish([first])
        #expect(try store.read(topic: "sales.events", partition: 3)?.nextOffset == 5)

        let second = try store.stage(Self.projector(through: 9).checkpoint())
        #expect(try store.read(topic: "sales.events", partition: 3)?.nextOffset == 5, "the previous checkpoint stays in place while the next is staged")
        #expect(second.size > 0)
        try store.publish([second])
        #expect(try store.read(topic: "sales.events", partition: 3)?.nextOffset == 10)
        #expect(!FileManager.default.fileExists(atPath: store.path(topic: "sales.events", partition: 3) + ".tmp"), "no temporary file is left")
    }

    /// What a stop does when the records produced before its final checkpoint were not
    /// acknowledged: the staged files go, the checkpoints in place stand.
    @Test func aDiscardedCheckpointLeavesTheOneInPlaceAndNoFileBehind() throws {
        let store = try CheckpointStore(directory: RuntimeHarness.temporaryDirectory())
        try store.publish([store.stage(Self.projector(through: 4).checkpoint())])
        let later = try store.stage(Self.projector(through: 9).checkpoint())
        #expect(FileManager.default.fileExists(atPath: store.path(topic: "sales.events", partition: 3) + ".tmp"))
        store.discard([later])
        #expect(try store.read(topic: "sales.events", partition: 3)?.nextOffset == 5)
        #expect(!FileManager.default.fileExists(atPath: store.path(topic: "sales.events", partition: 3) + ".tmp"), "no temporary file is left")
    }

    @Test func publishingNothingChangesNothing() throws {
        let store = try CheckpointStore(directory: RuntimeHarness.temporaryDirectory())
        try store.write(Self.projector(through: 2).checkpoint())
        try store.publish([])
        #expect(try store.read(topic: "sales.events", partition: 3)?.nextOffset == 3)
    }
}
