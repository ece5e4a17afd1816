import Foundation
import Testing
import BulwarkTensor
@testable import BulwarkModels

/// Sequential and the ONNX executor pool before ReLU when a ReLU feeds a max-pool: the logits
/// and input gradients must equal those of the layers run one by one in their written order.
@Suite struct ReluPoolOrderTests {
    static func model() throws -> Sequential {
        var rng = SeededGenerator(seed: 31)
        return try Sequential(inputShape: [2, 8, 8], layers: [
            Conv2D(2, 4, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), MaxPool2D(kernel: (2, 2)),
            Conv2D(4, 4, kernel: (3, 3), padding: (1, 1), rng: &rng), ReLU(), MaxPool2D(kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
            Flatten(), Dense(16, 3, rng: &rng),
        ])
    }

    /// Logits and input gradient of Σ logits·w with every layer applied in order (no reordering).
    static func inOrder(_ model: Sequential, _ x: Tensor, _ w: Tensor) -> (Tensor, Tensor) {
        let tape = Tape()
        let input = tape.variable(x)
        var v = input
        var k = 0
        var context = ForwardContext(training: false)
        for layer in model.layers {
            let n = layer.parameterNames.count
            v = layer.forward(v, parameters: model.parameters[k..<(k + n)].map { tape.constant($0) }[...], context: &context)
            k += n
        }
        return (v.value, tape.gradients(of: v, seed: w, wrt: [input])[0])
    }

    static func through(_ f: (Variable) -> Variable, _ x: Tensor, _ w: Tensor) -> (Tensor, Tensor) {
        let tape = Tape()
        let input = tape.variable(x)
        let z = f(input)
        return (z.value, tape.gradients(of: z, seed: w, wrt: [input])[0])
    }

    @Test func sequentialMatchesLayerByLayer() throws {
        let model = try Self.model()
        var rng = SeededGenerator(seed: 32)
        let x = Tensor.normal([5, 2, 8, 8], using: &rng), w = Tensor.normal([5, 3], using: &rng)
        let (z0, g0) = Self.inOrder(model, x, w)
        let (z1, g1) = Self.through(model.logits, x, w)
        #expect(z1 == z0)
        #expect(g1 == g0)
        #expect(g0.scalars.contains { $0 != 0 })
    }

    /// Sequential runs a convolution and the max-pool that reads it as one fused operation
    /// (`conv2dMaxPool`), with or without a ReLU between them: in training mode, parameter
    /// gradients and logits must be those of the layers one by one, bit for bit.
    @Test(arguments: [true, false])
    func fusedConvolutionPoolingTrainsAsLayerByLayer(relu: Bool) throws {
        var rng = SeededGenerator(seed: 34)
        let model = try Sequential(inputShape: [2, 9, 9], layers: [
            Conv2D(2, 4, kernel: (3, 3), padding: (1, 1), rng: &rng)] + (relu ? [ReLU()] : []) + [MaxPool2D(kernel: (2, 2)),
            Conv2D(4, 5, kernel: (3, 3), padding: (1, 1), rng: &rng), MaxPool2D(kernel: (3, 3), stride: (2, 2), padding: (1, 1)), ReLU(),
            Flatten(), Dense(20, 3, rng: &rng),
        ])
        let x = Tensor.normal([6, 2, 9, 9], using: &rng), w = Tensor.normal([6, 3], using: &rng)
        func gradients(fused: Bool) -> (Tensor, [Tensor]) {
            let tape = Tape()
            let params = model.parameters.map { tape.variable($0) }
            var context = ForwardContext(training: true)
            var v = tape.constant(x)
            if fused {
                v = model.forward(v, parameters: params, context: &context).output
            } else {
                var k = 0
                for layer in model.layers {
                    let n = layer.parameterNames.count
                    v = layer.forward(v, parameters: params[k..<(k + n)], context: &context)
                    k += n
                }
            }
            return (v.value, tape.gradients(of: v, seed: w, wrt: params))
        }
        let (z0, g0) = gradients(fused: false), (z1, g1) = gradients(fused: true)
        #expect(z1.scalars.map(\.bitPattern) == z0.scalars.map(\.bitPattern))
        #expect(g1.count == g0.count)
        for (a, e) in zip(g1, g0) { #expect(a.scalars.map(\.bitPattern) == e.scalars.map(\.bitPattern), "gradient \(e.shape)") }
        #expect(g0[0].scalars.contains { $0 != 0 })
    }

    @Test func onnxExecutorMatchesLayerByLayer() throws {
        let model = try Self.model()
        let onnx = try ONNXModel(serialized: try ONNXExporter.serialize(model))
        #expect(ONNXExecutor(graph: onnx.graph).reluBeforeMaxPool.count == 2)
        #expect(ONNXExecutor(graph: onnx.graph).convBeforeMaxPool.count == 2)  // each Conv runs fused with its MaxPool
        var rng = SeededGenerator(seed: 33)
        let x = Tensor.normal([4, 2, 8, 8], using: &rng), w = Tensor.normal([4, 3], using: &rng)
        let (z0, g0) = Self.inOrder(model, x, w)
        let (z1, g1) = Self.through(onnx.logits, x, w)
        #expect(z1.isApproximatelyEqual(to: z0, absoluteTolerance: 1e-5))
        #expect(g1.isApproximatelyEqual(to: g0, absoluteTolerance: 1e-5))
    }
}
