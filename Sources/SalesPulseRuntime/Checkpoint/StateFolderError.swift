import Foundation

/// The checkpoint folder cannot be used: it cannot be created, or this process may not write in
/// it. Raised before anything starts, rather than a failed write at every checkpoint.
public struct StateFolderError: Error, Sendable, CustomStringConvertible {
    /// The folder.
    public var path: String
    /// What is wrong with it.
    public var reason: String

    public var description: String {
        "state folder \(path): \(reason). Give --state-dir a folder this user can create and write in (each group's checkpoints go to <state-dir>/<group>)"
    }

    /// Makes sure `path` is a folder this process can write in, creating it and the folders
    /// above it that are missing (as `mkdir -p`).
    /// - Throws: ``StateFolderError`` naming the part of the path that failed and the system's
    ///   reason.
    static func prepare(_ path: String) throws(StateFolderError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0, errno != EEXIST {
                throw StateFolderError(path: path, reason: "cannot be created (\(current): \(String(cString: strerror(errno))))")
            }
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw StateFolderError(path: path, reason: "is a file, not a folder")
        }
        guard access(path, W_OK | X_OK) == 0 else {
            throw StateFolderError(path: path, reason: "cannot be written in (\(String(cString: strerror(errno))))")
        }
    }
}
