// swift-tools-version:6.1
import PackageDescription

// Strictness as settings, package-wide (as Hummingbird does).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "webhook-relay",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "webhook-relay", targets: ["webhook-relay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0", traits: []),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // YAML for Config/relay.yaml: the config file is YAML by the spec; Yams is the Swift
        // binding of libyaml and is small next to writing a YAML parser.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // NIOHTTPTypes: the request read deadline sits in Hummingbird's pipeline, which speaks its HTTP parts.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // Latency percentiles of the benchmark without coordinated omission: the HdrHistogram reference port.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The admin console's server-rendered pages: logic-less templates with HTML escaping by default.
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // The configuration's providers (environment with a key mapping, the file's values, the defaults), precedence
        // and secret redaction. Already in the graph through Hummingbird and AsyncHTTPClient; no traits needed.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: []),
        // Spans (SPEC §14): the ecosystem's tracing API, which Hummingbird and AsyncHTTPClient already speak.
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // Their OTLP export, configured by the standard OTEL_* variables. HTTP only: the gRPC trait would add grpc-swift
        // (about 190 more files to build) for a transport every collector also takes over HTTP.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .target(
            name: "RelayCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RelayStore",
            dependencies: [
                "RelayCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RelayDelivery",
            dependencies: [
                "RelayCore",
                "RelayStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        // One folder and one type per wire contract (contract A, codex-k8s, native, the drop-in doors): each owns its
        // parsing, its forward body and headers, and what its answers mean. Registered in `Contracts`.
        .target(
            name: "RelayContracts",
            dependencies: ["RelayCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // The use cases between delivery and the doors: submit, decide, endpoint and dead-letter administration,
        // and the documents every door shows. No HTTP, no command line.
        .target(
            name: "RelayApplication",
            dependencies: [
                "RelayCore",
                "RelayStore",
                "RelayDelivery",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RelayHTTP",
            dependencies: [
                "RelayCore",
                "RelayStore",
                "RelayDelivery",
                "RelayApplication",
                "RelayContracts",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        // The configuration and the one builder of the running relay: `serve`, the tests and the benchmark's relay use it.
        .target(
            name: "RelayAssembly",
            dependencies: [
                "RelayCore",
                "RelayStore",
                "RelayDelivery",
                "RelayApplication",
                "RelayContracts",
                "RelayHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "webhook-relay",
            dependencies: [
                "RelayCore",
                "RelayStore",
                "RelayDelivery",
                "RelayApplication",
                "RelayAssembly",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // `make bench`: throughput, latency and backlog of a release-built relay against the loopback ceiling.
        .executableTarget(
            name: "relay-bench",
            dependencies: [
                "RelayCore",
                "RelayStore",
                "RelayTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/RelayBench",
            swiftSettings: swiftSettings
        ),
        // What the store and end-to-end suites share: the two stores they run against.
        .target(
            name: "RelayTestSupport",
            dependencies: [
                "RelayCore",
                "RelayStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/RelayTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RelayCoreTests",
            dependencies: ["RelayCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RelayStoreTests",
            dependencies: ["RelayCore", "RelayStore", "RelayContracts", "RelayTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RelayHTTPTests",
            dependencies: [
                "RelayCore",
                "RelayStore",
                "RelayDelivery",
                "RelayHTTP",
                "RelayApplication",
                "RelayAssembly",
                "RelayContracts",
                "RelayTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
