/// The bytes a ``JSONObjectWriter`` has written: a region it writes into through a pointer,
/// either scratch space lent by the caller (the stack) or memory of its own, which it takes —
/// and the bytes with it — when the scratch space runs out. A writer checks the room once per
/// piece (``reserve(_:)``) and then copies in (``putReserved(_:)``) without further checks.
struct JSONWriteBuffer: ~Copyable {
    private var start: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int
    /// Whether `start` was allocated here (and is freed here), not lent.
    private var owned: Bool

    /// A buffer of its own with room for `capacity` bytes to begin with.
    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        start = .allocate(capacity: self.capacity)
        owned = true
    }

    /// A buffer writing into `scratch` until more room is needed. `scratch` must outlive it.
    init(scratch: UnsafeMutableBufferPointer<UInt8>) {
        start = scratch.baseAddress!
        capacity = scratch.count
        owned = false
    }

    deinit {
        if owned { start.deallocate() }
    }

    /// Makes room for `more` bytes after those written.
    @inline(__always)
    mutating func reserve(_ more: Int) {
        if count + more > capacity { grow(toHold: count + more) }
    }

    /// Moves the bytes to memory of its own, at least twice as large.
    private mutating func grow(toHold needed: Int) {
        let larger = max(needed, capacity * 2)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        moved.update(from: start, count: count)
        if owned { start.deallocate() }
        start = moved
        capacity = larger
        owned = true
    }

    /// Writes `byte` into room reserved before.
    @inline(__always)
    mutating func putReserved(_ byte: UInt8) {
        assert(count < capacity)
        start[count] = byte
        count += 1
    }

    /// Writes `bytes` into room reserved before.
    @inline(__always)
    mutating func putReserved(_ bytes: UnsafeBufferPointer<UInt8>) {
        assert(count + bytes.count <= capacity)
        guard let source = bytes.baseAddress else { return }
        let target = UnsafeMutableRawPointer(start + count)
        let from = UnsafeRawPointer(source)
        let length = bytes.count
        // Most pieces are names and short values: two words that may overlap, where a call to
        // `memmove` cost more than the copy.
        switch length {
        case 8...16:
            let head = from.loadUnaligned(as: UInt64.self)
            let tail = from.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
            target.storeBytes(of: head, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: length - 8, as: UInt64.self)
        case 4..<8:
            let head = from.loadUnaligned(as: UInt32.self)
            let tail = from.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self)
            target.storeBytes(of: head, as: UInt32.self)
            target.storeBytes(of: tail, toByteOffset: length - 4, as: UInt32.self)
        case 0..<4:
            for index in 0..<length { target.storeBytes(of: from.load(fromByteOffset: index, as: UInt8.self), toByteOffset: index, as: UInt8.self) }
        default:
            target.copyMemory(from: from, byteCount: length)
        }
        count += length
    }

    /// Writes `byte`.
    @inline(__always)
    mutating func put(_ byte: UInt8) {
        reserve(1)
        putReserved(byte)
    }

    /// Writes `bytes`.
    @inline(__always)
    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        putReserved(bytes)
    }

    /// Calls `body` with the room after the bytes written (reserve it first); `body` returns
    /// how many bytes it wrote there, which ``advance(by:)`` then counts.
    mutating func withRoom<R>(_ body: (UnsafeMutableBufferPointer<UInt8>) -> R) -> R {
        body(UnsafeMutableBufferPointer(start: start + count, count: capacity - count))
    }

    /// Counts `written` bytes written into the room ``withRoom(_:)`` showed.
    mutating func advance(by written: Int) {
        precondition(written >= 0 && count + written <= capacity, "wrote \(written) bytes into \(capacity - count) bytes of room")
        count += written
    }

    /// Calls `body` with the bytes written.
    func withWritten<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        body(UnsafeBufferPointer(start: start, count: count))
    }
}
