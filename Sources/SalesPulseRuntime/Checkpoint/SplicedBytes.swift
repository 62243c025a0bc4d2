import Foundation

/// Bytes a checkpoint holds as they are — its customers, recent event ids, counters and rules,
/// each written by a writer of its own — encoded as `Data` is. ``BinaryStateEncoder`` splices
/// them into its output where they lie: wrapped in `Data` and appended to the encoder's bytes,
/// a partition's customers (megabytes) were copied twice before the output was put together.
/// ``BinaryStateDecoder`` reads them back into an array at once, not through `Data`.
struct SplicedBytes: Codable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// From `Data`, for decoders other than ``BinaryStateDecoder`` (which reads the bytes).
    init(from decoder: any Decoder) throws {
        bytes = [UInt8](try decoder.singleValueContainer().decode(Data.self))
    }

    /// As `Data`, for encoders other than ``BinaryStateEncoder`` (which splices the bytes).
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Data(bytes))
    }
}
