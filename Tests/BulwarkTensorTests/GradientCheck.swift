import BulwarkTensor

/// Compares the tape's gradients with central finite differences.
///
/// The function's output is projected on a fixed random tensor so that the whole Jacobian,
/// not only its row sums, is exercised. Returns the largest error relative to max(1, |g|).
func maxGradientError(_ inputs: [Tensor], seed: UInt64 = 99, epsilon: Float = 1e-2,
                      _ f: (Tape, [Variable]) -> Variable) -> Float {
    var rng = SeededGenerator(seed: seed)
    let probeTape = Tape()
    let probeOut = f(probeTape, inputs.map { probeTape.constant($0) })
    let projection = Tensor.normal(probeOut.shape, using: &rng)

    func objective(_ xs: [Tensor]) -> Double {
        let tape = Tape()
        let y = f(tape, xs.map { tape.constant($0) }).value
        var s: Double = 0
        for (a, b) in zip(y.scalars, projection.scalars) { s += Double(a) * Double(b) }
        return s
    }

    let tape = Tape()
    let vars = inputs.map { tape.variable($0) }
    let y = f(tape, vars)
    let grads = tape.gradients(of: y, seed: projection, wrt: vars)

    var worst: Float = 0
    for (k, x) in inputs.enumerated() {
        for i in 0..<x.count {
            var plus = inputs, minus = inputs
            plus[k].scalars[i] += epsilon
            minus[k].scalars[i] -= epsilon
            let numeric = Float((objective(plus) - objective(minus)) / Double(2 * epsilon))
            let analytic = grads[k].scalars[i]
            worst = max(worst, abs(numeric - analytic) / max(1, abs(analytic)))
        }
    }
    return worst
}
