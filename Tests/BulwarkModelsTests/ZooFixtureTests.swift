import Foundation
import Testing
import BulwarkTensor
import BulwarkModels

/// Batch normalisation and the zoo resnet against PyTorch: known answers made by
/// Fixtures/zoo/make_zoo_fixtures.py (float64 in PyTorch, stored as float32).
@Suite struct ZooFixtureTests {
    static func fixture(_ name: String) throws -> [String: Tensor] {
        let dir = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return try SafeTensors.read(from: dir.appendingPathComponent("zoo").appendingPathComponent(name)).tensors
    }

    /// The largest |a − b| over the elements, after checking the shapes agree.
    static func worst(_ a: Tensor, _ b: Tensor?, _ label: String) -> Float {
        guard let b, a.shape == b.shape else {
            Issue.record("\(label): shape \(a.shape) vs \(b?.shape ?? [])")
            return .infinity
        }
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
    }

    @Test func batchNorm2dMatchesPyTorchInBothModes() throws {
        let f = try Self.fixture("batchnorm2d.safetensors")
        var bn = BatchNorm(channels: 3)
        bn.parameters = [try #require(f["weight"]), try #require(f["bias"])]
        bn.buffers = [try #require(f["running_mean"]), try #require(f["running_var"])]
        let x = try #require(f["x"]), dy = try #require(f["dy"])

        // Eval: running statistics, nothing updated.
        let tape = Tape()
        var eval = ForwardContext(training: false)
        let ye = bn.forward(tape.constant(x), parameters: bn.parameters.map { tape.constant($0) }[...], context: &eval)
        #expect(Self.worst(ye.value, f["eval_y"], "eval y") <= 1e-5)
        #expect(eval.updatedBuffers == nil)

        // Train: batch statistics; gradients of Σ y·dy; running statistics updated.
        let t = Tape()
        let xv = t.variable(x), params = bn.parameters.map { t.variable($0) }
        var train = ForwardContext(training: true)
        let y = bn.forward(xv, parameters: params[...], context: &train)
        #expect(Self.worst(y.value, f["train_y"], "train y") <= 1e-5)
        let g = t.gradients(of: (y * t.constant(dy)).sum(), wrt: [xv] + params)
        #expect(Self.worst(g[0], f["train_dx"], "dx") <= 1e-5)
        #expect(Self.worst(g[1], f["train_dweight"], "dweight") <= 1e-5)
        #expect(Self.worst(g[2], f["train_dbias"], "dbias") <= 1e-5)
        let updated = try #require(train.updatedBuffers)
        #expect(Self.worst(updated[0], f["train_running_mean"], "running_mean") <= 1e-5)
        #expect(Self.worst(updated[1], f["train_running_var"], "running_var") <= 1e-5)
    }

    /// The zoo resnet with PyTorch's weights (loaded by state_dict name, `num_batches_tracked`
    /// included) gives PyTorch's logits and gradients in both modes, and PyTorch's running
    /// statistics after a training pass.
    @Test func resnetMatchesPyTorch() throws {
        let f = try Self.fixture("resnet.safetensors")
        var model = try ZooArchitecture.resnet.makeModel(exampleShape: [3, 9, 9], classCount: 5)
        try model.load(f.filter { !$0.key.hasPrefix("input.") && !$0.key.hasPrefix("eval.") && !$0.key.hasPrefix("train.") })
        let x = try #require(f["input.x"])
        let labels = try #require(f["input.labels"]).scalars.map { Int($0) }

        // Eval mode, as attacks see the model.
        #expect(Self.worst(model.logits(x), f["eval.logits"], "eval logits") <= 1e-5)
        let (_, gradEval) = model.lossAndInputGradient(x, labels: labels)
        #expect(Self.worst(gradEval, f["eval.grad_input"], "eval input gradient") <= 1e-5)

        // Train mode.
        let tape = Tape()
        let xv = tape.variable(x), params = model.parameters.map { tape.variable($0) }
        var context = ForwardContext(training: true)
        let (logits, updates) = model.forward(xv, parameters: params, context: &context)
        #expect(Self.worst(logits.value, f["train.logits"], "train logits") <= 1e-5)
        let grads = tape.gradients(of: softmaxCrossEntropy(logits: logits, labels: labels), wrt: [xv] + params)
        #expect(Self.worst(grads[0], f["train.grad_input"], "train input gradient") <= 1e-5)
        let names = model.layers.enumerated().flatMap { i, layer in layer.parameterNames.map { "\(i).\($0)" } }
        #expect(names.count == params.count && names.contains("3.conv1.weight") && names.contains("5.shortcut.0.weight"))
        for (name, g) in zip(names, grads.dropFirst()) {
            #expect(Self.worst(g, f["train.grad." + name], name) <= 1e-5, "gradient of \(name)")
        }
        model.applyBufferUpdates(updates)
        let buffers = model.namedTensors.filter { $0.name.hasSuffix("running_mean") || $0.name.hasSuffix("running_var") }
        #expect(buffers.count == 2 * 9)  // batch norms: 1 in the stem, 2 in the identity block, 3 in each projection block
        for (name, b) in buffers {
            #expect(Self.worst(b, f["train.after." + name], name) <= 1e-5, "updated \(name)")
        }
    }
}
