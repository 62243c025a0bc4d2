import Foundation

/// CPU time by thread group, read from `/proc` (Linux): how the end-to-end stage's CPU divides
/// between SalesPulse's own threads (consume loop, fold workers), librdkafka's client threads
/// (fetching, decompressing, producing) and the embedded broker's.
///
/// The whole process's CPU per event moves with how fast the shared machine runs at the time;
/// the split says where a change landed (a cheaper produce path shows in the client threads,
/// not in SalesPulse's). Threads are told apart by name: librdkafka names its threads `rdk:…`,
/// the mock cluster's `rdk:mock`.
struct ThreadCPU {
    /// A group of threads.
    enum Group: String, CaseIterable {
        case salesPulse = "SalesPulse threads"
        case clients = "librdkafka client threads"
        case broker = "embedded broker"

        /// The group of a thread named `name`.
        init(threadName name: String) {
            if name.hasPrefix("rdk:mock") {
                self = .broker
            } else if name.hasPrefix("rdk:") {
                self = .clients
            } else {
                self = .salesPulse
            }
        }
    }

    /// Each live thread's group and the nanoseconds it has run, by thread id.
    private var threads: [String: (group: Group, nanoseconds: UInt64)] = [:]

    /// The threads of this process now; nil where `/proc` does not tell (not Linux).
    static func now() -> ThreadCPU? {
        guard let ids = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return nil }
        var snapshot = ThreadCPU()
        for id in ids {
            // schedstat: nanoseconds on the CPU, nanoseconds waiting to run, time slices.
            guard let schedstat = try? String(contentsOfFile: "/proc/self/task/\(id)/schedstat", encoding: .utf8),
                  let ran = schedstat.split(separator: " ").first.flatMap({ UInt64($0) }),
                  let name = try? String(contentsOfFile: "/proc/self/task/\(id)/comm", encoding: .utf8) else { continue }
            snapshot.threads[id] = (Group(threadName: name.trimmingCharacters(in: .whitespacesAndNewlines)), ran)
        }
        return snapshot
    }

    /// Seconds each group ran since `earlier` (a thread started since counts from zero; one
    /// that ended since is not counted).
    func seconds(since earlier: ThreadCPU) -> [Group: Double] {
        var seconds: [Group: Double] = [:]
        for (id, thread) in threads {
            let before = earlier.threads[id]?.nanoseconds ?? 0
            seconds[thread.group, default: 0] += Double(thread.nanoseconds &- min(before, thread.nanoseconds)) / 1e9
        }
        return seconds
    }

    /// "SalesPulse threads 2.41, librdkafka client threads 0.52, embedded broker 0.21 µs per
    /// event" for `events` events.
    static func describe(_ seconds: [Group: Double], events: Int) -> String {
        Group.allCases.map { "\($0.rawValue) \(String(format: "%.2f", (seconds[$0] ?? 0) * 1e6 / Double(events)))" }.joined(separator: ", ") + " µs per event"
    }
}
