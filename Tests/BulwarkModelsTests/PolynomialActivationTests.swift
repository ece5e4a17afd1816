import Foundation
import Testing
import BulwarkModels
import BulwarkTensor

/// The polynomial activations (`square`, `poly`) of the zoo mlp: gradients, training, saving,
/// loading and ONNX export.
@Suite struct PolynomialActivationTests {
    static let kinds: [Activation.Kind] = [.square, .quadratic(a: 0.125, b: 0.5, c: 0.25), .quadratic(a: -0.3, b: 1.5, c: -2)]

    /// Σ w ⊙ f(x) and its gradient in x by the tape.
    static func valueAndGradient(_ layer: Activation, _ x: Tensor, _ w: Tensor) -> (Float, Tensor) {
        let tape = Tape()
        let input = tape.variable(x)
        var context = ForwardContext(training: true)
        let y = layer.forward(input, parameters: [][...], context: &context)
        let gradient = tape.gradients(of: y, seed: w, wrt: [input])[0]
        return (zip(y.value.scalars, w.scalars).reduce(0) { $0 + $1.0 * $1.1 }, gradient)
    }

    @Test(arguments: kinds)
    func gradientMatchesCentralDifferences(_ kind: Activation.Kind) throws {
        let layer = Activation(kind)
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.normal([3, 7], using: &rng) * 2, w = Tensor.normal([3, 7], using: &rng)
        let (_, gradient) = Self.valueAndGradient(layer, x, w)
        let h: Float = 1e-2
        for i in 0..<x.count {
            var plus = x, minus = x
            plus.scalars[i] += h
            minus.scalars[i] -= h
            let numeric = (Self.valueAndGradient(layer, plus, w).0 - Self.valueAndGradient(layer, minus, w).0) / (2 * h)
            #expect(abs(numeric - gradient.scalars[i]) <= 2e-2 * max(1, abs(numeric)), "element \(i): tape \(gradient.scalars[i]), numeric \(numeric)")
        }
        // The closed form: 2x for x², 2a·x + b for a·x² + b·x + c.
        let expected: [Float] = x.scalars.map { v in
            switch kind {
            case .quadratic(let a, let b, _): 2 * a * v + b
            default: 2 * v
            }
        }
        for i in 0..<x.count { #expect(abs(gradient.scalars[i] - expected[i] * w.scalars[i]) <= 1e-4 * max(1, abs(expected[i]))) }
        // Training and inference compute the same values.
        var context = ForwardContext(training: false)
        let tape = Tape()
        #expect(layer.infer(x).isApproximatelyEqual(to: layer.forward(tape.constant(x), parameters: [][...], context: &context).value,
                                                    absoluteTolerance: 1e-5))
    }

    @Test func variantsBuildTheAskedLayersAndOnlyForMLP() throws {
        let square = try ZooArchitecture.mlp.makeModel(exampleShape: [1, 28, 28], classCount: 10, seed: 1,
                                                       variant: ZooVariant(hiddenSizes: [32], activation: .square))
        #expect(square.layers.count == 4 && square.layers[0] is Flatten && (square.layers[1] as? Dense)?.outputSize == 32)
        #expect((square.layers[2] as? Activation)?.kind == .square)
        #expect(square.parameterCount == 784 * 32 + 32 + 32 * 10 + 10)
        let poly = try ZooArchitecture.mlp.makeModel(exampleShape: [1, 28, 28], classCount: 10,
                                                     variant: ZooVariant(hiddenSizes: [16, 8], activation: .poly))
        #expect(poly.layers.compactMap { ($0 as? Activation)?.kind } == [.quadratic(a: 0.125, b: 0.5, c: 0.25), .quadratic(a: 0.125, b: 0.5, c: 0.25)])
        // The standard variant is the documented mlp, initialised as before.
        let standard = try ZooArchitecture.mlp.makeModel(exampleShape: [1, 28, 28], classCount: 10, seed: 3, variant: .standard)
        #expect(standard.parameters == ZooArchitecture.mlp.makeModel(seed: 3).parameters)
        #expect(throws: ModelError.self) {
            try ZooArchitecture.cnn.makeModel(exampleShape: [1, 28, 28], classCount: 10, variant: ZooVariant(activation: .square))
        }
        for bad in ["", "32,", "0", "a", "5000", "1,1,1,1,1,1,1,1,1"] {
            #expect(throws: ModelError.self, "\(bad)") { try ZooVariant.parseHiddenSizes(bad) }
        }
        #expect(try ZooVariant.parseHiddenSizes("256, 128") == [256, 128])
    }

    /// Two classes a square network separates: which half of the image is brighter.
    static func halves(_ n: Int, seed: UInt64) -> (inputs: Tensor, labels: [Int]) {
        var rng = SeededGenerator(seed: seed)
        var scalars: [Float] = [], labels: [Int] = []
        for i in 0..<n {
            let label = i % 2
            for p in 0..<784 {
                let bright = (p < 392) == (label == 0)
                scalars.append(Float.random(in: 0...1, using: &rng) * (bright ? 0.9 : 0.4))
            }
            labels.append(label)
        }
        return (Tensor(shape: [n, 1, 28, 28], scalars: scalars), labels)
    }

    @Test(arguments: [ZooActivation.square, .poly])
    func aTinyPolynomialMLPTrainsSavesLoadsAndExports(_ activation: ZooActivation) throws {
        let train = Self.halves(256, seed: 1), test = Self.halves(64, seed: 2)
        let variant = try ZooVariant(hiddenSizes: [8], activation: activation)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-poly-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plan = SupervisedTraining(configuration: TrainingConfiguration(epochs: 5, batchSize: 32, seed: 1), optimizer: Adam(learningRate: 2e-3))
        let run = try ModelTraining.run(plan, architecture: .mlp, seed: 4, dataset: "halves", training: train, test: test, variant: variant, saveTo: path)
        #expect(run.testAccuracy >= 0.9, "test accuracy \(run.testAccuracy)")
        let losses = run.outcome.map(\.loss)
        #expect(losses.last! < losses.first!, "\(losses)")
        #expect(run.provenance.variant == variant)

        // The file records the variant and loads back as the same function.
        let loaded = try ModelFile.load(path: path)
        #expect(loaded.metadata["bulwark.hidden_sizes"] == "8" && loaded.metadata["bulwark.activation"] == activation.rawValue)
        #expect(try ModelProvenance(metadata: loaded.metadata)?.variant == variant)
        #expect(loaded.model.layers.count == 4 && loaded.model.parameters == run.model.parameters)
        #expect(loaded.model.logits(test.inputs) == run.model.logits(test.inputs))

        // ONNX export computes the same logits.
        let onnx = try ONNXModel(serialized: try ONNXExporter.serialize(loaded.model))
        let expected = run.model.logits(test.inputs)
        #expect(onnx.logits(test.inputs).isApproximatelyEqual(to: expected, absoluteTolerance: 1e-4 * max(1, expected.scalars.map(abs).max() ?? 1)))
    }

    @Test func aMalformedVariantInMetadataIsRefused() throws {
        let model = try ZooArchitecture.mlp.makeModel(exampleShape: [1, 28, 28], classCount: 10, variant: ZooVariant(hiddenSizes: [4], activation: .square))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-bad-variant-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var provenance = ModelProvenance(architecture: .mlp)
        provenance.variant = try ZooVariant(hiddenSizes: [4], activation: .square)
        for (key, value) in [("bulwark.activation", "cube"), ("bulwark.hidden_sizes", "4,x")] {
            var metadata = provenance.metadata
            metadata[key] = value
            try SafeTensors.write(model.namedTensors.map { (name: $0.name, tensor: $0.tensor) }, metadata: metadata, to: URL(fileURLWithPath: path))
            #expect(throws: ModelError.self) { try ModelFile.load(path: path) }
        }
        // A file without the keys is the standard mlp, which these tensors are not.
        try SafeTensors.write(model.namedTensors.map { (name: $0.name, tensor: $0.tensor) }, metadata: ModelProvenance(architecture: .mlp).metadata,
                              to: URL(fileURLWithPath: path))
        #expect(throws: ModelError.self) { try ModelFile.load(path: path) }
    }
}
