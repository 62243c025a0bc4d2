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
        #expect(second.temporary.hasPrefix(store.path(topic: "sales.events", partition: 3) + ".tmp-\(getpid())-"), "staged under a name of this process's")
        try store.publish([second])
        #expect(try store.read(topic: "sales.events", partition: 3)?.nextOffset == 10)
        #expect(!FileManager.default.fileExists(atPath: second.temporary), "no temporary file is left")
    }

    /// What a stop does when the records produced before its final checkpoint were not
    /// acknowledged: the staged files go, the checkpoints in place stand.
    @Test func aDiscardedCheckpointLeavesTheOneInPlaceAndNoFileBehind() throws {
        let store = try CheckpointStore(directory: RuntimeHarness.temporaryDirectory())
        try store.publish([store.stage(Self.projector(through: 4).checkpoint())])
        let later = try store.stage(Self.projector(through: 9).checkpoint())
        #expect(FileManager.default.fileExists(atPath: later.temporary))
        store.discard([later])
        #expect(try store.read(topic: "sales.events", partition: 3)?.nextOffset == 5)
        #expect(!FileManager.default.fileExists(atPath: later.temporary), "no temporary file is left")
    }

    /// A writer killed while it wrote leaves its temporary file: the next store over the folder
    /// removes it once it is old enough that no live writer can still be at it.
    @Test func temporaryFilesLeftByDeadWritersAreRemovedAndFreshOnesKept() throws {
        let directory = RuntimeHarness.temporaryDirectory()
        let stale = directory + "/sales.events-1.ckpt.tmp-123-abc"
        let older = directory + "/sales.events-2.ckpt.tmp"
        let fresh = directory + "/sales.events-3.ckpt.tmp-456-def"
        let other = directory + "/notes.tmp"
        for file in [stale, older, fresh, other] { #expect(FileManager.default.createFile(atPath: file, contents: Data([1, 2, 3]))) }
        let longAgo = Date().addingTimeInterval(-CheckpointStore.staleTemporaryAge - 5)
        for file in [stale, older, other] { try FileManager.default.setAttributes([.modificationDate: longAgo], ofItemAtPath: file) }
        _ = try CheckpointStore(directory: directory)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(!FileManager.default.fileExists(atPath: older))
        #expect(FileManager.default.fileExists(atPath: fresh), "a write in flight elsewhere is left alone")
        #expect(FileManager.default.fileExists(atPath: other), "only checkpoints' temporary files are touched")
    }

    @Test func aFolderThatCannotBeCreatedIsRefusedWithWhatToDo() throws {
        // A file stands where a folder of the path should be.
        let file = RuntimeHarness.temporaryDirectory() + "/plain-file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        let error = #expect(throws: StateFolderError.self) { try CheckpointStore(directory: file + "/state/g") }
        #expect(error?.path == file + "/state/g")
        #expect(error?.description.contains("cannot be created") == true)
        #expect(error?.description.contains("--state-dir") == true)
        let onFile = #expect(throws: StateFolderError.self) { try CheckpointStore(directory: file) }
        #expect(onFile?.reason == "is a file, not a folder")
    }

    /// What the final checkpoint does: its files staged without syncing while a thread of its
    /// own syncs them, then put in place once all are synced.
    @Test func filesStagedWithoutSyncingAreSyncedByAnotherThreadThenPublished() throws {
        let store = try CheckpointStore(directory: RuntimeHarness.temporaryDirectory())
        let syncs = StagedFileSyncs(store: store)
        let staged = try store.stage(Self.projector(through: 6).checkpoint(), syncing: false)
        syncs.sync(staged)
        #expect(syncs.waitForAll() == nil)
        #expect(try store.read(topic: "sales.events", partition: 3) == nil, "synced, not yet in place")
        try store.publish([staged])
        #expect(try store.read(topic: "sales.events", partition: 3)?.nextOffset == 7)
    }

    @Test func aFileThatCannotBeSyncedIsReportedWithItsPath() throws {
        let store = try CheckpointStore(directory: RuntimeHarness.temporaryDirectory())
        let syncs = StagedFileSyncs(store: store)
        let staged = try store.stage(Self.projector(through: 6).checkpoint(), syncing: false)
        let gone = try store.stage(Self.projector(through: 8).checkpoint(), syncing: false)
        store.discard([gone]) // removed under the syncer's feet
        syncs.sync(staged)
        syncs.sync(gone)
        let failure = try #require(syncs.waitForAll() as? CheckpointError)
        #expect(failure.description.contains(gone.temporary), "\(failure)")
        #expect(failure.description.contains("cannot open to sync"), "\(failure)")
    }

    @Test func publishingNothingChangesNothing() throws {
        let store = try CheckpointStore(directory: RuntimeHarness.temporaryDirectory())
        try store.write(Self.projector(through: 2).checkpoint())
        try store.publish([])
        #expect(try store.read(topic: "sales.events", partition: 3)?.nextOffset == 3)
    }
}
