import BulwarkModels
import BulwarkTensor

/// Full gradient of one example's loss, by an ordinary backward pass through the model's
/// training-mode forward: the reference every per-example norm and clipped sum is tested against.
func singleExampleGradient<Model: TrainableModel>(_ model: Model, _ x: Tensor, _ y: Int) -> [Tensor] {
    let tape = Tape()
    let vars = model.parameters.map { tape.variable($0) }
    var context = ForwardContext(training: true)
    let out = model.forward(tape.constant(x.reshaped([1] + x.shape)), parameters: vars, context: &context).output
    return tape.gradients(of: softmaxCrossEntropy(logits: out, labels: [y]), wrt: vars)
}

/// The L2 norm of a gradient given as one tensor per parameter.
func norm(_ ts: [Tensor]) -> Float { ts.reduce(0) { $0 + $1.scalars.reduce(0) { $0 + $1 * $1 } }.squareRoot() }

/// Σ_i min(1, c/‖g_i‖)·g_i over the batch, each g_i from ``singleExampleGradient(_:_:_:)``.
func clippedSumReference<Model: TrainableModel>(_ model: Model, _ x: Tensor, _ y: [Int], maxNorm c: Float) -> [Tensor] {
    var expected = model.parameters.map { Tensor.zeros($0.shape) }
    for i in y.indices {
        let g = singleExampleGradient(model, x.slice(i), y[i])
        let factor = min(1, c / norm(g))
        for k in g.indices { expected[k] = expected[k] + g[k] * factor }
    }
    return expected
}
