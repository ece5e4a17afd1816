import Foundation
import Testing
import BulwarkModels
import BulwarkTensor

/// Sequential → ONNX → ONNXModel gives back the same function.
@Suite struct ONNXExportTests {
    /// `model` with every batch normalisation's scale, offset, running mean and running variance
    /// drawn at random, so that an exported `BatchNormalization` whose inputs were swapped or
    /// left at their defaults (1, 0, 0, 1) changes the logits.
    static func withRandomBatchNormStatistics(_ model: Sequential, seed: UInt64) throws -> Sequential {
        var rng = SeededGenerator(seed: seed)
        let prefixes = model.namedTensors.map(\.name).filter { $0.hasSuffix(".running_mean") }.map { String($0.dropLast("running_mean".count)) }
        var tensors: [String: Tensor] = [:]
        for (name, t) in model.namedTensors {
            var (low, high): (Float, Float) = (0, 0)
            for p in prefixes {
                if name == p + "weight" { (low, high) = (0.5, 1.5) }
                if name == p + "bias" || name == p + "running_mean" { (low, high) = (-0.5, 0.5) }
                if name == p + "running_var" { (low, high) = (0.3, 2) }
            }
            tensors[name] = low == high ? t : Tensor.uniform(t.shape, low: low, high: high, using: &rng)
        }
        var out = model
        try out.load(tensors)
        return out
    }

    /// Largest |a − b| relative to the largest |a| (at least 1).
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        guard a.shape == b.shape else { return .infinity }
        let scale = max(a.scalars.map { abs($0) }.max() ?? 0, 1)
        return (zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? .infinity) / scale
    }

    @Test(arguments: ZooArchitecture.allCases)
    func roundTripKeepsLogits(_ arch: ZooArchitecture) throws {
        let model = try Self.withRandomBatchNormStatistics(arch.makeModel(seed: 7), seed: 1)
        let bytes = try ONNXExporter.serialize(model)
        let back = try ONNXModel(serialized: bytes)
        #expect(back.inputShape == model.inputShape)
        #expect(back.classCount == model.classCount)
        var rng = SeededGenerator(seed: 3)
        let x = Tensor(shape: [3] + model.inputShape, scalars: (0..<(3 * 784)).map { _ in Float.random(in: 0...1, using: &rng) })
        let a = model.logits(x), b = back.logits(x)
        let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5)
        let s = back.summary
        // The summary counts every initializer: parameters and running statistics.
        #expect(s.parameterCount == model.namedTensors.reduce(0) { $0 + $1.tensor.count })
        #expect(s.producer == "bulwark")
        // Every initializer carries the model's safetensors name and value. (The loader orders
        // parameters by first use in breadth-first node order, which interleaves a residual
        // block's shortcut with its main branch, so names are compared as sets.)
        #expect(Set(back.parameterNames) == Set(model.parameterNames))
        let want = Dictionary(uniqueKeysWithValues: model.namedTensors.map { ($0.name, $0.tensor.scalars) })
        let got = Dictionary(uniqueKeysWithValues: back.namedTensors.map { ($0.name, $0.tensor.scalars) })
        #expect(got == want)
    }

    /// The data-sized architectures at shapes other than 1×28×28: logits, names and operators.
    @Test(arguments: [(ZooArchitecture.resnet, [3, 12, 10], 5), (.tabular, [30], 2), (.tabular, [2, 4, 4], 3)])
    func sizedFromDataRoundTrip(_ arch: ZooArchitecture, _ shape: [Int], _ classes: Int) throws {
        let model = try Self.withRandomBatchNormStatistics(arch.makeModel(exampleShape: shape, classCount: classes, seed: 5), seed: 2)
        let bytes = try ONNXExporter.serialize(model)
        let back = try ONNXModel(serialized: bytes)
        #expect(back.inputShape == shape && back.classCount == classes)
        var rng = SeededGenerator(seed: 8)
        let x = Tensor.uniform([4] + shape, low: -1, high: 1, using: &rng)
        let a = model.logits(x), b = back.logits(x)
        #expect(Self.relativeError(a, b) <= 1e-6, "\(arch): relative logit error \(Self.relativeError(a, b))")
        #expect(Set(back.parameterNames) == Set(model.parameterNames))
        #expect(Set(back.namedTensors.map(\.name)) == Set(model.namedTensors.map(\.name)))
        #expect(back.parameterNames.count + back.bufferNames.count == model.namedTensors.count)
        if arch == .resnet {
            let ops = back.summary.operatorCounts
            // stem conv + 2 per block + 2 projections; stem BN + 2 per block + 2 projections
            #expect(ops["Conv"] == 9 && ops["BatchNormalization"] == 9 && ops["Add"] == 3 && ops["Relu"] == 7)
            #expect(ops["GlobalAveragePool"] == 1 && ops["Flatten"] == 1 && ops["Gemm"] == 1)
            #expect(back.bufferNames.contains("4.shortcut.1.running_var") && !back.bufferNames.contains("3.shortcut.1.running_var"))
            for name in ["layer3.conv1", "layer4.shortcut.0", "layer5.bn2", "layer3.add", "l4.shortcut.1", "3.conv1.weight"] {
                #expect(bytes.range(of: Data(name.utf8)) != nil, "\(name) is named in the file")
            }
        }
        // Benchmarks/onnx/export-bn-check.sh sets this to run the files in onnxruntime; the test
        // itself never needs Python.
        if let dir = ProcessInfo.processInfo.environment["BULWARK_ONNX_EXPORT_OUT"] {
            let stem = "\(arch.rawValue)_" + shape.map(String.init).joined(separator: "x")
            let out = URL(fileURLWithPath: dir)
            try bytes.write(to: out.appendingPathComponent(stem + ".onnx"))
            try x.scalars.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: out.appendingPathComponent(stem + "_x.f32"))
            try a.scalars.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: out.appendingPathComponent(stem + "_bulwark.f32"))
            try b.scalars.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: out.appendingPathComponent(stem + "_reimported.f32"))
        }
    }

    /// BatchNorm after a Dense layer (N×C, BatchNorm1d) and after a convolution (N×C×H×W,
    /// BatchNorm2d), with non-default epsilon, and GlobalAvgPool feeding a Dense through Flatten.
    @Test func batchNormOneAndTwoDimensional() throws {
        var rng = SeededGenerator(seed: 11)
        let models = [
            try Sequential(inputShape: [6], layers: [Dense(6, 5, rng: &rng), BatchNorm(channels: 5, epsilon: 1e-3), ReLU(), Dense(5, 3, rng: &rng)]),
            try Sequential(inputShape: [2, 5, 5], layers: [
                Conv2D(2, 4, kernel: (3, 3), rng: &rng), BatchNorm(channels: 4, epsilon: 0.1, momentum: 0.3), Tanh(),
                GlobalAvgPool(), Flatten(), Dense(4, 3, rng: &rng),
            ]),
        ]
        for (k, plain) in models.enumerated() {
            let model = try Self.withRandomBatchNormStatistics(plain, seed: UInt64(k))
            let back = try ONNXModel(serialized: ONNXExporter.serialize(model))
            let x = Tensor.uniform([5] + model.inputShape, low: -2, high: 2, using: &rng)
            let error = Self.relativeError(model.logits(x), back.logits(x))
            #expect(error <= 1e-6, "model \(k): relative logit error \(error)")
            #expect(back.bufferNames == ["1.running_mean", "1.running_var"])
            #expect(back.summary.operatorCounts["BatchNormalization"] == 1)
        }
    }

    struct Doubling: Layer {
        func outputShape(for inputShape: [Int]) throws(ModelError) -> [Int] { inputShape }
        func forward(_ input: Variable, parameters: ArraySlice<Variable>, context: inout ForwardContext) -> Variable { input + input }
        var summary: String { "Doubling" }
    }

    @Test func unknownLayerIsRefusedWithItsIndex() throws {
        var rng = SeededGenerator(seed: 1)
        let model = try Sequential(inputShape: [4], layers: [Dense(4, 3, rng: &rng), Doubling()])
        #expect {
            _ = try ONNXExporter.serialize(model)
        } throws: { error in
            guard let e = error as? ONNXError else { return false }
            return e.code == .unsupported && e.message.contains("layer 1 (Doubling)")
        }
    }

    @Test func modelWithoutLayersIsTheIdentity() throws {
        let model = try Sequential(inputShape: [4], layers: [])
        let back = try ONNXModel(serialized: ONNXExporter.serialize(model))
        let x = Tensor(shape: [2, 4], scalars: (0..<8).map(Float.init))
        #expect(back.logits(x).scalars == x.scalars)
    }
}
