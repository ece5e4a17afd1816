// swift-tools-version: 6.1
import PackageDescription
import Foundation

// The Swift side of Benchmarks/he/ckks-bench.sh: a release driver timing Bulwark's CKKS. Its own
// package (not Benchmarks/Package.swift) so that building it compiles BulwarkCrypto alone.
// The root package's identity is its directory name ("main" in /work/main, else the worktree's).
let rootURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let root = rootURL.lastPathComponent

let package = Package(
    name: "CKKSBench",
    dependencies: [.package(path: "../../..")],
    targets: [
        .executableTarget(
            name: "ckks-bench",
            dependencies: [.product(name: "BulwarkCrypto", package: root)],
            path: "Sources/ckks-bench"
        ),
    ]
)
