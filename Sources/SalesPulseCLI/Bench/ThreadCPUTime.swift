import Foundation

/// CPU time consumed by the calling thread (`CLOCK_THREAD_CPUTIME_ID`).
///
/// On a shared virtual machine the wall-clock rate of a one-core stage swings with the time
/// stolen by neighbours (the same binary measured 477k and 910k events/s minutes apart); the
/// thread's own CPU time excludes that, so the bench reports a rate per CPU-second beside the
/// wall-clock rate for comparisons between builds.
enum ThreadCPUTime {
    /// Seconds of CPU time the calling thread has used so far.
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Runs `body` and returns its wall-clock duration and the CPU seconds this thread spent.
    static func measure(_ body: () -> Void) -> (wall: Duration, cpu: Double) {
        let cpuStart = now()
        let wall = ContinuousClock().measure(body)
        return (wall, now() - cpuStart)
    }
}
