public import BulwarkData
public import BulwarkTensor
public import BulwarkModels
import Foundation

/// The certificate of one example.
public struct SmoothedCertificate: Codable, Sendable, Equatable {
    /// The smoothed classifier's class, or `nil` when it abstained.
    public var prediction: Int?
    /// Certified L2 radius (0 when abstaining): no perturbation of L2 norm below it changes the
    /// smoothed prediction, with probability ≥ 1 − α over the sampling.
    public var radius: Double
    /// Clopper–Pearson lower bound on the top class's probability under noise.
    public var lowerBound: Double
    /// Noise draws that voted for the predicted class, of ``RandomizedSmoothing/n``.
    public var votes: Int
}

/// One example's certification outcome in a dataset run.
public struct CertifiedExample: Codable, Sendable, Equatable {
    /// True label.
    public var label: Int
    /// The certificate.
    public var certificate: SmoothedCertificate
    /// Prediction equals the label (an abstention is never correct).
    public var correct: Bool { certificate.prediction == label }
}

/// Certified accuracy at one L2 radius.
public struct CertifiedPoint: Codable, Sendable, Equatable {
    /// L2 radius.
    public var radius: Double
    /// Fraction of examples predicted correctly with a certified radius ≥ `radius`.
    public var certifiedAccuracy: Double
}

/// A dataset's certification: per-example certificates and the certified-accuracy curve.
public struct CertificationResult: Codable, Sendable, Equatable {
    /// Noise standard deviation σ.
    public var sigma: Float
    /// Selection draws, estimation draws, failure probability.
    public var n0: Int, n: Int
    /// Failure probability α of each certificate.
    public var alpha: Double
    /// Seed of the noise.
    public var seed: UInt64
    /// Per-example outcomes, in data order.
    public var examples: [CertifiedExample]
    /// Certified accuracy at each requested radius.
    public var curve: [CertifiedPoint]
    /// Fraction of examples where the smoothed classifier abstained.
    public var abstentionRate: Double
    /// Wall seconds.
    public var seconds: Double
}

/// Randomized smoothing (Cohen, Rosenfeld & Kolter, "Certified Adversarial Robustness via
/// Randomized Smoothing", ICML 2019): the smoothed classifier `g(x) = argmax_c P(f(x + δ) = c)`,
/// `δ ~ N(0, σ² I)`, is robust within L2 radius `σ Φ⁻¹(p_A)` whenever the top class has
/// probability at least `p_A > 1/2` under noise.
///
/// ``certify(_:seed:)`` is the paper's CERTIFY: `n0` draws choose the class, `n` fresh draws
/// give a one-sided Clopper–Pearson lower bound `p̲_A` at level 1 − α, and the certificate is
/// `σ Φ⁻¹(p̲_A)` (abstain if `p̲_A < 1/2`). ``predict(_:seed:)`` is PREDICT: `n` draws, abstain
/// unless the two-sided binomial test of the top two counts rejects equality at level α.
/// Cost: `n0 + n` (certify) or `n` (predict) forward passes of the base classifier per example.
/// The base classifier should be trained with Gaussian noise of the same σ
/// (``AdversarialTraining`` with ``TrainingDefense/gaussianNoise(sigma:)``).
public struct RandomizedSmoothing: Sendable {
    /// The base classifier `f`.
    public let base: any DifferentiableClassifier
    /// Noise standard deviation σ (> 0).
    public let sigma: Float
    /// Draws used to select the class (CERTIFY).
    public let n0: Int
    /// Draws used to estimate (CERTIFY) or to vote (PREDICT).
    public let n: Int
    /// Failure probability α.
    public let alpha: Double
    /// Noisy copies per forward pass.
    public let batchSize: Int

    /// A smoothed classifier; defaults follow Cohen et al. scaled down (n0 = 100, n = 1000, α = 0.001).
    public init(base: any DifferentiableClassifier, sigma: Float, n0: Int = 100, n: Int = 1000, alpha: Double = 0.001,
                batchSize: Int = 500) throws(EvasionError) {
        guard sigma > 0, sigma.isFinite else { throw EvasionError("randomized smoothing: sigma must be positive, got \(sigma)") }
        guard n0 >= 1, n >= 1 else { throw EvasionError("randomized smoothing: n0 and n must be ≥ 1") }
        guard alpha > 0, alpha < 1 else { throw EvasionError("randomized smoothing: alpha must be in (0, 1), got \(alpha)") }
        guard batchSize >= 1 else { throw EvasionError("randomized smoothing: batch size must be ≥ 1") }
        self.base = base
        self.sigma = sigma
        self.n0 = n0
        self.n = n
        self.alpha = alpha
        self.batchSize = batchSize
    }

    /// Class counts of the base classifier over `count` noisy copies of one example `x` (shape `inputShape`).
    public func sampleCounts(_ x: Tensor, count: Int, rng: inout SeededGenerator) -> [Int] {
        var counts = [Int](repeating: 0, count: base.classCount)
        let d = x.count
        var remaining = count
        while remaining > 0 {
            let m = min(batchSize, remaining)
            var batch = [Float](repeating: 0, count: m * d)
            for r in 0..<m {
                for j in 0..<d { batch[r * d + j] = x.scalars[j] + sigma * rng.nextNormal() }
            }
            for p in base.logits(Tensor(shape: [m] + x.shape, scalars: batch)).argmaxRows() { counts[p] += 1 }
            remaining -= m
        }
        return counts
    }

    /// PREDICT: the smoothed class of one example, or `nil` (abstain).
    public func predict(_ x: Tensor, seed: UInt64) -> Int? {
        var rng = SeededGenerator(seed: seed)
        let counts = sampleCounts(x, count: n, rng: &rng)
        let order = counts.indices.sorted { counts[$0] > counts[$1] || (counts[$0] == counts[$1] && $0 < $1) }
        let a = counts[order[0]], b = order.count > 1 ? counts[order[1]] : 0
        return BetaDistribution.binomialTestHalf(a, n: a + b) <= alpha ? order[0] : nil
    }

    /// CERTIFY: the smoothed class of one example with its certified L2 radius.
    public func certify(_ x: Tensor, seed: UInt64) -> SmoothedCertificate {
        var rng = SeededGenerator(seed: seed)
        let selection = sampleCounts(x, count: n0, rng: &rng)
        let top = selection.indices.max { selection[$0] < selection[$1] || (selection[$0] == selection[$1] && $0 > $1) } ?? 0
        let counts = sampleCounts(x, count: n, rng: &rng)
        let lower = BetaDistribution.clopperPearsonLower(successes: counts[top], trials: n, alpha: alpha)
        guard lower > 0.5 else { return SmoothedCertificate(prediction: nil, radius: 0, lowerBound: lower, votes: counts[top]) }
        return SmoothedCertificate(prediction: top, radius: Double(sigma) * BetaDistribution.normalQuantile(lower),
                                   lowerBound: lower, votes: counts[top])
    }

    /// Certifies the examples of `inputs` (`N × inputShape`) in `shard`'s block (default: all)
    /// and reports certified accuracy at `radii` over them.
    ///
    /// Example `i` draws its noise from a stream seeded by ``exampleSeed(run:index:)`` of
    /// `seed` and its global index `i`, so a certificate does not depend on the shard it ran in.
    public func certify(inputs: Tensor, labels: [Int], radii: [Double], seed: UInt64, shard: Shard = .whole,
                        progress: (Int, Int) -> Void = { _, _ in }) throws(EvasionError) -> CertificationResult {
        guard inputs.shape.first == labels.count else {
            throw EvasionError("certify: \(labels.count) labels for inputs of shape \(inputs.shape)")
        }
        guard Array(inputs.shape.dropFirst()) == base.inputShape else {
            throw EvasionError("certify: inputs of shape \(Array(inputs.shape.dropFirst())) for a model expecting \(base.inputShape)")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= base.classCount }) {
            throw EvasionError("certify: label \(bad) outside 0..<\(base.classCount)")
        }
        let start = Date()
        var out: [CertifiedExample] = []
        let block = shard.range(of: labels.count)
        for i in block {
            let c = certify(inputs.slice(i), seed: Self.exampleSeed(run: seed, index: i))
            out.append(CertifiedExample(label: labels[i], certificate: c))
            progress(i - block.lowerBound + 1, block.count)
        }
        return result(examples: out, radii: radii, seed: seed, seconds: Date().timeIntervalSince(start))
    }

    /// The noise seed of example `index` (global) in a run seeded by `run`:
    /// `run + index · 0x9E3779B97F4A7C15` (wrapping), per-example since certification began.
    public static func exampleSeed(run: UInt64, index: Int) -> UInt64 {
        run &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15
    }

    /// The result over `examples`: the curve at `radii` (sorted) and the abstention rate are
    /// computed from the per-example certificates alone, so merging shards recomputes what
    /// one run computes.
    public func result(examples out: [CertifiedExample], radii: [Double], seed: UInt64, seconds: Double) -> CertificationResult {
        CertificationResult(sigma: sigma, n0: n0, n: n, alpha: alpha, seed: seed, examples: out,
                            curve: Self.curve(out, radii: radii), abstentionRate: Self.abstentionRate(out), seconds: seconds)
    }

    /// Fraction of `examples` where the smoothed classifier abstained (0 for none).
    public static func abstentionRate(_ examples: [CertifiedExample]) -> Double {
        Double(examples.filter { $0.certificate.prediction == nil }.count) / Double(max(examples.count, 1))
    }

    /// Certified accuracy at each of `radii` (sorted ascending) over `examples`.
    public static func curve(_ examples: [CertifiedExample], radii: [Double]) -> [CertifiedPoint] {
        let total = Double(max(examples.count, 1))
        return radii.sorted().map { r in
            CertifiedPoint(radius: r, certifiedAccuracy: Double(examples.filter { $0.correct && $0.certificate.radius >= r }.count) / total)
        }
    }
}
