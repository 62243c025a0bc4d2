/// Parses and prints durations as used in configuration: `30s`, `10m`, `72h`, `3d`, `2w`, `500ms`.
public enum DurationText {
    /// Milliseconds for a duration text, or nil when malformed.
    public static func milliseconds(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            if suffix == "s" && number.hasSuffix("m") { continue } // "ms"
            guard let value = Int64(number), value >= 0 else { return nil }
            return value * scale
        }
        return nil
    }

    /// The shortest exact text for a duration, e.g. 259_200_000 → `72h`.
    public static func text(_ milliseconds: Int64) -> String {
        for (suffix, scale) in [("w", Int64(604_800_000)), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)] where milliseconds % scale == 0 && milliseconds >= scale {
            if suffix == "w" || suffix == "d" { if milliseconds % 3_600_000 == 0 && milliseconds / 3_600_000 <= 96 { return "\(milliseconds / 3_600_000)h" } }
            return "\(milliseconds / scale)\(suffix)"
        }
        return "\(milliseconds)ms"
    }
}
