import ArgumentParser
import Foundation
import Testing
@testable import SalesPulseCLI
import SalesPulseModel

/// `salespulse validate --config FILE` checks a process configuration without Kafka: what it
/// defines when it is valid, a rejection (exit status 2) when it is not.
@Suite struct ConfigurationCheckTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shipped = repository.appendingPathComponent("deploy/config/salespulse.yaml").path

    @Test func theShippedConfigurationIsSummarised() throws {
        let configuration = try ConfigurationLoader.load(path: Self.shipped)
        let lines = ValidateCommand.summary(of: configuration, path: "salespulse.yaml", group: "team-a")
        #expect(lines.first == "salespulse.yaml: valid")
        let flows = try #require(lines.first { $0.hasPrefix("  flows: ") })
        #expect(flows.hasPrefix("  flows: \(configuration.flows.count) ("))
        for flow in configuration.flows { #expect(flows.contains("\(flow.id): \(flow.steps.count) steps")) }
        let reps = configuration.organisation.regions.flatMap(\.teams).reduce(0) { $0 + $1.reps.count }
        #expect(lines.contains { $0.hasPrefix("  organisation: ") && $0.hasSuffix(" \(reps) reps") })
        let topics = try #require(lines.first { $0.hasPrefix("  repartition topics of group team-a: ") })
        #expect(topics.contains("salespulse.team-a.repartition."))
        #expect(lines.last == "  fingerprint: \(String(configuration.fingerprint, radix: 16)) (checkpoints taken under another are rebuilt from the log)")
    }

    @Test func aRejectedConfigurationEndsWithStatusTwo() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("salespulse-broken-\(UInt32.random(in: .min ... .max)).yaml")
        try "flows:\n  - id: lead\n    steps: 7\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        var command = try #require(try SalesPulse.parseAsRoot(["validate", "--config", file.path]) as? ValidateCommand)
        do {
            try command.run()
            Issue.record("a broken configuration passed")
        } catch let exit as ExitCode {
            #expect(exit == ExitCode(2))
        }
    }

    @Test func validateWithNothingToDoSaysWhatItTakes() throws {
        var command = try #require(try SalesPulse.parseAsRoot(["validate"]) as? ValidateCommand)
        #expect {
            try command.run()
        } throws: { error in
            SalesPulse.message(for: error).contains("give --events FILE, --config FILE, --schemas or --write-schemas")
        }
    }
}
