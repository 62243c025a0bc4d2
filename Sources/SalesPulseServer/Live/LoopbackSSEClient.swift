#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A minimal Server-Sent Events client over a loopback TCP connection, used by the latency
/// benchmark and the stream tests (no HTTP client library needed, nothing but 127.0.0.1).
public enum LoopbackSSEClient {
    /// Opens `GET path` on 127.0.0.1:`port` with extra header lines (each ending in CRLF).
    /// Returns the socket, or nil when the connection is refused. The caller closes it.
    static func open(port: Int, path: String, headers: String, receiveTimeoutMicroseconds: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: receiveTimeoutMicroseconds / 1_000_000, tv_usec: receiveTimeoutMicroseconds % 1_000_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { close(fd); return nil }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\(headers)\r\n"
        _ = request.withCString { write(fd, $0, strlen($0)) }
        return fd
    }

    /// Reads the raw response (headers and body) until `marker` has appeared `count` times,
    /// the peer closes, or nothing arrives for 10 s.
    public static func readRaw(port: Int, path: String, headers: String = "", until marker: String, count: Int) throws -> String {
        guard let fd = open(port: port, path: path, headers: headers, receiveTimeoutMicroseconds: 10_000_000) else { throw POSIXError(.ECONNREFUSED) }
        defer { close(fd) }
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while text.components(separatedBy: marker).count - 1 < count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { text += "\n[read \(n) errno \(errno)]"; break }
            text += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        return text
    }

    /// Streams events, calling `onData` with each `data:` line, until `shouldStop()` or the peer closes.
    public static func stream(port: Int, path: String, shouldStop: () -> Bool, onData: (Substring) -> Void) {
        guard let fd = open(port: port, path: path, headers: "", receiveTimeoutMicroseconds: 200_000) else { return }
        defer { close(fd) }
        var pending = ""
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !shouldStop() {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            if count <= 0 { break }
            pending += String(decoding: buffer[0..<count], as: UTF8.self)
            var lines = pending.split(separator: "\n", omittingEmptySubsequences: false)
            pending = String(lines.removeLast())
            for line in lines where line.hasPrefix("data: ") { onData(line.dropFirst(6)) }
        }
    }
}
