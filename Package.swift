// swift-tools-version: 6.1
import PackageDescription

/// Settings every Bulwark module compiles with (see STYLE.md, practice 2).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Bulwark",
    products: [
        .executable(name: "bulwark", targets: ["bulwark"]),
        .library(name: "BulwarkErrors", targets: ["BulwarkErrors"]),
        .library(name: "BulwarkTensor", targets: ["BulwarkTensor"]),
        .library(name: "BulwarkArchive", targets: ["BulwarkArchive"]),
        .library(name: "BulwarkData", targets: ["BulwarkData"]),
        .library(name: "BulwarkModels", targets: ["BulwarkModels"]),
        .library(name: "BulwarkEvasion", targets: ["BulwarkEvasion"]),
        .library(name: "BulwarkSupplyChain", targets: ["BulwarkSupplyChain"]),
        .library(name: "BulwarkCrypto", targets: ["BulwarkCrypto"]),
        .library(name: "BulwarkDP", targets: ["BulwarkDP"]),
        .library(name: "BulwarkPrivacy", targets: ["BulwarkPrivacy"]),
        .library(name: "BulwarkFederated", targets: ["BulwarkFederated"]),
        .library(name: "BulwarkPoisoning", targets: ["BulwarkPoisoning"]),
        .library(name: "BulwarkExtraction", targets: ["BulwarkExtraction"]),
        .library(name: "BulwarkStore", targets: ["BulwarkStore"]),
        .library(name: "BulwarkAccess", targets: ["BulwarkAccess"]),
        .library(name: "BulwarkReport", targets: ["BulwarkReport"]),
        .library(name: "BulwarkRegistry", targets: ["BulwarkRegistry"]),
        .library(name: "BulwarkAssessment", targets: ["BulwarkAssessment"]),
        .library(name: "BulwarkServing", targets: ["BulwarkServing"]),
        .library(name: "BulwarkGateway", targets: ["BulwarkGateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
    ],
    targets: [
        // floor 0: system libraries and the numeric core
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CBZip2", path: "Sources/CBZip2", providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(name: "CLZMA", path: "Sources/CLZMA", providers: [.apt(["liblzma-dev"])]),
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CArgon2", path: "Sources/CArgon2", providers: [.apt(["libargon2-dev"])]),
        .systemLibrary(name: "CGMP", path: "Sources/CGMP", providers: [.apt(["libgmp-dev"])]),
        .systemLibrary(name: "CLibCrypto", path: "Sources/CLibCrypto", providers: [.apt(["libssl-dev"])]),
        // element-wise kernels and Winograd transforms in C (eight lanes on AVX2 through target clones)
        .target(name: "CBulwarkKernels"),
        .target(name: "BulwarkErrors", swiftSettings: strictSettings),
        .target(name: "BulwarkTensor", dependencies: ["BulwarkErrors", "CBLAS", "CBulwarkKernels"], swiftSettings: strictSettings),
        .target(name: "BulwarkArchive", dependencies: ["BulwarkErrors", "CZlib", "CBZip2", "CLZMA", "CLZ4", "CZstd"], swiftSettings: strictSettings),
        // floor 0: cryptography for computing on data nobody may see (prime fields, secret sharing, PRGs)
        .target(
            name: "BulwarkCrypto",
            dependencies: ["BulwarkErrors", "CGMP", "CLibCrypto", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "_CryptoExtras", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // storage for the control plane: SQLite (GRDB) by default, PostgreSQL for several nodes
        .target(
            name: "BulwarkStore",
            dependencies: ["BulwarkErrors", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: strictSettings
        ),

        // floor 1: models and data
        .target(name: "BulwarkData", dependencies: ["BulwarkTensor", "BulwarkArchive", "CPNG", "CJPEG"], swiftSettings: strictSettings),
        .target(
            name: "BulwarkModels",
            dependencies: ["BulwarkTensor", "BulwarkArchive", "CBulwarkKernels", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),

        // floor 1: DP mechanisms and accountants, shared by the privacy and federated modules
        .target(name: "BulwarkDP", dependencies: ["BulwarkErrors", "BulwarkTensor", "CLibCrypto", "CBulwarkKernels"], swiftSettings: strictSettings),

        // floor 2: threat modules
        .target(name: "BulwarkEvasion", dependencies: ["BulwarkTensor", "BulwarkArchive", "BulwarkData", "BulwarkModels"], swiftSettings: strictSettings),
        .target(
            name: "BulwarkSupplyChain",
            dependencies: [
                "BulwarkArchive",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strictSettings
        ),

        .target(name: "BulwarkPrivacy", dependencies: ["BulwarkDP", "BulwarkTensor", "BulwarkArchive", "BulwarkData", "BulwarkModels"], swiftSettings: strictSettings),
        .target(
            name: "BulwarkFederated",
            dependencies: ["BulwarkErrors", "BulwarkTensor", "BulwarkData", "BulwarkModels", "BulwarkDP", "BulwarkCrypto",
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                           .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                           .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                           .product(name: "X509", package: "swift-certificates"),
                           .product(name: "SwiftASN1", package: "swift-asn1"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "NIOTLS", package: "swift-nio"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl")],
            exclude: ["Flower/Proto"],
            swiftSettings: strictSettings
        ),
        .target(name: "BulwarkPoisoning", dependencies: ["BulwarkTensor", "BulwarkArchive", "BulwarkData", "BulwarkModels",
                                                   .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strictSettings),
        .target(name: "BulwarkExtraction", dependencies: ["BulwarkTensor", "BulwarkArchive", "BulwarkData", "BulwarkModels",
                                                    .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strictSettings),

        // identity, MFA, tokens, RBAC/ABAC policies and the Merkle-tree audit log (no tensor code)
        .target(
            name: "BulwarkAccess",
            dependencies: ["BulwarkErrors", "BulwarkStore", "CArgon2", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),

        // floor 3: findings and their renderings
        .target(
            name: "BulwarkReport",
            dependencies: [
                "BulwarkArchive", "BulwarkTensor", "BulwarkData", "BulwarkModels", "BulwarkEvasion", "BulwarkSupplyChain", "BulwarkPrivacy", "BulwarkPoisoning", "BulwarkExtraction",
                "BulwarkFederated",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),

        // the model registry: versions behind gates, stages and approvals, lineage (above the supply chain)
        .target(
            name: "BulwarkRegistry",
            dependencies: ["BulwarkErrors", "BulwarkStore", "BulwarkAccess", "BulwarkSupplyChain", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),

        // floor 4: the assessment pipeline (train or reuse → scan → threat modules → findings → report)
        .target(
            name: "BulwarkAssessment",
            dependencies: [
                "BulwarkTensor", "BulwarkArchive", "BulwarkData", "BulwarkModels", "BulwarkEvasion", "BulwarkSupplyChain", "BulwarkPrivacy", "BulwarkPoisoning", "BulwarkExtraction", "BulwarkReport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),

        // floor 4: the inference runtime behind the gateway (models served from the registry, batching,
        // validation, rate limits, in-line defences, drift monitoring, incidents), without HTTP
        .target(
            name: "BulwarkServing",
            dependencies: [
                "BulwarkErrors", "BulwarkTensor", "BulwarkArchive", "BulwarkData", "BulwarkModels", "BulwarkEvasion", "BulwarkExtraction",
                "BulwarkPoisoning", "BulwarkStore", "BulwarkAccess", "BulwarkRegistry",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),

        // floor 5: the HTTP server (routes, middleware, web UI), thin like the CLI beside it
        .target(
            name: "BulwarkGateway",
            dependencies: [
                "BulwarkErrors", "BulwarkStore", "BulwarkAccess", "BulwarkRegistry", "BulwarkServing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),

        // floor 5: the command-line tool
        .executableTarget(
            name: "bulwark",
            dependencies: [
                "BulwarkTensor", "BulwarkArchive", "BulwarkData", "BulwarkModels", "BulwarkEvasion", "BulwarkSupplyChain", "BulwarkReport", "BulwarkPrivacy",
                "BulwarkPoisoning", "BulwarkExtraction", "BulwarkAssessment", "BulwarkAccess", "BulwarkGateway", "BulwarkServing", "BulwarkFederated", "BulwarkCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        .testTarget(name: "BulwarkErrorsTests", dependencies: ["BulwarkErrors"], swiftSettings: strictSettings),
        .testTarget(name: "BulwarkTensorTests", dependencies: ["BulwarkTensor"], swiftSettings: strictSettings),
        .testTarget(name: "BulwarkArchiveTests", dependencies: ["BulwarkArchive", "CZlib", "CBZip2", "CLZMA", "CLZ4", "CZstd"], swiftSettings: strictSettings),
        .testTarget(name: "BulwarkDataTests", dependencies: ["BulwarkData"], resources: [.copy("Fixtures")], swiftSettings: strictSettings),
        .testTarget(name: "BulwarkModelsTests", dependencies: ["BulwarkModels", "BulwarkData", "BulwarkArchive"], resources: [.copy("Fixtures")], swiftSettings: strictSettings),
        .testTarget(name: "BulwarkSupplyChainTests", dependencies: ["BulwarkSupplyChain", "BulwarkReport"], resources: [.copy("Fixtures")], swiftSettings: strictSettings),
        .testTarget(name: "BulwarkEvasionTests", dependencies: ["BulwarkEvasion"], exclude: ["Fixtures/make_certification_fixtures.py"],
                    swiftSettings: strictSettings),
        .testTarget(name: "BulwarkPrivacyTests", dependencies: ["BulwarkPrivacy", "BulwarkDP", "BulwarkTensor", "BulwarkModels"], resources: [.copy("Fixtures")], swiftSettings: strictSettings),
        .testTarget(name: "BulwarkCryptoTests", dependencies: ["BulwarkCrypto"], swiftSettings: strictSettings),
        .testTarget(name: "BulwarkFederatedTests", dependencies: ["BulwarkFederated", "BulwarkCrypto", "BulwarkDP", "BulwarkTensor", "BulwarkData", "BulwarkModels",
                                                           .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                    swiftSettings: strictSettings),
        .testTarget(name: "BulwarkPoisoningTests", dependencies: ["BulwarkPoisoning", "BulwarkArchive", "BulwarkTensor", "BulwarkData", "BulwarkModels"],
                    swiftSettings: strictSettings),
        .testTarget(name: "BulwarkExtractionTests", dependencies: ["BulwarkExtraction", "BulwarkArchive", "BulwarkTensor", "BulwarkData", "BulwarkModels"],
                    swiftSettings: strictSettings),
        .testTarget(name: "BulwarkReportTests", dependencies: ["BulwarkReport", "BulwarkArchive", "BulwarkTensor", "BulwarkModels", "BulwarkEvasion", "BulwarkSupplyChain", "BulwarkPrivacy", "BulwarkPoisoning", "BulwarkExtraction"], swiftSettings: strictSettings),
        .testTarget(name: "BulwarkAssessmentTests", dependencies: ["BulwarkAssessment", "BulwarkReport", "BulwarkModels", "BulwarkSupplyChain", "BulwarkPoisoning", "BulwarkData", "BulwarkTensor"], swiftSettings: strictSettings),
        .testTarget(name: "BulwarkStoreTests", dependencies: ["BulwarkStore"], swiftSettings: strictSettings),
        .testTarget(name: "BulwarkAccessTests", dependencies: ["BulwarkAccess", "BulwarkStore"],
                    exclude: ["WebAuthn/Fixtures/make_vectors.py"], swiftSettings: strictSettings),
        .testTarget(name: "BulwarkServingTests", dependencies: ["BulwarkServing", "BulwarkErrors", "BulwarkTensor", "BulwarkData", "BulwarkModels", "BulwarkEvasion",
                                                     "BulwarkExtraction", "BulwarkPoisoning", "BulwarkStore", "BulwarkAccess", "BulwarkRegistry",
                                                     .product(name: "Metrics", package: "swift-metrics")],
                    exclude: ["Fixtures/make_drift_fixture.py"], swiftSettings: strictSettings),
        .testTarget(name: "BulwarkRegistryTests", dependencies: ["BulwarkRegistry", "BulwarkStore", "BulwarkAccess", "BulwarkSupplyChain"], swiftSettings: strictSettings),
        .testTarget(
            name: "BulwarkGatewayTests",
            dependencies: [
                "BulwarkGateway", "BulwarkErrors", "BulwarkStore", "BulwarkAccess", "BulwarkRegistry", "BulwarkSupplyChain", "BulwarkServing", "BulwarkTensor", "BulwarkModels",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "BulwarkCLITests", dependencies: ["bulwark", "BulwarkAccess"], swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6]
)
