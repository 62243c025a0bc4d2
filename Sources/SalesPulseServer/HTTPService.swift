import Foundation
import Hummingbird
import Logging
import SalesPulseModel
import ServiceLifecycle
import Synchronization

/// Runs the HTTP server as a service with graceful shutdown, and publishes a `status` event
/// (throughput, customers, PHI, open alerts) and each counter's values on the live stream every
/// second, each while a client is subscribed to its topic.
public final class HTTPService: Sendable {
    private let server: SalesPulseHTTPServer
    private let host: String
    private let port: Int
    private let logger: Logger
    private let group: ServiceGroup
    private let listening: Listening

    /// Where the server listens, or why it could not (set from the server's tasks).
    private final class Listening: Sendable {
        let port = Mutex<Int?>(nil)
        let failure = Mutex<String?>(nil)
    }

    /// Parses `HOST:PORT` (loopback by default).
    public static func parse(address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        let host = String(address[..<colon])
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// Creates the service.
    public init(server: SalesPulseHTTPServer, host: String, port: Int, logger: Logger = Logger(label: "salespulse.http")) {
        self.server = server
        self.host = host
        self.port = port
        self.logger = logger
        let listening = Listening()
        self.listening = listening
        let application = Application(
            router: server.router(), configuration: .init(address: .hostname(host, port: port), serverName: "salespulse"),
            onServerRunning: { channel in listening.port.withLock { $0 = channel.localAddress?.port } }, logger: logger)
        self.group = ServiceGroup(configuration: .init(services: [application], gracefulShutdownSignals: [], logger: logger))
    }

    /// Serves until ``shutdown()``.
    public func run() async throws {
        let hub = server.hub
        let queries = server.queries
        let ticker = Task {
            // The status and counters every second; PHI and open alerts scan every customer under
            // the partition lock (which the consume thread needs), so they are refreshed every
            // 10 s only; each topic only while a client listens to it (``LiveTickSchedule``).
            var schedule = LiveTickSchedule()
            var phi = 0.0
            var openAlerts = 0.0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let statusWork = schedule.next(listeners: hub.subscriberCount(topic: "status"))
                let countersWanted = hub.subscriberCount(topic: "counters") > 0
                guard statusWork != .none || countersWanted else { continue }
                let now = queries.currentTime()
                if case .publish(let refreshHealth) = statusWork {
                    if refreshHealth {
                        phi = queries.processHealthIndex(now: now) ?? 0
                        openAlerts = Double(queries.openAlertCount())
                    }
                    let counters = Dictionary(queries.counters().map { ($0.0, $0.2) }, uniquingKeysWith: { $1 })
                    let status: [String: Double] = [
                        "applied": counters["salespulse_events_applied_total"] ?? 0,
                        "customers": counters["salespulse_customers"] ?? 0,
                        "openAlerts": openAlerts,
                        "phi": phi,
                    ]
                    hub.publish(topic: "status", region: nil, data: LiveEventHub.json(status))
                }
                guard countersWanted else { continue }
                for counter in queries.processConfiguration.counters {
                    let values = queries.counterState(counter.id).values(at: now, counter: counter)
                    hub.publish(topic: "counters", region: nil, data: LiveEventHub.json(CounterTick(counter: counter.id, at: now.rfc3339UTC, values: values)))
                }
            }
        }
        defer { ticker.cancel() }
        do {
            try await group.run()
        } catch {
            listening.failure.withLock { $0 = "\(error)" }
            throw error
        }
    }

    /// The port the server listens on once it accepts connections (`nil` before), which is how
    /// a caller that asked for port 0 learns the one the system chose.
    public var boundPort: Int? { listening.port.withLock { $0 } }

    /// Waits until the server accepts connections and returns its port; throws if ``run()``
    /// has not bound it within `timeout` (the address is in use, or `run()` was never called).
    public func waitUntilListening(timeout: Duration = .seconds(30)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let port = boundPort { return port }
            if let failure = listening.failure.withLock({ $0 }) {
                throw HTTPServiceError(message: "the HTTP server could not listen on \(host):\(port): \(failure); choose another address (port 0 lets the system pick one)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HTTPServiceError(message: "the HTTP server did not listen on \(host):\(port) within \(timeout); is the address in use?")
    }

    /// Ends open event streams, stops accepting requests and closes connections.
    public func shutdown() async {
        server.hub.finishAll()
        await group.triggerGracefulShutdown()
    }
}

/// Why the HTTP service could not start.
public struct HTTPServiceError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to do.
    public let message: String
    public var description: String { message }
}

/// A counter's values at one second, on the live stream.
struct CounterTick: Codable, Sendable {
    var counter: String
    var at: String
    var values: [String: Double]
}
