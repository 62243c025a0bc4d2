import CLZ4

/// LZ4 frame compression (the one C boundary for liblz4).
public enum LZ4Frame {
    /// Compresses bytes into one LZ4 frame.
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        let bound = LZ4F_compressFrameBound(input.count, nil)
        var output = [UInt8](repeating: 0, count: bound)
        let written = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                LZ4F_compressFrame(destination.baseAddress, bound, source.baseAddress, input.count, nil)
            }
        }
        precondition(LZ4F_isError(written) == 0, "LZ4F_compressFrame failed: \(String(cString: LZ4F_getErrorName(written)))")
        output.removeLast(bound - written)
        return output
    }

    /// Decompresses one LZ4 frame whose decompressed size is known, or returns nil if corrupt.
    public static func decompress(_ input: [UInt8], originalSize: Int) -> [UInt8]? {
        var context: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0, let context else { return nil }
        defer { LZ4F_freeDecompressionContext(context) }
        var output = [UInt8](repeating: 0, count: originalSize)
        var produced = 0
        var consumed = 0
        while consumed < input.count {
            var destinationSize = originalSize - produced
            var sourceSize = input.count - consumed
            let hint = input.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { destination in
                    LZ4F_decompress(context, destination.baseAddress! + produced, &destinationSize, source.baseAddress! + consumed, &sourceSize, nil)
                }
            }
            if LZ4F_isError(hint) != 0 { return nil }
            produced += destinationSize
            consumed += sourceSize
            if hint == 0 { break }
            if sourceSize == 0 && destinationSize == 0 { return nil }
        }
        return produced == originalSize ? output : nil
    }
}
