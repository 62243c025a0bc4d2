import Foundation

/// Which files a partition's checkpoint is on the disk — the full one's and the delta's over
/// it, if any —: each one's device, inode, size and modification time. Every checkpoint is a
/// new file renamed into place, so another identity means another checkpoint — written since by
/// this process or, in a shared state folder, by another instance.
public struct CheckpointFileIdentity: Sendable, Equatable {
    let full: FileStamp
    let delta: FileStamp?

    /// What tells one file from another.
    struct FileStamp: Sendable, Equatable {
        let device: UInt64
        let inode: UInt64
        let size: Int64
        let modifiedSeconds: Int64
        let modifiedNanoseconds: Int64
    }
}

extension CheckpointStore {
    /// The identity of the checkpoint in place for a partition; nil when there is none.
    public func identity(topic: String, partition: Int32) -> CheckpointFileIdentity? {
        guard let full = Self.stamp(ofFile: path(topic: topic, partition: partition)) else { return nil }
        return CheckpointFileIdentity(full: full, delta: Self.stamp(ofFile: deltaPath(topic: topic, partition: partition)))
    }

    /// A file's identity; nil when there is no such file.
    private static func stamp(ofFile file: String) -> CheckpointFileIdentity.FileStamp? {
        var info = stat()
        guard stat(file, &info) == 0 else { return nil }
        #if os(Linux)
        let modified = info.st_mtim
        #else
        let modified = info.st_mtimespec
        #endif
        return CheckpointFileIdentity.FileStamp(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modifiedSeconds: Int64(modified.tv_sec), modifiedNanoseconds: Int64(modified.tv_nsec)
        )
    }
}
