package import BulwarkModels
package import BulwarkTensor

/// The L∞ perturbation steps the clean-label attacks share. Written here rather than imported
/// from BulwarkEvasion: modules on one floor never import each other (ARCHITECTURE.md).
package enum Perturbation {
    /// Checks an L∞ budget and a step count.
    package static func check(epsilon: Float, steps: Int) throws(PoisoningError) {
        guard epsilon > 0, epsilon <= 1, epsilon.isFinite else {
            throw PoisoningError(.invalidParameter, "--eps must be in (0, 1] (an L∞ budget on inputs in [0, 1]), got \(epsilon)")
        }
        guard steps >= 1, steps <= 100_000 else {
            throw PoisoningError(.invalidParameter, "--steps must be in 1…100000, got \(steps)")
        }
    }

    /// Projects `x` onto the L∞ ball of radius `epsilon` around `center`, intersected with [0, 1].
    package static func project(_ x: inout [Float], center: [Float], epsilon: Float) {
        for i in x.indices {
            let low = max(center[i] - epsilon, 0), high = min(center[i] + epsilon, 1)
            x[i] = min(max(x[i], low), high)
        }
    }

    /// Untargeted projected gradient descent under L∞ (Madry et al. 2018): `steps` signed-gradient
    /// ascent steps of size `stepSize` on the cross-entropy of the true `labels`, from a uniform
    /// random start in the ball, in batches of `batchSize`. Returns the perturbed inputs.
    package static func projectedGradientAscent(model: some DifferentiableClassifier, inputs: Tensor, labels: [Int], epsilon: Float,
                                                stepSize: Float, steps: Int, batchSize: Int = 128, rng: inout SeededGenerator) -> Tensor {
        let n = labels.count
        guard n > 0 else { return inputs }
        var parts: [Tensor] = []
        for start in stride(from: 0, to: n, by: batchSize) {
            let range = start..<min(n, start + batchSize)
            let clean = inputs.rows(range)
            let y = Array(labels[range])
            var x = clean.scalars
            for i in x.indices { x[i] += epsilon * (2 * rng.nextUniform() - 1) }
            project(&x, center: clean.scalars, epsilon: epsilon)
            for _ in 0..<steps {
                let g = model.lossAndInputGradient(Tensor(shape: clean.shape, scalars: x), labels: y).gradient
                for i in x.indices where g.scalars[i] != 0 { x[i] += stepSize * (g.scalars[i] > 0 ? 1 : -1) }
                project(&x, center: clean.scalars, epsilon: epsilon)
            }
            parts.append(Tensor(shape: clean.shape, scalars: x))
        }
        return Tensor.concatenateRows(parts)
    }
}
