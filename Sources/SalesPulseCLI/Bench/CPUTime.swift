import Foundation

/// CPU time, beside wall-clock time, for the bench.
///
/// On a shared virtual machine wall-clock rates swing with what the neighbours do (the same
/// binary measured 477k and 910k events/s minutes apart), so the bench also reports CPU spent:
/// the measuring thread's for one-core stages, and the whole process's (every thread, the
/// embedded broker included) for the end-to-end stage.
enum CPUTime {
    /// Seconds of CPU time the calling thread has used so far (`CLOCK_THREAD_CPUTIME_ID`).
    static func thread() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Seconds of CPU time, user and system, all threads of this process have used so far.
    static func process() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ value: timeval) -> Double { Double(value.tv_sec) + Double(value.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Runs `body` and returns its wall-clock duration and the CPU seconds this thread spent.
    static func measureThread(_ body: () -> Void) -> (wall: Duration, cpu: Double) {
        let cpuStart = thread()
        let wall = ContinuousClock().measure(body)
        return (wall, thread() - cpuStart)
    }
}
