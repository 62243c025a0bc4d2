import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Memory whose end is followed by a page that may not be read: bytes placed to end exactly
/// there make any read past them crash the test, where an array's spare capacity would hide it.
/// For code that must read only a record's bytes (Kafka record values are not padded).
final class GuardedBytes {
    private let pageSize: Int
    private let base: UnsafeMutableRawPointer
    private let usable: Int

    struct CouldNotMap: Error {}

    /// Room for `capacity` bytes, rounded up to whole pages, then the guard page.
    init(capacity: Int) throws {
        pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        usable = (capacity + pageSize - 1) / pageSize * pageSize
        guard let mapped = mmap(nil, usable + pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else { throw CouldNotMap() }
        base = mapped
        guard mprotect(base + usable, pageSize, PROT_NONE) == 0 else { throw CouldNotMap() }
    }

    deinit { munmap(base, usable + pageSize) }

    /// Lends `body` a copy of `bytes` that ends where the guard page begins.
    func withBytesEndingAtGuard<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(bytes.count <= usable, "more bytes than the guarded memory holds")
        let start = base + usable - bytes.count
        bytes.withUnsafeBytes { if let source = $0.baseAddress { start.copyMemory(from: source, byteCount: $0.count) } }
        return try body(UnsafeRawBufferPointer(start: start, count: bytes.count))
    }
}
