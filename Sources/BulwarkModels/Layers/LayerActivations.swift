public import BulwarkTensor

extension Sequential {
    /// The index of the penultimate layer's output: the input of the last layer (for `cnn`, the
    /// 128 ReLU activations before the final dense layer). 0 for a one-layer model.
    public var penultimateLayerIndex: Int { Swift.max(0, layers.count - 2) }

    /// Activations after layer `layer` (an index into ``layers``; default the penultimate
    /// layer, ``penultimateLayerIndex``), one flattened row per example: `N × d`.
    ///
    /// Runs in inference mode, `batchSize` examples at a time, on plain tensors with no tape
    /// (``inferenceOutput(_:through:)``, which fuses convolution, ReLU and pooling); the cost is
    /// a forward pass through layers `0...layer`. Representation-based defences (activation clustering, spectral
    /// signatures, feature-space detectors) read their features here.
    ///
    /// ```swift
    /// let model = ZooArchitecture.cnn.makeModel(seed: 0)
    /// let features = try model.activations(Tensor.zeros([4, 1, 28, 28]))   // 4 × 128
    /// ```
    /// - Throws: ``ModelError`` (`.shapeMismatch`) when `layer` is outside the model or the
    ///   inputs' example shape is not ``inputShape``.
    public func activations(_ inputs: Tensor, afterLayer layer: Int? = nil, batchSize: Int = 256) throws(ModelError) -> Tensor {
        let k = layer ?? penultimateLayerIndex
        guard layers.indices.contains(k) else {
            throw ModelError(.shapeMismatch, "activations: layer \(k) is outside the model's layers 0..<\(layers.count)")
        }
        guard inputs.rank >= 1, Array(inputs.shape.dropFirst()) == inputShape else {
            throw ModelError(.shapeMismatch, "activations: inputs of shape \(inputs.shape), expected N×\(inputShape)")
        }
        let n = inputs.shape[0]
        var shape = inputShape
        for i in 0...k { shape = try layers[i].outputShape(for: shape) }
        let width = shape.reduce(1, *)
        let step = Swift.max(1, batchSize)
        return Tensor(shape: [n, width], unsafeUninitializedCapacity: { out in
            for start in stride(from: 0, to: n, by: step) {
                let y = inferenceOutput(inputs.rows(start..<Swift.min(n, start + step)), through: k)
                _ = UnsafeMutableBufferPointer(rebasing: out[(start * width)...]).initialize(from: y.scalars)
            }
        })
    }
}
