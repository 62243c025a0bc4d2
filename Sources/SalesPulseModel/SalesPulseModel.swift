/// The model layer of SalesPulse: the CloudEvents envelope, the event catalogue, typed payloads,
/// fast decoding and validation, and the process configuration. No I/O beyond reading a file
/// the caller names.
public enum SalesPulseVersion {
    /// The product version.
    public static let current = "0.1.0"
}
