import Foundation
import Testing
import BulwarkTensor
import BulwarkModels

/// The architectures sized from the data: `resnet` and `tabular`.
@Suite struct ZooTests {
    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-zoo-\(UUID().uuidString)-\(name)").path
    }

    @Test func resnetIsSizedFromTheData() throws {
        var rng = SeededGenerator(seed: 1)
        for (shape, classes) in [([3, 32, 32], 10), ([1, 28, 28], 10), ([2, 9, 7], 3)] {
            let model = try ZooArchitecture.resnet.makeModel(exampleShape: shape, classCount: classes, seed: 2)
            #expect(model.inputShape == shape && model.classCount == classes)
            let x = Tensor.uniform([2] + shape, using: &rng)
            #expect(model.logits(x).shape == [2, classes])
        }
        // 3×3 stem (C·144 + 16), batch norms (2 per channel), blocks 16→16, 16→32/2, 32→64/2, dense.
        let grey = ZooArchitecture.resnet.makeModel(seed: 0)
        let blocks = (2 * 16 * 16 * 9 + 2 * 32) + (16 * 32 * 9 + 32 * 32 * 9 + 16 * 32 + 3 * 64) + (32 * 64 * 9 + 64 * 64 * 9 + 32 * 64 + 3 * 128)
        #expect(grey.parameterCount == (144 + 16) + 32 + blocks + (64 * 10 + 10))
        let names = grey.namedTensors.map(\.name)
        #expect(names.contains("1.running_var") && names.contains("3.bn2.running_mean") && names.contains("4.shortcut.1.running_var"))
        #expect(!names.contains { $0.hasPrefix("3.shortcut") })  // 16→16, stride 1: identity shortcut
        #expect(names.last == "8.bias")
    }

    @Test func tabularIsAnMLPOverTheFeatures() throws {
        let model = try ZooArchitecture.tabular.makeModel(exampleShape: [30], classCount: 2, seed: 3)
        #expect(model.parameterCount == (30 * 64 + 64) + (64 * 32 + 32) + (32 * 2 + 2))
        #expect(model.namedTensors.map(\.name) == ["1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"])
        #expect(model.layers.allSatisfy { !$0.mixesExamplesInTraining })
        #expect(try ZooArchitecture.tabular.makeModel(exampleShape: [30], classCount: 2, seed: 3).parameters == model.parameters)
    }

    /// Two Gaussian clouds in 30 dimensions (unit noise) whose means are 5 apart along a
    /// fixed random direction; `seed` draws the noise.
    static func separable(n: Int, seed: UInt64) -> (Tensor, [Int]) {
        var fixed = SeededGenerator(seed: 100)
        let direction = Tensor.normal([30], using: &fixed).scalars
        var rng = SeededGenerator(seed: seed)
        let norm = direction.map { $0 * $0 }.reduce(0, +).squareRoot()
        let noise = Tensor.normal([n, 30], using: &rng).scalars
        let labels = (0..<n).map { $0 % 2 }
        var x = [Float](repeating: 0, count: n * 30)
        for i in 0..<n {
            let sign: Float = labels[i] == 0 ? -1 : 1
            for j in 0..<30 { x[i * 30 + j] = noise[i * 30 + j] + sign * 2.5 * direction[j] / norm }
        }
        return (Tensor(shape: [n, 30], scalars: x), labels)
    }

    @Test func tabularLearnsASeparableSet() throws {
        var model = try ZooArchitecture.tabular.makeModel(exampleShape: [30], classCount: 2, seed: 4)
        let (x, y) = Self.separable(n: 600, seed: 5)
        let (xt, yt) = Self.separable(n: 400, seed: 6)
        #expect(model.accuracy(xt, labels: yt) < 0.9)
        var adam = Adam(learningRate: 1e-2)
        train(&model, inputs: x, labels: y, optimizer: &adam, configuration: TrainingConfiguration(epochs: 5, batchSize: 50, seed: 7))
        // The Bayes accuracy of the clouds is Φ(2.5) ≈ 0.994.
        #expect(model.accuracy(xt, labels: yt) > 0.9)
    }

    @Test(arguments: [ZooArchitecture.resnet, .tabular])
    func sizedModelsRoundTripThroughSafetensors(_ arch: ZooArchitecture) throws {
        let (shape, classes) = arch == .resnet ? ([3, 12, 10], 4) : ([30], 3)
        var model = try arch.makeModel(exampleShape: shape, classCount: classes, seed: 8)
        var rng = SeededGenerator(seed: 9)
        let x = Tensor.uniform([5] + shape, using: &rng)
        if arch == .resnet {  // running statistics away from 0 and 1, so the buffers are tested
            var sgd = SGD(learningRate: 0.01)
            var context = ForwardContext(training: true)
            _ = trainStep(&model, optimizer: &sgd, inputs: x * 3, labels: [0, 1, 2, 3, 0], context: &context)
        }
        let path = Self.temporaryPath("\(arch.rawValue).safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.save(model, provenance: ModelProvenance(architecture: arch, dataset: "synthetic", seed: 8), to: path)

        let loaded = try ModelFile.load(path: path)
        #expect(loaded.architecture == arch)
        #expect(loaded.model.inputShape == shape && loaded.model.classCount == classes)
        #expect(loaded.model.namedTensors.map(\.name) == model.namedTensors.map(\.name))
        #expect(loaded.model.namedTensors.map(\.tensor) == model.namedTensors.map(\.tensor))
        #expect(loaded.model.logits(x) == model.logits(x))
        let provenance = try #require(try ModelProvenance(metadata: loaded.metadata))
        #expect(provenance.inputShape == shape && provenance.classCount == classes && provenance.dataset == "synthetic")
        let classifier = try ModelLoader.classifier(path: path)
        #expect(classifier.inputShape == shape && classifier.classCount == classes)
        #expect(classifier.logits(x) == model.logits(x))
    }

    @Test func shapesTheArchitectureCannotTakeAreOneLineErrors() throws {
        let cases: [(ZooArchitecture, [Int], Int, String)] = [
            (.mlp, [3, 32, 32], 10, "1×28×28"), (.cnn, [1, 28, 28], 5, "10 classes"), (.resnet, [30], 2, "C×H×W"),
            (.tabular, [0], 2, "positive"), (.tabular, [30], 1, "class count"), (.tabular, [1 << 30], 2, "elements"),
            (.resnet, [1 << 40, 1 << 40, 1 << 40], 2, "elements"),
        ]
        for (arch, shape, classes, text) in cases {
            do throws(ModelError) {
                _ = try arch.makeModel(exampleShape: shape, classCount: classes)
                Issue.record("\(arch) built for \(shape), \(classes) classes")
            } catch {
                #expect(error.code == .shapeMismatch && error.message.contains(text) && !error.message.contains("\n"), "\(error.message)")
            }
        }
        // The fixed architectures still build for their own shape through the sized entry point.
        #expect(try ZooArchitecture.cnn.makeModel(exampleShape: [1, 28, 28], classCount: 10, seed: 1).parameters
                == ZooArchitecture.cnn.makeModel(seed: 1).parameters)
    }

    @Test func aSizedModelFileMustRecordItsShape() throws {
        let model = try ZooArchitecture.tabular.makeModel(exampleShape: [30], classCount: 2)
        let tensors = model.namedTensors.map { (name: $0.name, tensor: $0.tensor) }
        for (metadata, text) in [(["bulwark.architecture": "tabular"], "bulwark.input_shape"),
                                 (["bulwark.architecture": "tabular", "bulwark.input_shape": "30,x", "bulwark.class_count": "2"], "3,32,32"),
                                 (["bulwark.architecture": "tabular", "bulwark.input_shape": "31", "bulwark.class_count": "2"], "1.weight")] {
            let path = Self.temporaryPath("bad.safetensors")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try SafeTensors.write(tensors, metadata: metadata, to: URL(fileURLWithPath: path))
            do throws(ModelError) {
                _ = try ModelFile.load(path: path)
                Issue.record("loaded with \(metadata)")
            } catch {
                #expect(error.message.contains(text) && error.message.contains(path) && !error.message.contains("\n"), "\(error.message)")
            }
        }
    }
}
