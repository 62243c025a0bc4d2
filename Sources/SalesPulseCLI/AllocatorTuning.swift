import CMalloc
import Foundation

/// Keeps freed memory in the process for reuse instead of handing it back to the kernel.
///
/// The consume loop frees and allocates the same amounts batch after batch (librdkafka's fetch
/// buffers, decompressed message sets, each batch's outputs). glibc's defaults return freed
/// memory at the top of a heap to the kernel beyond 128 KiB (adapting up to 32 MiB), and serve
/// large blocks with fresh mappings; every reuse then comes back as fresh pages the kernel must
/// zero on first touch, which cost up to a fifth of all CPU of an end-to-end run on this
/// machine (BENCHMARKS.md, session 13). With these settings up to 1 GiB of free memory stays
/// in the process, and only blocks of 64 MiB or more get their own mapping. The process's
/// resident size therefore stays at its high-water mark.
///
/// Setting `MALLOC_TRIM_THRESHOLD_` or `MALLOC_MMAP_THRESHOLD_` in the environment keeps glibc's
/// own handling (and the values given there).
enum AllocatorTuning {
    static let trimThreshold: Int32 = 1 << 30
    static let mmapThreshold: Int32 = 64 << 20

    /// Applies the settings once, before the runtime starts (`run`, `demo`, `bench`).
    static func apply() { _ = once }

    private static let once: Void = {
        let environment = ProcessInfo.processInfo.environment
        guard environment["MALLOC_TRIM_THRESHOLD_"] == nil, environment["MALLOC_MMAP_THRESHOLD_"] == nil else { return }
        _ = mallopt(M_TRIM_THRESHOLD, trimThreshold)
        _ = mallopt(M_MMAP_THRESHOLD, mmapThreshold)
    }()
}
