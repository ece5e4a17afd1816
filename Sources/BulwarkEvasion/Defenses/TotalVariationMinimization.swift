public import BulwarkTensor

/// Total-variation minimisation (Guo, Rana, Cissé & van der Maaten, "Countering Adversarial
/// Images using Input Transformations", ICLR 2018): keep each pixel with probability
/// `keepProbability` (a random mask `m`), then reconstruct
/// `z = argmin ½ Σ mᵢ (zᵢ − xᵢ)² + λ · TV(z)` with the smoothed isotropic total variation
/// `TV(z) = Σ √(Δₓz² + Δᵧz² + ε²)`, solved by `iterations` steps of projected gradient descent
/// on [0, 1] from `z = x` (step `1 / L`, `L = 1 + 8λ/ε` the gradient's Lipschitz bound), per channel.
///
/// Random (a fresh mask per draw) — an adaptive attacker needs EOT. The solver's output is not
/// differentiated by a naive attacker (its plain gradient is stopped, as when the solver runs
/// outside the autodiff framework); BPDA uses the identity.
public struct TotalVariationMinimization: InputTransform {
    /// Weight of the TV term (> 0).
    public let lambda: Float
    /// Probability that a pixel keeps its data term, in (0, 1].
    public let keepProbability: Float
    /// Gradient-descent steps of the solver.
    public let iterations: Int
    /// Smoothing of the TV norm at zero.
    public let smoothing: Float

    /// A TV-minimisation defence.
    public init(lambda: Float = 0.03, keepProbability: Float = 0.7, iterations: Int = 40, smoothing: Float = 0.05) {
        precondition(lambda > 0 && lambda.isFinite, "TV weight must be positive")
        precondition(keepProbability > 0 && keepProbability <= 1, "keep probability must be in (0, 1]")
        precondition(iterations >= 1 && smoothing > 0, "TV solver needs ≥ 1 iteration and positive smoothing")
        self.lambda = lambda
        self.keepProbability = keepProbability
        self.iterations = iterations
        self.smoothing = smoothing
    }
    /// `"tv-<λ>"`.
    public var name: String { "tv-\(lambda)" }
    /// Identity.
    public var bpda: GradientApproximation { .identity }
    /// Random whenever pixels may be dropped.
    public var isRandom: Bool { keepProbability < 1 }

    /// The reconstruction, one mask per row drawn from `seed` and the row's content.
    public func apply(_ input: Tensor, seed: UInt64) -> Tensor {
        let p = ImagePlanes(input.shape, transform: name)
        let n = input.shape[0]
        let perRow = p.planes / Swift.max(n, 1)
        let seeds = TransformSeeds.rowSeeds(input, seed: seed)
        var out = input.scalars
        let h = p.height, w = p.width
        let eps2 = smoothing * smoothing
        let step = 1 / (1 + 8 * lambda / smoothing)
        var mask = [Float](repeating: 1, count: p.planeSize)
        var grad = [Float](repeating: 0, count: p.planeSize)
        for row in 0..<n {
            var rng = SeededGenerator(seed: seeds[row])
            for q in 0..<perRow {
                let base = (row * perRow + q) * p.planeSize
                for i in 0..<p.planeSize { mask[i] = rng.nextUniform() < keepProbability ? 1 : 0 }
                var z = Array(input.scalars[base..<(base + p.planeSize)]).map { Swift.min(Swift.max($0, 0), 1) }
                let x = z
                for _ in 0..<iterations {
                    for i in 0..<p.planeSize { grad[i] = mask[i] * (z[i] - x[i]) }
                    for r in 0..<h {
                        for c in 0..<w {
                            let i = r * w + c
                            let dx = c + 1 < w ? z[i + 1] - z[i] : 0
                            let dy = r + 1 < h ? z[i + w] - z[i] : 0
                            let norm = (dx * dx + dy * dy + eps2).squareRoot()
                            let gx = lambda * dx / norm, gy = lambda * dy / norm
                            // d/dz of √(dx² + dy² + ε²): −(gx + gy) at i, +gx at i+1, +gy at i+w
                            grad[i] -= gx + gy
                            if c + 1 < w { grad[i + 1] += gx }
                            if r + 1 < h { grad[i + w] += gy }
                        }
                    }
                    for i in 0..<p.planeSize { z[i] = Swift.min(Swift.max(z[i] - step * grad[i], 0), 1) }
                }
                out.replaceSubrange(base..<(base + p.planeSize), with: z)
            }
        }
        return Tensor(shape: input.shape, scalars: out)
    }

    /// Stopped: the solver is not differentiated (a zero gradient).
    public func plainGradient(input: Variable, output: Tensor) -> Variable { zeroGradient(input: input, output: output) }
}
