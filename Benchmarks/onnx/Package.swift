// swift-tools-version: 6.1
import PackageDescription

// The ONNX inference benchmark lives in its own package so the main build and CI never compile it.
let package = Package(
    name: "BulwarkONNXBenchmark",
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(
            name: "onnx-bench",
            dependencies: [
                .product(name: "BulwarkTensor", package: "main"),
                .product(name: "BulwarkModels", package: "main"),
            ],
            path: "Sources/onnx-bench"
        ),
    ],
    swiftLanguageModes: [.v6]
)
