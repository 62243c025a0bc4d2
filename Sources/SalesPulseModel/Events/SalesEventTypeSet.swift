/// A set of event types, one bit per type: membership is one load and a mask, where
/// `[SalesEventType].contains` walks an array (retaining it, and reading its buffer, a cache line
/// of its own) for every event a rule is asked about.
public struct SalesEventTypeSet: Sendable, Hashable {
    /// Bit `raw % 64` of word `raw / 64` is set when the type with raw value `raw` is a member
    /// (four words cover every `UInt8` raw value).
    @usableFromInline var words = SIMD4<UInt64>(repeating: 0)

    /// The set of `types`.
    public init(_ types: some Sequence<SalesEventType>) {
        for type in types { insert(type) }
    }

    /// Adds `type`.
    public mutating func insert(_ type: SalesEventType) {
        let raw = Int(type.rawValue)
        words[raw >> 6] |= 1 << UInt64(raw & 63)
    }

    /// Whether `type` is a member.
    @inlinable @inline(__always)
    public func contains(_ type: SalesEventType) -> Bool {
        let raw = Int(type.rawValue)
        return words[raw >> 6] & (1 << UInt64(raw & 63)) != 0
    }
}
