import Foundation
import Testing
import BulwarkModels
import BulwarkTensor

/// Sequential → ONNX → ONNXModel gives back the same function.
@Suite struct ONNXExportTests {
    // The resnet's batch normalisation and residual blocks have no ONNX export yet.
    @Test(arguments: ZooArchitecture.allCases.filter { $0 != .resnet })
    func roundTripKeepsLogits(_ arch: ZooArchitecture) throws {
        let model = arch.makeModel(seed: 7)
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
        #expect(s.parameterCount == model.parameterCount)
        #expect(s.producer == "bulwark")
    }
}
