public import BulwarkTensor

/// Σ_i clip(g_i, C): the per-example gradients of a batch, each scaled to L2 norm at most C, summed.
///
/// Only ``PerExampleGradients/clipped(maxNorm:)`` creates one, so holding a value of this type
/// means every example's contribution was clipped: the sum's sensitivity to adding or removing
/// one example is at most ``maxNorm``.
public struct ClippedGradientSum: Sendable {
    /// One tensor per model parameter, in `Sequential.parameters` order.
    public let gradients: [Tensor]
    /// The clipping norm C.
    public let maxNorm: Float
    /// Examples summed.
    public let batchSize: Int
    /// Examples whose gradient norm exceeded C and were scaled down.
    public let clippedCount: Int

    init(gradients: [Tensor], maxNorm: Float, batchSize: Int, clippedCount: Int) {
        self.gradients = gradients
        self.maxNorm = maxNorm
        self.batchSize = batchSize
        self.clippedCount = clippedCount
    }

    /// The Gaussian mechanism on the sum: adds N(0, (σ·C)²) to every coordinate, then divides by
    /// `normalizer` (the expected batch size q·N under Poisson sampling, as Opacus does, so the
    /// divisor does not depend on the data).
    public func privatized(noiseMultiplier: Double, normalizer: Double, using source: inout DPRandomSource) throws(PrivacyError) -> NoisyGradient {
        guard noiseMultiplier.isFinite, noiseMultiplier >= 0 else {
            throw PrivacyError(parameter: "noiseMultiplier", message: "expected a finite number >= 0, got \(noiseMultiplier)")
        }
        guard normalizer.isFinite, normalizer > 0 else {
            throw PrivacyError(parameter: "normalizer", message: "expected a positive expected batch size, got \(normalizer)")
        }
        let std = noiseMultiplier * Double(maxNorm)
        let inverse = 1 / normalizer
        var out: [Tensor] = []
        out.reserveCapacity(gradients.count)
        for g in gradients {
            var t = g
            t.scalars.withUnsafeMutableBufferPointer { p in
                source.addGaussianNoise(to: p, standardDeviation: std, scale: inverse)
            }
            out.append(t)
        }
        return NoisyGradient(gradients: out, noiseStandardDeviation: std)
    }
}

/// A privatized gradient: a clipped sum with Gaussian noise, normalised. Safe to hand to an optimiser.
public struct NoisyGradient: Sendable {
    /// One tensor per model parameter, in `Sequential.parameters` order.
    public let gradients: [Tensor]
    /// σ·C, the standard deviation of the noise added to the sum.
    public let noiseStandardDeviation: Double
}
