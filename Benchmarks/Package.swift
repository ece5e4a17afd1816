// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so the main build and CI never compile them.
let package = Package(
    name: "BulwarkBenchmarks",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "bulwark-bench",
            dependencies: [
                .product(name: "BulwarkTensor", package: "main"),
                .product(name: "BulwarkModels", package: "main"),
            ],
            path: "Sources/bulwark-bench"
        ),
    ],
    swiftLanguageModes: [.v6]
)
