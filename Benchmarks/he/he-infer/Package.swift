// swift-tools-version: 6.1
import PackageDescription
import Foundation

// The Swift side of Benchmarks/he/he-infer.sh: a release driver timing encrypted square-MLP inference. Its own
// package (not Benchmarks/Package.swift) so that building it compiles BulwarkCrypto alone.
// The root package's identity is its directory name ("main" in /work/main, else the worktree's).
let rootURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let root = rootURL.lastPathComponent

let package = Package(
    name: "HEInferBench",
    dependencies: [.package(path: "../../..")],
    targets: [
        .executableTarget(
            name: "he-infer",
            dependencies: [.product(name: "BulwarkCrypto", package: root)],
            path: "Sources/he-infer"
        ),
    ]
)
