/// A 64-bit digest of a value's contents that is the same in every process and on every run of
/// one build: what a checkpoint records of the configuration it was folded with.
///
/// Swift's `Hashable` cannot serve: its hashes are seeded at random per process. This walks the
/// value with `Mirror` instead — stored properties by label, collections in order, dictionary
/// and set entries in any order (their iteration order is per process too), enum cases by
/// name — and feeds what it finds to FNV-1a. Type names are left out, so renaming a type does
/// not change the digest; a changed, added or removed field does.
public enum StableFingerprint {
    /// The digest of `value`'s contents.
    public static func of(_ value: Any) -> UInt64 {
        var digest = FNV1a()
        feed(value, into: &digest)
        return digest.value
    }

    private static func feed(_ value: Any, into digest: inout FNV1a) {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .dictionary?, .set?:
            // Each entry digested on its own, the digests sorted: the same entries in any order
            // give the same result.
            let entries = mirror.children.map { of($0.value) }.sorted()
            digest.add("{\(entries.count)")
            for entry in entries { digest.add(entry) }
        case .collection?:
            digest.add("[\(mirror.children.count)")
            for child in mirror.children { feed(child.value, into: &digest) }
        case .optional?:
            if let wrapped = mirror.children.first { digest.add("?"); feed(wrapped.value, into: &digest) } else { digest.add("nil") }
        case .enum?:
            // A case with a payload has one child labelled with the case name; one without has
            // none and describes itself by name.
            if let payload = mirror.children.first {
                digest.add("\(payload.label ?? "")(")
                feed(payload.value, into: &digest)
            } else {
                digest.add("\(value)")
            }
        case .struct?, .class?, .tuple?:
            digest.add("(\(mirror.children.count)")
            for child in mirror.children {
                digest.add(child.label ?? "_")
                feed(child.value, into: &digest)
            }
        default:
            // A number, string, boolean and the like: its description.
            digest.add("=\(value)")
        }
    }

    /// 64-bit FNV-1a, with a separator after every piece so that pieces cannot run together.
    private struct FNV1a {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325

        mutating func add(_ text: String) {
            for byte in text.utf8 { add(byte: byte) }
            add(byte: 0)
        }

        mutating func add(_ number: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) { add(byte: UInt8(truncatingIfNeeded: number >> UInt64(shift))) }
        }

        private mutating func add(byte: UInt8) {
            value = (value ^ UInt64(byte)) &* 0x100_0000_01b3
        }
    }
}
