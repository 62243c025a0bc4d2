import Testing
@testable import SalesPulseCLI

/// The executable's allocator. This test target links the executable's module, and with it
/// jemalloc, so the whole test process allocates as the shipped `salespulse` does.
@Suite struct AllocatorTests {
    @Test func jemallocServesMallocForTheWholeProcess() {
        #expect(Allocator.servesMalloc, "malloc resolves to another library than libjemalloc: check the CJemalloc link")
    }

    @Test func theDescriptionNamesJemallocAndItsVersion() throws {
        let version = try #require(Allocator.version)
        #expect(version.hasPrefix("5."), "jemalloc \(version)")
        #expect(Allocator.description == "jemalloc \(version)")
    }
}
