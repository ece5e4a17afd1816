import Foundation

/// The discrete Gaussian N_ℤ(0, σ²), P(x) ∝ exp(−x²/(2σ²)) on the integers (Canonne, Kamath & Steinke
/// 2020, "The Discrete Gaussian for Differential Privacy"): an exact sampler, its privacy curve and its
/// calibration for integer-valued queries.
///
/// Adding N_ℤ(0, σ²) to an integer query of sensitivity Δ is ½(Δ/σ)²-zCDP (CKS Theorem 4) and
/// (ε, δ)-DP with δ = P[Y > εσ²/Δ − Δ/2] − e^ε·P[Y > εσ²/Δ + Δ/2], Y ~ N_ℤ(0, σ²) (CKS Theorem 7);
/// `delta(sigma:epsilon:sensitivity:)` evaluates that sum exactly (to double rounding).
///
/// The sampler (CKS Algorithm 3) uses only integer arithmetic (128-bit rationals) and uniform integer
/// draws, so it has no floating-point leakage. Privacy holds only with a cryptographically secure
/// generator — the default `SystemRandomNumberGenerator` (getrandom on Linux); seeded ones are for tests.
public enum DiscreteGaussian {
    /// One sample with σ = `sigmaNumerator` / `sigmaDenominator` (both in [1, 2^20]).
    ///
    /// A candidate Y from the discrete Laplace with scale t = ⌊σ⌋ + 1 is kept with probability
    /// exp(−(|Y| − σ²/t)²/(2σ²)). When that exponent's numerator would not fit in 128 bits (|Y| > 2^40·t,
    /// where the keep probability is below e^{-2^40}) the candidate is rejected, which changes the
    /// distribution by less than 2^-1000.
    public static func sample<G: RandomNumberGenerator>(sigmaNumerator: Int, sigmaDenominator: Int = 1,
                                                        using generator: inout G) throws(PrivacyError) -> Int {
        guard sigmaNumerator >= 1, sigmaNumerator <= 1 << 20 else {
            throw PrivacyError(parameter: "sigmaNumerator", message: "expected an integer in [1, 2^20], got \(sigmaNumerator)")
        }
        guard sigmaDenominator >= 1, sigmaDenominator <= 1 << 20 else {
            throw PrivacyError(parameter: "sigmaDenominator", message: "expected an integer in [1, 2^20], got \(sigmaDenominator)")
        }
        let sn = Int128(sigmaNumerator), sd = Int128(sigmaDenominator)
        let t = sn / sd + 1
        let sn2 = sn * sn, sd2 = sd * sd
        // exponent = (|Y|·t·sd² − sn²)² / (2·sd²·t²·sn²)
        let denominator = 2 * sd2 * t * t * sn2
        while true {
            let y = try DiscreteLaplace.sample(scaleNumerator: Int(t), using: &generator)
            let magnitude = Int128(y.magnitude)
            let (a, o1) = magnitude.multipliedReportingOverflow(by: t * sd2)
            if o1 { continue }
            let diff = a - sn2
            let (numerator, o2) = diff.multipliedReportingOverflow(by: diff)
            if o2 { continue }
            if ExactBernoulli.expMinus(numerator: numerator, denominator: denominator, using: &generator) { return y }
        }
    }

    /// One sample with σ = `sigmaNumerator` / `sigmaDenominator`, from the operating system's secure generator.
    public static func sample(sigmaNumerator: Int, sigmaDenominator: Int = 1) throws(PrivacyError) -> Int {
        var generator = SystemRandomNumberGenerator()
        return try sample(sigmaNumerator: sigmaNumerator, sigmaDenominator: sigmaDenominator, using: &generator)
    }

    /// The variance of N_ℤ(0, σ²) (slightly below σ², CKS Proposition 5/Corollary 9), by direct summation.
    public static func variance(sigma: Double) throws(PrivacyError) -> Double {
        let (weights, _) = try tailWeights(sigma: sigma)
        var total = weights[0], second = 0.0
        for k in 1..<weights.count {
            total += 2 * weights[k]
            second += 2 * Double(k * k) * weights[k]
        }
        return second / total
    }

    /// The δ at which adding N_ℤ(0, σ²) to an integer query of sensitivity `sensitivity` is (ε, δ)-DP
    /// (CKS Theorem 7), summed exactly over the integers (σ ≤ 1e5).
    public static func delta(sigma: Double, epsilon: Double, sensitivity: Int = 1) throws(PrivacyError) -> Double {
        guard epsilon.isFinite, epsilon >= 0 else { throw PrivacyError(parameter: "epsilon", message: "expected a finite number >= 0, got \(epsilon)") }
        guard sensitivity >= 1 else { throw PrivacyError(parameter: "sensitivity", message: "expected an integer >= 1, got \(sensitivity)") }
        let (weights, _) = try tailWeights(sigma: sigma)
        var total = weights[0]
        for k in 1..<weights.count { total += 2 * weights[k] }
        let d = Double(sensitivity)
        let a = epsilon * sigma * sigma / d - d / 2, b = epsilon * sigma * sigma / d + d / 2
        // P[Y > c] = Σ_{k > c} w_k / total, w symmetric.
        func tail(_ c: Double) -> Double {
            let first = Int((c + 1).rounded(.down))  // smallest integer > c
            var sum = 0.0
            if first <= 0 {
                // Σ_{k ≥ first} = Σ_{k ≥ 1} + Σ_{first ≤ k ≤ 0}
                for k in 1..<weights.count { sum += weights[k] }
                for k in first...0 where -k < weights.count { sum += weights[-k] }
            } else {
                for k in first..<max(first, weights.count) { sum += weights[k] }
            }
            return sum / total
        }
        return max(0, tail(a) - exp(epsilon) * tail(b))
    }

    /// The smallest σ (to 1e-6 relative, guarantee side) at which N_ℤ(0, σ²) on an integer query of
    /// sensitivity `sensitivity` is (ε, δ)-DP by CKS Theorem 7.
    public static func sigma(epsilon: Double, delta target: Double, sensitivity: Int = 1) throws(PrivacyError) -> Double {
        guard epsilon.isFinite, epsilon > 0 else { throw PrivacyError(parameter: "epsilon", message: "expected a finite number > 0, got \(epsilon)") }
        guard target.isFinite, target > 0, target < 1 else { throw PrivacyError(parameter: "delta", message: "expected a number in (0, 1), got \(target)") }
        // The continuous analytic σ is a good bracket centre.
        let guess = try GaussianCalibration.analyticSigma(epsilon: epsilon, delta: target, sensitivity: Double(sensitivity))
        var lo = guess / 2, hi = guess * 1.5
        while try delta(sigma: hi, epsilon: epsilon, sensitivity: sensitivity) > target { lo = hi; hi *= 2 }
        while lo > 1e-3 {
            if try delta(sigma: lo, epsilon: epsilon, sensitivity: sensitivity) > target { break }
            hi = lo
            lo /= 2
        }
        while hi - lo > 1e-6 * hi {
            let mid = (lo + hi) / 2
            if try delta(sigma: mid, epsilon: epsilon, sensitivity: sensitivity) > target { lo = mid } else { hi = mid }
        }
        return hi
    }

    /// Unnormalised weights exp(−k²/(2σ²)) for k = 0, 1, … until they fall below e^{-745}·w₀ (underflow).
    private static func tailWeights(sigma: Double) throws(PrivacyError) -> ([Double], Int) {
        guard sigma.isFinite, sigma > 0, sigma <= 1e5 else {
            throw PrivacyError(parameter: "sigma", message: "expected a number in (0, 1e5], got \(sigma)")
        }
        let limit = Int((sigma * 40).rounded(.up)) + 2
        var weights = [Double](repeating: 0, count: limit)
        let s2 = 2 * sigma * sigma
        for k in 0..<limit { weights[k] = exp(-Double(k) * Double(k) / s2) }
        return (weights, limit)
    }
}
