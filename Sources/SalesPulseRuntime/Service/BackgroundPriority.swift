import Foundation

/// The scheduling priority of background threads (checkpoint rounds, freeing revoked state):
/// below the consume and fold threads, so on a busy machine folding goes first.
enum BackgroundPriority {
    /// Lowers the calling thread's priority to nice 10. On Linux, PRIO_PROCESS with id 0 sets
    /// the calling thread's niceness; elsewhere it does nothing.
    static func applyToThisThread() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }
}
