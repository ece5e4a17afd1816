package import BulwarkTensor

/// L∞ perturbation steps on a classifier's inputs, shared by the threat modules (poisoning's
/// clean-label attacks, extraction's fingerprints). They live here, one floor down, because
/// modules on one floor never import each other (ARCHITECTURE.md).
package enum InputPerturbation {
    /// Projects `x` onto the L∞ ball of radius `epsilon` around `center`, intersected with [0, 1].
    package static func project(_ x: inout [Float], center: [Float], epsilon: Float) {
        for i in x.indices {
            let low = max(center[i] - epsilon, 0), high = min(center[i] + epsilon, 1)
            x[i] = min(max(x[i], low), high)
        }
    }

    /// Projected signed-gradient steps under L∞ (Madry et al. 2018) with a caller's gradient: from
    /// a uniform random start in the ball (when `randomStart`), `steps` steps of size `stepSize`
    /// along `sign(gradient(x, rows))` — ascent — each followed by projection onto the ball around
    /// the clean inputs and [0, 1]. Runs in batches of `batchSize`; `gradient` receives the current
    /// batch and the row range it covers and returns a tensor of the batch's shape.
    package static func signedGradientSteps(inputs: Tensor, epsilon: Float, stepSize: Float, steps: Int, batchSize: Int = 128,
                                            randomStart: Bool = true, rng: inout SeededGenerator,
                                            gradient: (Tensor, Range<Int>) -> Tensor) -> Tensor {
        let n = inputs.shape.first ?? 0
        guard n > 0 else { return inputs }
        var parts: [Tensor] = []
        for start in stride(from: 0, to: n, by: max(1, batchSize)) {
            let range = start..<min(n, start + max(1, batchSize))
            let clean = inputs.rows(range)
            var x = clean.scalars
            if randomStart {
                for i in x.indices { x[i] += epsilon * (2 * rng.nextUniform() - 1) }
                project(&x, center: clean.scalars, epsilon: epsilon)
            }
            for _ in 0..<steps {
                let g = gradient(Tensor(shape: clean.shape, scalars: x), range)
                for i in x.indices where g.scalars[i] != 0 { x[i] += stepSize * (g.scalars[i] > 0 ? 1 : -1) }
                project(&x, center: clean.scalars, epsilon: epsilon)
            }
            parts.append(Tensor(shape: clean.shape, scalars: x))
        }
        return Tensor.concatenateRows(parts)
    }

    /// Untargeted projected gradient descent under L∞ (Madry et al. 2018): `steps` signed-gradient
    /// ascent steps of size `stepSize` on the cross-entropy of the true `labels`, from a uniform
    /// random start in the ball, in batches of `batchSize`. Returns the perturbed inputs.
    package static func projectedGradientAscent(model: some DifferentiableClassifier, inputs: Tensor, labels: [Int], epsilon: Float,
                                                stepSize: Float, steps: Int, batchSize: Int = 128, rng: inout SeededGenerator) -> Tensor {
        guard !labels.isEmpty else { return inputs }
        return signedGradientSteps(inputs: inputs, epsilon: epsilon, stepSize: stepSize, steps: steps, batchSize: batchSize, rng: &rng) { x, rows in
            model.lossAndInputGradient(x, labels: Array(labels[rows])).gradient
        }
    }
}
