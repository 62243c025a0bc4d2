import CLZ4

/// LZ4 frame compression (the one C boundary for liblz4).
public enum LZ4Frame {
    /// Compresses bytes into one LZ4 frame, after `prefix` zero bytes left for the caller's
    /// header: the frame is written where it ends up, into memory not zeroed first (a zeroed
    /// buffer of the bound, then the frame copied after a header, touched a checkpoint's size
    /// of fresh memory twice more).
    public static func compress(_ input: [UInt8], after prefix: Int = 0) -> [UInt8] {
        let bound = LZ4F_compressFrameBound(input.count, nil)
        return [UInt8](unsafeUninitializedCapacity: prefix + bound) { output, initialized in
            output.baseAddress!.initialize(repeating: 0, count: prefix)
            let written = input.withUnsafeBytes { source in
                LZ4F_compressFrame(output.baseAddress! + prefix, bound, source.baseAddress, input.count, nil)
            }
            precondition(LZ4F_isError(written) == 0, "LZ4F_compressFrame failed: \(String(cString: LZ4F_getErrorName(written)))")
            initialized = prefix + written
        }
    }

    /// Decompresses one LZ4 frame whose decompressed size is known, or returns nil if corrupt.
    /// Read from where it lies in the file's bytes, into memory not zeroed first.
    public static func decompress(_ input: ArraySlice<UInt8>, originalSize: Int) -> [UInt8]? {
        var context: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0, let context else { return nil }
        defer { LZ4F_freeDecompressionContext(context) }
        var complete = false
        let output = input.withUnsafeBytes { source in
            [UInt8](unsafeUninitializedCapacity: originalSize) { destination, initialized in
                var produced = 0
                var consumed = 0
                defer { initialized = complete ? originalSize : 0 }
                while consumed < source.count {
                    var destinationSize = originalSize - produced
                    var sourceSize = source.count - consumed
                    let hint = LZ4F_decompress(context, destination.baseAddress.map { $0 + produced }, &destinationSize, source.baseAddress! + consumed, &sourceSize, nil)
                    if LZ4F_isError(hint) != 0 { return }
                    produced += destinationSize
                    consumed += sourceSize
                    if hint == 0 { break }
                    if sourceSize == 0 && destinationSize == 0 { return }
                }
                complete = produced == originalSize
            }
        }
        return complete ? output : nil
    }
}
