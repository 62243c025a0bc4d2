// swift-tools-version:6.1
// SalesPulse — an event-sourced stream processor for sales process control.
// Layers (dependencies point downwards only):
//   CLI → Runtime → Kafka / Projections → Model
//   C boundaries: CRdKafka (librdkafka), CLZ4 (liblz4), CSimdJSON (simdjson shim), CJemalloc (the
//   executable's allocator), CPrefetch (the CPU's prefetch hint).
import PackageDescription

// simdjson's On-Demand API is compiled into our shim, so its SIMD kernel is chosen at compile
// time: on x86_64 we target x86-64-v3 + PCLMUL (AVX2, Haswell and newer); elsewhere the compiler default.
#if arch(x86_64)
let simdFlags = ["-O3", "-std=c++17", "-march=x86-64-v3", "-mpclmul"]
#else
let simdFlags = ["-O3", "-std=c++17"]
#endif

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "salespulse",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "salespulse", targets: ["SalesPulseCLI"]),
        .library(name: "SalesPulseKafka", targets: ["SalesPulseKafka"]),
        .library(name: "SalesPulseModel", targets: ["SalesPulseModel"]),
        .library(name: "SalesPulseProjections", targets: ["SalesPulseProjections"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: C boundaries
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        // The executable's allocator: with glibc's malloc the end-to-end job spent 13 % more CPU
        // per event and peaked 73 % higher in memory (BENCHMARKS.md, session 16). Only the
        // executable links it.
        .systemLibrary(
            name: "CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        // The CPU's prefetch hint (header only), for the customer lookups of the fold.
        .systemLibrary(name: "CPrefetch"),
        .target(
            name: "CSimdJSON",
            cxxSettings: [.unsafeFlags(simdFlags)],
            linkerSettings: [.linkedLibrary("simdjson")]
        ),

        // MARK: Layers
        .target(
            name: "SalesPulseModel",
            dependencies: [
                "CSimdJSON",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SalesPulseProjections",
            dependencies: ["SalesPulseModel", "CPrefetch"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SalesPulseKafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SalesPulseRuntime",
            dependencies: [
                "SalesPulseModel", "SalesPulseProjections", "SalesPulseKafka", "CLZ4", "CSimdJSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SalesPulseServer",
            dependencies: [
                "SalesPulseRuntime", "SalesPulseProjections", "SalesPulseModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "SalesPulseCLI",
            dependencies: [
                "SalesPulseServer", "SalesPulseRuntime", "SalesPulseKafka", "SalesPulseModel", "SalesPulseProjections", "CJemalloc", "CPrefetch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests (one target per module)
        .testTarget(
            name: "SalesPulseKafkaTests",
            dependencies: ["SalesPulseKafka"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SalesPulseModelTests",
            dependencies: ["SalesPulseModel"],
            resources: [.copy("Corpus")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SalesPulseRuntimeTests",
            dependencies: ["SalesPulseRuntime", "SalesPulseKafka", "SalesPulseModel", "SalesPulseProjections", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SalesPulseServerTests",
            dependencies: [
                "SalesPulseServer", "SalesPulseRuntime", "SalesPulseKafka", "SalesPulseModel",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // Links the executable's module, and with it jemalloc: these tests, and every other test
        // in the same test process, allocate as the shipped executable does.
        .testTarget(
            name: "SalesPulseCLITests",
            dependencies: ["SalesPulseCLI", "SalesPulseRuntime", "SalesPulseKafka"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SalesPulseProjectionsTests",
            dependencies: ["SalesPulseProjections", "SalesPulseModel"],
            swiftSettings: swiftSettings
        ),
    ]
)
