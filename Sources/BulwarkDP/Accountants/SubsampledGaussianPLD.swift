import Foundation

/// The privacy loss distribution of one step of the Poisson-subsampled Gaussian mechanism, discretised
/// by the pessimistic "connect-the-dots" construction (Doroshenko, Ghazi, Kamath, Kumar & Manurangsi 2022,
/// "Connect the Dots: Tighter Discrete Approximations of Privacy Loss Distributions"), as dp-accounting
/// builds it for its `PLDAccountant`.
///
/// Add-or-remove neighbours give two distributions: REMOVE (upper = (1−q)·N(0,σ²) + q·N(−1,σ²),
/// lower = N(0,σ²)) and ADD (upper = N(0,σ²), lower = (1−q)·N(0,σ²) + q·N(1,σ²)); ε is the larger of the
/// two. The hockey-stick curve δ(ε) of each is evaluated exactly at every multiple of the discretisation
/// between the losses at the ±Φ⁻¹(e^{-50}/2)·σ truncation points, and a distribution on that grid with
/// exactly those δ values is solved for (every δ(ε) it gives between grid points is an upper bound).
enum SubsampledGaussianPLD {
    /// The neighbouring direction a single distribution describes.
    enum Adjacency { case remove, add }

    /// The connect-the-dots PMF of one step for `adjacency`.
    static func pmf(noiseMultiplier sigma: Double, samplingRate q: Double, adjacency: Adjacency,
                    discretization: Double, logMassTruncation: Double = -50) -> PrivacyLossPMF {
        let model = Model(sigma: sigma, q: q, adjacency: adjacency)
        var lowerX = sigma * NormalDistribution.quantile(logProbability: log(0.5) + logMassTruncation)
        var upperX = -lowerX
        switch adjacency {
        case .add: upperX += 1
        case .remove: lowerX -= 1
        }
        let epsilonUpper = model.loss(lowerX), epsilonLower = model.loss(upperX)
        let first = Int((epsilonLower / discretization).rounded(.down))
        let last = Int((epsilonUpper / discretization).rounded(.up))
        var deltas = (first...last).map { model.delta(epsilon: Double($0) * discretization) }
        if deltas.count == 1 {
            return PrivacyLossPMF(discretization: discretization, lowerIndex: first, probabilities: [1 - deltas[0]], infinityMass: deltas[0])
        }
        // δ must not increase with ε; clear round-off the way dp-accounting does (running minimum).
        for k in 1..<deltas.count { deltas[k] = min(deltas[k], deltas[k - 1]) }
        let e = exp(discretization), em1 = expm1(discretization), emm1 = expm1(-discretization)
        let n = deltas.count
        var probs = [Double](repeating: 0, count: n)
        probs[0] = 1 - deltas[0] + (deltas[1] - deltas[0]) / em1
        for k in 1..<(n - 1) {
            let before = deltas[k] - deltas[k - 1], after = deltas[k + 1] - deltas[k]
            probs[k] = (after - before * e) / em1
        }
        probs[n - 1] = (deltas[n - 1] - deltas[n - 2]) / emm1
        for k in probs.indices where !(probs[k] > 0) { probs[k] = 0 }
        return PrivacyLossPMF(discretization: discretization, lowerIndex: first, probabilities: probs, infinityMass: deltas[n - 1])
    }

    /// Privacy loss, its inverse and the exact hockey-stick divergence for one adjacency.
    struct Model {
        let sigma: Double, q: Double, adjacency: Adjacency
        /// log q and log(1 − q), computed once (the discretisation evaluates δ ~10^5 times).
        private let logQ: Double, logOneMinusQ: Double

        init(sigma: Double, q: Double, adjacency: Adjacency) {
            self.sigma = sigma
            self.q = q
            self.adjacency = adjacency
            logQ = log(q)
            logOneMinusQ = log1p(-q)
        }

        /// Loss of the unsubsampled REMOVE pair at x: (−1/2 − x)/σ².
        private func baseLoss(_ x: Double) -> Double { (-0.5 - x) / (sigma * sigma) }

        /// log(q·e^b + 1 − q) for the subsampled REMOVE loss.
        private func mix(_ b: Double) -> Double {
            if q == 1 { return b }
            return LogSpace.add(logQ + b, logOneMinusQ)
        }

        /// The privacy loss at outcome x (decreasing in x).
        func loss(_ x: Double) -> Double {
            switch adjacency {
            case .remove: return mix(baseLoss(x))
            case .add: return -mix(baseLoss(-x))
            }
        }

        /// The outcome x at which the loss equals `epsilon` (inside the loss's range).
        func inverseLoss(_ epsilon: Double) -> Double {
            let s2 = sigma * sigma
            switch adjacency {
            case .remove:
                // q e^b + 1 − q = e^ε  ⇒  b = log((e^ε − (1 − q))/q)
                let b = q == 1 ? epsilon : LogSpace.sub(epsilon, logOneMinusQ) - logQ
                return -0.5 - b * s2
            case .add:
                // loss(x) = −mix(b(−x)) = ε  ⇒  b = log((e^{−ε} − (1 − q))/q), x = 1/2 + b σ²
                let b = q == 1 ? -epsilon : LogSpace.sub(-epsilon, logOneMinusQ) - logQ
                return 0.5 + b * s2
            }
        }

        /// Φ(z) and log Φ(z) from one erfc (the log falls back to the tail series below 1e-300).
        private func cdfAndLog(_ z: Double) -> (Double, Double) {
            let phi = NormalDistribution.cdf(z)
            return (phi, phi > 1e-300 ? log(phi) : NormalDistribution.logCDF(z))
        }

        /// δ(ε) = P_upper[loss > ε] − e^ε P_lower[loss > ε], clipped to [0, 1].
        func delta(epsilon: Double) -> Double {
            let value: Double
            switch adjacency {
            case .remove:
                if q < 1, epsilon <= logOneMinusQ { return max(0, min(1, -expm1(epsilon))) }
                let x = inverseLoss(epsilon)
                if x == .infinity { return max(0, min(1, -expm1(epsilon))) }
                let (phi, logPhi) = cdfAndLog(x / sigma)
                let upper = (1 - q) * phi + q * NormalDistribution.cdf((x + 1) / sigma)
                value = upper - exp(epsilon + logPhi)
            case .add:
                if q < 1, epsilon >= -logOneMinusQ { return 0 }
                let x = inverseLoss(epsilon)
                if x == -.infinity { return 0 }
                let (upper, logPhi) = cdfAndLog(x / sigma)
                let lower = q == 1 ? NormalDistribution.logCDF((x - 1) / sigma)
                    : LogSpace.add(logOneMinusQ + logPhi, logQ + NormalDistribution.logCDF((x - 1) / sigma))
                value = upper - exp(epsilon + lower)
            }
            return value.isNaN ? 0 : max(0, min(1, value))
        }
    }
}

/// The standard normal distribution: CDF, log-CDF and quantile, accurate in the lower tail.
enum NormalDistribution {
    /// Φ(z).
    static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// log Φ(z), finite down to z ≈ −1e150.
    static func logCDF(_ z: Double) -> Double {
        if z == -.infinity { return -.infinity }
        if z > 5 { return log1p(-0.5 * erfc(z / 2.0.squareRoot())) }
        return log(0.5) + LogSpace.logErfc(-z / 2.0.squareRoot())
    }

    /// Φ⁻¹(p) for p = e^{logProbability} ≤ 1/2, by Newton's method on log Φ (converges to ~1e-15).
    static func quantile(logProbability target: Double) -> Double {
        // Start from the tail asymptote −√(−2 log p).
        var z = -(max(-2 * target, 1)).squareRoot()
        for _ in 0..<100 {
            let logPhi = logCDF(z)
            let logDensity = -0.5 * z * z - 0.5 * log(2 * Double.pi)
            let step = (logPhi - target) / exp(logDensity - logPhi)
            z -= step
            if abs(step) < 1e-15 * max(1, abs(z)) { break }
        }
        return z
    }
}
