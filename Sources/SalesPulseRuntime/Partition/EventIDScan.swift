import CSimdJSON

/// Finds an event's id in its JSON without decoding it: the string after the first `"id"`
/// key, among the value's first bytes. For prefetching only (see
/// `PartitionProjector+LookAhead.swift`): it does not parse, so it can be fooled (an `"id"` key
/// nested in `data` before the top-level one, an id further in than it looks); it gives up on
/// an escaped id. A wrong answer costs a useless prefetch, never a wrong result.
enum EventIDScan {
    /// How far into the value the key is looked for (CloudEvents put `id` near the start).
    static let searchLimit = 192

    /// The id's bytes as they appear in `json`, if found.
    ///
    /// The scan is C (`sp_scan_event_id`, 32 bytes a step): the Swift loop it replaced compared a
    /// word at every position and walked the id byte by byte, about as much time as the prefetch
    /// it serves saved (BENCHMARKS.md, session 35).
    @inline(__always)
    static func id(in json: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let base = json.baseAddress else { return nil }
        var start = 0
        let count = sp_scan_event_id(base.assumingMemoryBound(to: UInt8.self), json.count, searchLimit, &start)
        guard count >= 0 else { return nil }
        return UnsafeRawBufferPointer(start: base + start, count: count)
    }
}
