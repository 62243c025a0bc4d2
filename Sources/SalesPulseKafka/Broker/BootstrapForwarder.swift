#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A loopback TCP forwarder that gives the embedded broker a fixed bootstrap port.
///
/// librdkafka 2.0.2's mock cluster listens on ephemeral ports only. Kafka clients use the
/// bootstrap address just for their first metadata request and then connect to the brokers'
/// advertised addresses, so forwarding `127.0.0.1:listenPort` to one broker is enough.
/// One thread accepts; each connection gets two pump threads. Only binds 127.0.0.1.
public final class BootstrapForwarder: @unchecked Sendable {
    // @unchecked Sendable: the listening socket is set once; `stopped` is atomic.
    private let listener: Int32
    private let stopped = StopFlag()

    /// Starts forwarding `127.0.0.1:listenPort` to `127.0.0.1:targetPort`.
    /// - Throws: ``KafkaError`` `.embeddedBroker` if the port cannot be bound (e.g. in use).
    public init(listenPort: UInt16, targetPort: UInt16) throws(KafkaError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Self.failure("socket()") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: listenPort)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw KafkaError(code: .embeddedBroker, message: "cannot listen on 127.0.0.1:\(listenPort): \(String(cString: strerror(errno)))",
                             hint: "Choose another --port, or stop what is using it.")
        }
        listener = fd
        let stopped = self.stopped
        DedicatedThread.start(name: "salespulse.broker.forwarder") {
            while !stopped.isSet {
                let client = accept(fd, nil, nil)
                if client < 0 { if errno == EINTR { continue } else { return } }
                let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var target = Self.loopback(port: targetPort)
                let connected = withUnsafePointer(to: &target) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                if connected != 0 { close(client); close(upstream); continue }
                Self.pump(from: client, to: upstream)
                Self.pump(from: upstream, to: client)
            }
        }
    }

    /// Stops accepting connections.
    public func stop() {
        guard stopped.set() else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    private static func pump(from source: Int32, to destination: Int32) {
        DedicatedThread.start(name: "salespulse.broker.pump") {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                var sent = 0
                while sent < count {
                    let written = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + sent, count - sent) }
                    if written <= 0 { break }
                    sent += written
                }
                if sent < count { break }
            }
            shutdown(destination, Int32(SHUT_WR))
            shutdown(source, Int32(SHUT_RD))
        }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private static func failure(_ call: String) -> KafkaError {
        KafkaError(code: .embeddedBroker, message: "\(call) failed: \(String(cString: strerror(errno)))", hint: "Check the process's file descriptor limit.")
    }
}

/// A thread-safe one-way flag.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    /// Whether the flag is set.
    var isSet: Bool { value.load(ordering: .acquiring) }
    /// Sets the flag; returns `true` if this call set it.
    func set() -> Bool { !value.exchange(true, ordering: .acquiringAndReleasing) }
}
