import Foundation
import Testing
import BulwarkData
import BulwarkTensor
import BulwarkModels

/// Fine-tuning imported ONNX models: PyTorch's answers from Fixtures/onnx-train (made by
/// scripts/onnx-train-fixtures.sh) and equivalence with the zoo `cnn` trained natively.
@Suite struct ONNXTrainingTests {
    static let names = ["cnn_train", "cnn_bn_train"]

    static func fixture(_ name: String) throws -> URL {
        let dir = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return dir.appendingPathComponent("onnx-train").appendingPathComponent(name)
    }

    static func tensor(_ name: String) throws -> Tensor { try NPY.read(path: fixture(name).path).toTensor() }

    static func tensors(_ name: String) throws -> [String: Tensor] {
        try NPZ.read(path: fixture(name).path).mapValues { (a) throws(DataError) in try a.toTensor() }
    }

    static func batch(_ name: String) throws -> (x: Tensor, labels: [Int]) {
        (try tensor(name + "_x.npy"), try NPY.read(path: fixture(name + "_labels.npy").path).toLabels())
    }

    /// Largest |a − b| over the tensor, relative to the largest |b| (so a tensor of tiny values is not
    /// excused), or to `floor` when that is larger.
    static func relativeError(_ a: Tensor, _ b: Tensor, floor: Float = 1e-12) -> Float {
        guard a.shape == b.shape else { return .infinity }
        let scale = max(b.scalars.map { abs($0) }.max() ?? 0, floor)
        return (zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0) / scale
    }

    @Test(arguments: names)
    func parameterGradientsMatchPyTorch(_ name: String) throws {
        let model = try ONNXModel(contentsOf: Self.fixture(name + ".onnx"))
        let (x, labels) = try Self.batch(name)
        let expected = try Self.tensors(name + "_grads.npz")
        #expect(Set(model.parameterNames) == Set(expected.keys), "the trainable initializers are PyTorch's parameters")
        let tape = Tape()
        let vars = model.parameters.map { tape.variable($0) }
        var context = ForwardContext(training: true)
        let (logits, _) = model.forward(tape.constant(x), parameters: vars, context: &context)
        let grads = tape.gradients(of: softmaxCrossEntropy(logits: logits, labels: labels), wrt: vars)
        // A conv bias followed by train-mode BatchNorm has a zero gradient in exact arithmetic; both
        // sides hold rounding noise there, so errors are measured against at least 1 % of the
        // model's largest gradient.
        let largest = expected.values.flatMap { $0.scalars.map { abs($0) } }.max() ?? 0
        for (pname, g) in zip(model.parameterNames, grads) {
            let want = try #require(expected[pname])
            let error = Self.relativeError(g, want, floor: 1e-2 * largest)
            #expect(error <= 1e-4, "\(name) \(pname): relative gradient error \(error)")
        }
    }

    @Test(arguments: names)
    func oneSGDStepMatchesPyTorch(_ name: String) throws {
        var model = try ONNXModel(contentsOf: Self.fixture(name + ".onnx"))
        let (x, labels) = try Self.batch(name)
        let expected = try Self.tensors(name + "_sgd.npz")
        let before = model.parameters
        var sgd = SGD(learningRate: 0.1)
        var context = ForwardContext(training: true)
        _ = trainStep(&model, optimizer: &sgd, inputs: x, labels: labels, context: &context)
        for (i, (pname, p)) in zip(model.parameterNames, model.parameters).enumerated() {
            let want = try #require(expected[pname])
            // Relative to the step taken, the part of the check that depends on the gradient.
            let step = Self.relativeError(p - before[i], want - before[i])
            #expect(step <= 1e-4, "\(name) \(pname): relative error of the step \(step)")
        }
    }

    @Test func batchNormTrainingModeMatchesPyTorch() throws {
        let name = "cnn_bn_train"
        var model = try ONNXModel(contentsOf: Self.fixture(name + ".onnx"))
        let (x, _) = try Self.batch(name)
        let running = try Self.tensors(name + "_running.npz")
        #expect(Set(model.bufferNames) == Set(running.keys))
        let inference = model.logits(x)
        let tape = Tape()
        var context = ForwardContext(training: true)
        let (logits, updates) = model.forward(tape.constant(x), parameters: model.parameters.map { tape.constant($0) }, context: &context)
        let trainLogits = try Self.tensor(name + "_train_logits.npy")
        #expect(Self.relativeError(logits.value, trainLogits) <= 1e-5)
        #expect(Self.relativeError(inference, trainLogits) > 1e-2, "inference mode uses the running statistics instead")
        model.applyBufferUpdates(updates)
        for (bname, b) in zip(model.bufferNames, model.buffers) {
            let want = try #require(running[bname])
            #expect(Self.relativeError(b, want) <= 1e-5, "\(bname): relative error \(Self.relativeError(b, want))")
        }
        // The first BatchNorm was made with PyTorch momentum 0.2: ONNX momentum 0.8 must not be read as 0.2.
        #expect(model.bufferNames.contains("1.running_mean"))
    }

    @Test func trainStepEqualsTheZooCNNStep() throws {
        var zoo = ZooArchitecture.cnn.makeModel(seed: 3)
        var onnx = try ONNXModel(serialized: ONNXExporter.serialize(zoo))
        #expect(onnx.parameterNames == zoo.parameterNames)
        var rng = SeededGenerator(seed: 4)
        let x = Tensor.uniform([16, 1, 28, 28], low: 0, high: 1, using: &rng)
        let labels = (0..<16).map { $0 % 10 }
        var (adamZoo, adamONNX) = (Adam(learningRate: 1e-3), Adam(learningRate: 1e-3))
        var (contextZoo, contextONNX) = (ForwardContext(training: true, seed: 1), ForwardContext(training: true, seed: 1))
        for _ in 0..<2 {
            let a = trainStep(&zoo, optimizer: &adamZoo, inputs: x, labels: labels, context: &contextZoo)
            let b = trainStep(&onnx, optimizer: &adamONNX, inputs: x, labels: labels, context: &contextONNX)
            #expect(a.loss == b.loss && a.correct == b.correct)
        }
        for (name, (p, q)) in zip(zoo.parameterNames, zip(zoo.parameters, onnx.parameters)) {
            #expect(p.scalars == q.scalars, "\(name) differs after two Adam steps")
        }
    }

    @Test func exportAfterTrainingChangesOnlyInitializerValues() throws {
        let url = try Self.fixture("cnn_bn_train.onnx")
        // An unknown top-level field (number 99, varint 7) appended to the file must survive export.
        var original = try Data(contentsOf: url)
        original.append(contentsOf: [0x98, 0x06, 0x07])
        var model = try ONNXModel(serialized: original)
        let (x, labels) = try Self.batch("cnn_bn_train")
        var sgd = SGD(learningRate: 0.1)
        var context = ForwardContext(training: true)
        _ = trainStep(&model, optimizer: &sgd, inputs: x, labels: labels, context: &context)
        let bytes = try ONNXExporter.serialize(model)
        let reloaded = try ONNXModel(serialized: bytes)
        #expect(reloaded.logits(x).scalars == model.logits(x).scalars)
        // Benchmarks/onnx/finetune-check.sh sets this to check the file with onnxruntime; the test
        // itself never needs Python.
        if let dir = ProcessInfo.processInfo.environment["BULWARK_ONNX_FINETUNE_OUT"] {
            let out = URL(fileURLWithPath: dir)
            try bytes.write(to: out.appendingPathComponent("finetuned_bn.onnx"))
            try x.scalars.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: out.appendingPathComponent("x.f32"))
            try reloaded.logits(x).scalars.withUnsafeBufferPointer { Data(buffer: $0) }
                .write(to: out.appendingPathComponent("bulwark_logits.f32"))
        }
        #expect(reloaded.namedTensors.map(\.name) == model.namedTensors.map(\.name))

        let comparison = try ONNXFileComparison(original, bytes)
        #expect(comparison.keepsUnknownFields)
        // A conv bias followed by BatchNorm has a zero gradient in exact arithmetic, so its step may
        // round away: the changed initializers are exactly the trained tensors whose values moved.
        let loaded = Dictionary(uniqueKeysWithValues: try ONNXModel(serialized: original).namedTensors.map { ($0.name, $0.tensor.scalars) })
        let moved = Set(model.namedTensors.filter { loaded[$0.name] != $0.tensor.scalars }.map(\.name))
        #expect(moved.count >= 12 && moved.isSubset(of: Set(model.namedTensors.map(\.name))))
        #expect(comparison.changedInitializers == moved, "the trained tensors that moved changed, and nothing else")
        #expect(comparison.identicalApartFromInitializerData,
                "graph, nodes, opset, inputs, outputs, metadata and initializer names are unchanged")
        // The comparison itself notices a change outside initializer data.
        #expect(try !ONNXFileComparison(Data(contentsOf: url), bytes).keepsUnknownFields)
    }

    @Test func zooCNNExportedByBulwarkFineTunesAndExportsBack() throws {
        // float_data initializers (Bulwark's own exporter) are written back as float_data.
        let zoo = ZooArchitecture.mlp.makeModel(seed: 2)
        var model = try ONNXModel(serialized: ONNXExporter.serialize(zoo))
        var rng = SeededGenerator(seed: 9)
        let x = Tensor.uniform([8, 1, 28, 28], low: 0, high: 1, using: &rng)
        var sgd = SGD(learningRate: 0.5)
        var context = ForwardContext(training: true)
        _ = trainStep(&model, optimizer: &sgd, inputs: x, labels: Array(0..<8), context: &context)
        let original = try ONNXExporter.serialize(zoo), exported = try ONNXExporter.serialize(model)
        let comparison = try ONNXFileComparison(original, exported)
        #expect(comparison.identicalApartFromInitializerData)
        #expect(comparison.changedInitializers == Set(model.parameterNames))
        let reloaded = try ONNXModel(serialized: exported)
        #expect(reloaded.parameters.map(\.scalars) == model.parameters.map(\.scalars))
        #expect(reloaded.parameters[0].scalars != zoo.parameters[0].scalars)
    }
}
