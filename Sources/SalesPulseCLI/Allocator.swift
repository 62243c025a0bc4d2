import CJemalloc

/// The process's memory allocator: jemalloc, linked into the executable (`CJemalloc`).
///
/// With glibc's malloc the end-to-end job spent 13 % more CPU per event and its peak resident
/// size was 73 % larger (BENCHMARKS.md, session 16). The likely reason, from the profile: the
/// consume loop frees on one thread what another allocated (librdkafka's fetched records, each
/// batch's outputs); glibc returns such a block to its owning arena under that arena's lock
/// (threads waiting for it showed in the profile), jemalloc through per-thread caches.
/// Linking jemalloc replaces malloc and free for Swift's runtime, librdkafka and simdjson alike;
/// `MALLOC_CONF` tunes it as documented by jemalloc.
enum Allocator {
    /// "jemalloc 5.3.0-…", or a note that another allocator serves malloc (glibc's, or one
    /// preloaded with `LD_PRELOAD`).
    static var description: String {
        guard servesMalloc else { return "not jemalloc (glibc's malloc or a preloaded allocator serves malloc)" }
        return "jemalloc \(version ?? "(unknown version)")"
    }

    /// jemalloc's version string, if jemalloc is loaded.
    static var version: String? {
        var text: UnsafePointer<CChar>?
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &text, &size, nil, 0) == 0, let text else { return nil }
        return String(cString: text)
    }

    /// Whether the process-wide `malloc` is jemalloc's.
    static var servesMalloc: Bool { sp_malloc_is_jemalloc() != 0 }
}
