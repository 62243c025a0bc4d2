extension ProcessConfiguration {
    /// A digest of every field (``StableFingerprint``), the same in every process: two
    /// configurations that fold events alike have equal fingerprints, and a change to any flow,
    /// rule, counter, weight or the organisation changes it.
    public var fingerprint: UInt64 { StableFingerprint.of(box.fields) }
}
