import BulwarkTensor
import BulwarkModels
import Foundation

/// Per-example vector helpers on flat row-major batches (`n` rows of `d` components).
enum Geometry {
    /// Per-row L2 norms.
    static func rowNorms(_ t: [Float], rows n: Int) -> [Float] {
        guard n > 0 else { return [] }
        let d = t.count / n
        return (0..<n).map { i in
            var s: Float = 0
            for j in (i * d)..<((i + 1) * d) { s += t[j] * t[j] }
            return s.squareRoot()
        }
    }

    /// Projects `x` onto the ε-ball around `x0` in `norm`, then onto the clip box. In place.
    static func project(_ x: inout [Float], around x0: [Float], rows n: Int, norm: PerturbationNorm,
                        epsilon: Float, clipMin: Float, clipMax: Float) {
        guard n > 0 else { return }
        let d = x.count / n
        switch norm {
        case .linf:
            for j in 0..<x.count {
                let delta = min(max(x[j] - x0[j], -epsilon), epsilon)
                x[j] = min(max(x0[j] + delta, clipMin), clipMax)
            }
        case .l2:
            for i in 0..<n {
                var s: Float = 0
                for j in (i * d)..<((i + 1) * d) { let v = x[j] - x0[j]; s += v * v }
                let norm = s.squareRoot()
                let scale: Float = norm > epsilon ? epsilon / norm : 1
                for j in (i * d)..<((i + 1) * d) {
                    x[j] = min(max(x0[j] + (x[j] - x0[j]) * scale, clipMin), clipMax)
                }
            }
            // Clipping can only shrink |δ| per component, so the L2 bound still holds.
        }
    }

    /// The steepest-ascent step direction of `gradient` in `norm`: sign for L∞,
    /// per-row unit vector for L2 (zero rows stay zero).
    static func steepestDirection(_ g: [Float], rows n: Int, norm: PerturbationNorm) -> [Float] {
        switch norm {
        case .linf:
            return g.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case .l2:
            guard n > 0 else { return g }
            let d = g.count / n
            var out = g
            let norms = rowNorms(g, rows: n)
            for i in 0..<n {
                let inv: Float = norms[i] > 1e-12 ? 1 / norms[i] : 0
                for j in (i * d)..<((i + 1) * d) { out[j] *= inv }
            }
            return out
        }
    }

    /// `x += size · steepestDirection(g)`, in place, without an intermediate array.
    static func step(_ x: inout [Float], along g: [Float], size: Float, rows n: Int, norm: PerturbationNorm) {
        precondition(x.count == g.count, "step: \(x.count) components, gradient \(g.count)")
        guard n > 0 else { return }
        x.withUnsafeMutableBufferPointer { px in
            g.withUnsafeBufferPointer { pg in
                switch norm {
                case .linf:
                    for j in 0..<px.count {
                        let v = pg[j]
                        px[j] += v > 0 ? size : (v < 0 ? -size : 0)
                    }
                case .l2:
                    let d = px.count / n
                    for i in 0..<n {
                        var s: Float = 0
                        for j in (i * d)..<((i + 1) * d) { s += pg[j] * pg[j] }
                        let norm = s.squareRoot()
                        let inv: Float = norm > 1e-12 ? 1 / norm : 0
                        for j in (i * d)..<((i + 1) * d) { px[j] += size * (pg[j] * inv) }
                    }
                }
            }
        }
    }

    /// A uniformly random point of the ε-ball (L∞: uniform box; L2: uniform in the ball).
    static func randomPerturbation(rows n: Int, dimension d: Int, norm: PerturbationNorm, epsilon: Float,
                                   rng: inout SeededGenerator) -> [Float] {
        var out = [Float](repeating: 0, count: n * d)
        switch norm {
        case .linf:
            for j in 0..<out.count { out[j] = (2 * rng.nextUniform() - 1) * epsilon }
        case .l2:
            for i in 0..<n {
                var s: Float = 0
                for j in (i * d)..<((i + 1) * d) { let v = rng.nextNormal(); out[j] = v; s += v * v }
                let radius = epsilon * Float(pow(Double(rng.nextUniform()), 1 / Double(max(d, 1))))
                let scale = s > 0 ? radius / s.squareRoot() : 0
                for j in (i * d)..<((i + 1) * d) { out[j] *= scale }
            }
        }
        return out
    }
}

/// Gradients through the differentiable seam.
enum Gradients {
    /// Logits and the input gradient of `Σ_i loss_i`, where the caller supplies, from the
    /// logits, the gradient of the per-example losses with respect to the logits.
    static func inputGradient(_ model: any DifferentiableClassifier, _ input: Tensor,
                              logitGradient: (Tensor) -> Tensor) -> (logits: Tensor, gradient: Tensor) {
        let tape = Tape()
        let x = tape.variable(input)
        let z = model.logits(x)
        let seed = logitGradient(z.value)
        return (z.value, tape.gradients(of: z, seed: seed, wrt: [x])[0])
    }

    /// Gradient of per-example cross-entropy with respect to logits (softmax − one-hot), sign
    /// flipped for `targets` so that ascending it moves toward the target.
    static func crossEntropyLogitGradient(_ logits: Tensor, classes: [Int], towardClass: Bool) -> Tensor {
        var p = logits.softmax(axis: -1)
        let c = logits.shape[1]
        for (i, y) in classes.enumerated() { p.scalars[i * c + y] -= 1 }
        return towardClass ? -p : p
    }
}
