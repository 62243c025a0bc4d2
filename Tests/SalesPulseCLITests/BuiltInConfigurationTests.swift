import Foundation
import Testing
@testable import SalesPulseCLI
import SalesPulseModel

/// The binary carries the default configuration, so that `demo`, `run`, `bench` and `broker`
/// work from any folder; it must be the repository's file as it stands.
@Suite struct BuiltInConfigurationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theBuiltInConfigurationIsTheRepositorysFile() throws {
        let file = try String(contentsOf: Self.repository.appendingPathComponent(BuiltInConfiguration.path), encoding: .utf8)
        #expect(BuiltInConfiguration.yaml + "\n" == file, "deploy/config/salespulse.yaml changed: run python3 scripts/embed-config.py")
    }

    @Test func outsideTheRepositoryTheDefaultPathLoadsTheBuiltInCopy() throws {
        // A folder without the file (the working directory is the whole test process's).
        let builtIn = try Console.configuration(at: BuiltInConfiguration.path) { _ in false }
        let file = try ConfigurationLoader.load(path: Self.repository.appendingPathComponent(BuiltInConfiguration.path).path)
        #expect(builtIn.fingerprint == file.fingerprint)
        // Any other path must exist.
        #expect(throws: ConfigurationError.self) { try Console.configuration(at: "other.yaml") { _ in false } }
    }
}
