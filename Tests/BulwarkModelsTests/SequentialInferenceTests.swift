import Testing
import BulwarkTensor
import BulwarkModels

/// The tape-free inference path (`Sequential.logits(Tensor)`, `inferenceOutput`, `activations`)
/// against the tape forward pass, layer by layer in the written order: equal bit for bit,
/// with and without the conv/ReLU/pool and dense/ReLU fusions.
@Suite struct SequentialInferenceTests {
    static func models() throws -> [(String, Sequential)] {
        var rng = SeededGenerator(seed: 51)
        // conv → pool → ReLU (the other order), relu → pool after batch norm (no conv to fuse
        // into), a padded 3×3/2 pool, dropout, sigmoid and dense → ReLU
        let mixed = try Sequential(inputShape: [2, 9, 9], layers: [
            Conv2D(2, 4, kernel: (3, 3), padding: (1, 1), rng: &rng), MaxPool2D(kernel: (2, 2)), ReLU(),
            Conv2D(4, 4, kernel: (3, 3), padding: (1, 1), rng: &rng), BatchNorm(channels: 4), ReLU(),
            MaxPool2D(kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
            Conv2D(4, 3, kernel: (1, 1), rng: &rng), Sigmoid(),
            Flatten(), Dropout(rate: 0.5), Dense(12, 6, rng: &rng), ReLU(), Dense(6, 3, rng: &rng),
        ])
        return [("cnn", ZooArchitecture.cnn.makeModel(seed: 3)), ("mlp", ZooArchitecture.mlp.makeModel(seed: 4)),
                ("resnet", try ZooArchitecture.resnet.makeModel(exampleShape: [3, 12, 12], classCount: 5, seed: 5)),
                ("mixed", mixed)]
    }

    /// The output of every layer, each applied on a tape in the written order.
    static func layerByLayer(_ model: Sequential, _ x: Tensor) -> [Tensor] {
        let tape = Tape()
        var v = tape.constant(x)
        var context = ForwardContext(training: false)
        return model.layers.map { layer in
            v = layer.forward(v, parameters: layer.parameters.map { tape.constant($0) }[...], context: &context)
            return v.value
        }
    }

    @Test func logitsAndEveryLayersActivationsMatchTheTape() throws {
        for (name, model) in try Self.models() {
            var rng = SeededGenerator(seed: 52)
            let n = 11
            let x = Tensor.normal([n] + model.inputShape, using: &rng)
            let reference = Self.layerByLayer(model, x)
            let tapeLogits = model.logits(Tape().constant(x)).value
            #expect(model.logits(x) == tapeLogits, "\(name)")
            #expect(reference.last == tapeLogits, "\(name)")
            for k in model.layers.indices {
                let expected = reference[k].reshaped([n, -1])
                #expect(model.inferenceOutput(x, through: k) == reference[k], "\(name) layer \(k)")
                #expect(try model.activations(x, afterLayer: k, batchSize: n) == expected, "\(name) layer \(k)")
                // batches of 4 (the last one short): the same rows up to rounding (a matrix
                // product's kernels depend on its size)
                let batched = try model.activations(x, afterLayer: k, batchSize: 4)
                #expect(batched.isApproximatelyEqual(to: expected, absoluteTolerance: 1e-5), "\(name) layer \(k)")
            }
            #expect(model.predictions(x, batchSize: 5) == tapeLogits.argmaxRows(), "\(name)")
        }
    }
}
