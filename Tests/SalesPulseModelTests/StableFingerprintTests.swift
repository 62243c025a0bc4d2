import Foundation
import Testing
import SalesPulseModel

/// ``StableFingerprint`` digests contents: equal contents, equal digests (whatever the order of
/// a dictionary's entries), and any changed field changes it.
struct StableFingerprintTests {
    struct Sample {
        var name: String
        var limits: [Int]
        var labels: [String: String]
        var optional: Int?
        var kind: Kind
    }

    enum Kind { case plain, weighted(Double) }

    static let sample = Sample(name: "a", limits: [1, 2], labels: ["x": "1", "y": "2"], optional: nil, kind: .weighted(0.5))

    @Test func equalContentsGiveEqualDigests() {
        #expect(StableFingerprint.of(Self.sample) == StableFingerprint.of(Self.sample))
    }

    @Test func dictionaryEntriesCountInAnyOrder() {
        // Built in different orders and sizes, the dictionaries may iterate differently.
        var grown: [String: String] = [:]
        for index in (0..<200).reversed() { grown["k\(index)"] = "v\(index)" }
        var direct: [String: String] = Dictionary(minimumCapacity: 1_000)
        for index in 0..<200 { direct["k\(index)"] = "v\(index)" }
        #expect(StableFingerprint.of(grown) == StableFingerprint.of(direct))
    }

    @Test func everyFieldCounts() {
        var changes: [Sample] = []
        for change in 0..<6 {
            var sample = Self.sample
            switch change {
            case 0: sample.name = "b"
            case 1: sample.limits = [2, 1]
            case 2: sample.labels["y"] = "3"
            case 3: sample.optional = 0
            case 4: sample.kind = .plain
            default: sample.kind = .weighted(0.25)
            }
            changes.append(sample)
        }
        let digests = Set(([Self.sample] + changes).map { StableFingerprint.of($0) })
        #expect(digests.count == 7)
    }

    @Test func piecesDoNotRunTogether() {
        #expect(StableFingerprint.of(["ab", "c"]) != StableFingerprint.of(["a", "bc"]))
    }

    @Test func aConfigurationParsedTwiceHasOneFingerprint() throws {
        let yaml = """
        version: 1
        flows:
          - id: academic
            steps:
              - {id: visit, sla: 72h}
              - {id: sign}
        """
        let first = try ConfigurationLoader.parse(yaml: yaml)
        let second = try ConfigurationLoader.parse(yaml: yaml)
        #expect(first.fingerprint == second.fingerprint)
        let longer = try ConfigurationLoader.parse(yaml: yaml.replacingOccurrences(of: "72h", with: "96h"))
        #expect(longer.fingerprint != first.fingerprint)
    }

    @Test func theShippedConfigurationParsedTwiceHasOneFingerprint() throws {
        // Every kind of flow, rule, counter and the organisation: no part of it may digest an
        // address or anything else that differs between two loads.
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../deploy/config/salespulse.yaml").standardized.path
        let first = try ConfigurationLoader.load(path: path)
        let second = try ConfigurationLoader.load(path: path)
        #expect(!first.counters.isEmpty && !first.organisation.departments.isEmpty)
        #expect(first.fingerprint == second.fingerprint)
    }
}
