// swift-tools-version: 6.1
import PackageDescription
import Foundation

// The root package's identity is its directory name ("main" in /work/main, else the worktree's).
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

// Benchmarks live in their own package so the main build and CI never compile them.
let package = Package(
    name: "BulwarkBenchmarks",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "bulwark-bench",
            dependencies: [
                .product(name: "BulwarkTensor", package: root),
                .product(name: "BulwarkModels", package: root),
            ],
            path: "Sources/bulwark-bench"
        ),
        .executableTarget(
            name: "dpsgd-bench",
            dependencies: [
                .product(name: "BulwarkTensor", package: root),
                .product(name: "BulwarkData", package: root),
                .product(name: "BulwarkModels", package: root),
                .product(name: "BulwarkPrivacy", package: root),
            ],
            path: "privacy/swift"
        ),
        .executableTarget(
            name: "conv-bench",
            dependencies: [.product(name: "BulwarkTensor", package: root)],
            path: "conv"
        ),
        .executableTarget(
            name: "evasion-bench",
            dependencies: [
                .product(name: "BulwarkTensor", package: root),
                .product(name: "BulwarkModels", package: root),
                .product(name: "BulwarkEvasion", package: root),
            ],
            path: "evasion/swift"
        ),
        .executableTarget(
            name: "audit-bench",
            dependencies: [
                .product(name: "BulwarkStore", package: root),
                .product(name: "BulwarkAccess", package: root),
            ],
            path: "audit/swift"
        ),
        .executableTarget(
            name: "infer-bench",
            dependencies: [
                .product(name: "BulwarkTensor", package: root),
                .product(name: "BulwarkModels", package: root),
            ],
            path: "gateway/infer"
        ),
        .executableTarget(
            name: "onnx-bench",
            dependencies: [
                .product(name: "BulwarkTensor", package: root),
                .product(name: "BulwarkModels", package: root),
            ],
            path: "onnx/bench"
        ),
        .executableTarget(
            name: "onnx-train-bench",
            dependencies: [
                .product(name: "BulwarkTensor", package: root),
                .product(name: "BulwarkModels", package: root),
            ],
            path: "onnx/train"
        ),
        .executableTarget(
            name: "secagg-bench",
            dependencies: [
                .product(name: "BulwarkCrypto", package: root),
                .product(name: "BulwarkFederated", package: root),
            ],
            path: "federated/secagg-swift"
        ),
        .executableTarget(
            name: "mpc-bench",
            dependencies: [
                .product(name: "BulwarkCrypto", package: root),
                .product(name: "BulwarkData", package: root),
                .product(name: "BulwarkFederated", package: root),
                .product(name: "BulwarkModels", package: root),
                .product(name: "BulwarkTensor", package: root),
            ],
            path: "mpc"
        ),
    ],
    swiftLanguageModes: [.v6]
)
