import Foundation

/// Rényi-DP of the Poisson-subsampled Gaussian mechanism (Mironov 2017; Mironov, Talwar & Zhang 2019,
/// "Rényi Differential Privacy of the Sampled Gaussian Mechanism").
///
/// For an integer order α the log of the moment A_α is summed exactly over the binomial expansion;
/// for a fractional order the two-sided series of Mironov, Talwar & Zhang (section 3.3) is summed until
/// its terms fall below e^-30, as dp-accounting does. All sums are done in log space.
public enum SubsampledGaussianRDP {
    /// RDP ε(α) of one step with sampling rate `q` and noise multiplier `sigma` (std / sensitivity).
    ///
    /// Returns `+inf` for `sigma == 0` (no privacy), 0 for `q == 0`.
    public static func rdp(samplingRate q: Double, noiseMultiplier sigma: Double, order alpha: Double) throws(PrivacyError) -> Double {
        guard q.isFinite, q >= 0, q <= 1 else { throw PrivacyError(parameter: "samplingRate", message: "expected a number in [0, 1], got \(q)") }
        guard sigma.isFinite, sigma >= 0 else { throw PrivacyError(parameter: "noiseMultiplier", message: "expected a finite number >= 0, got \(sigma)") }
        guard alpha.isFinite, alpha > 1 else { throw PrivacyError(parameter: "order", message: "expected a finite RDP order > 1, got \(alpha)") }
        if q == 0 { return 0 }
        if sigma == 0 { return .infinity }
        if q == 1 { return alpha / (2 * sigma * sigma) }
        let logA: Double
        if alpha == alpha.rounded(), alpha < 1e6 {
            logA = logAInteger(q: q, sigma: sigma, alpha: Int(alpha))
        } else {
            logA = logAFractional(q: q, sigma: sigma, alpha: alpha)
        }
        let value = logA / (alpha - 1)
        return value.isNaN ? .infinity : max(0, value)
    }

    /// log A_α for integer α: log Σ_i C(α,i) q^i (1-q)^(α-i) exp((i²-i)/(2σ²)).
    static func logAInteger(q: Double, sigma: Double, alpha: Int) -> Double {
        var logA = -Double.infinity
        let lq = log(q), l1q = log1p(-q)
        let s2 = 2 * sigma * sigma
        for i in 0...alpha {
            let di = Double(i)
            let logCoef = LogSpace.logAbsGamma(Double(alpha) + 1) - LogSpace.logAbsGamma(di + 1) - LogSpace.logAbsGamma(Double(alpha - i) + 1)
            let term = logCoef + di * lq + Double(alpha - i) * l1q + (di * di - di) / s2
            logA = LogSpace.add(logA, term)
        }
        return logA
    }

    /// Iteration limit of the fractional-order series; an order that does not converge within it
    /// is excluded (its RDP is +inf), as in dp-accounting 0.6.
    static let maxFractionalSteps = 1000

    /// log A_α for fractional α (Mironov, Talwar & Zhang 2019, section 3.3), summed as dp-accounting 0.6
    /// does: terms with log|C(α,i)| are added, and the series stops once both parts decrease and the
    /// newest term is below total·e^-30; +inf when it does not converge in `maxFractionalSteps`.
    static func logAFractional(q: Double, sigma: Double, alpha: Double) -> Double {
        var logA0 = -Double.infinity, logA1 = -Double.infinity
        var last0 = -Double.infinity, last1 = -Double.infinity
        let z0 = sigma * sigma * log(1 / q - 1) + 0.5
        let lq = log(q), l1q = log1p(-q)
        let s2 = 2 * sigma * sigma
        let root2Sigma = 2.0.squareRoot() * sigma
        let lgAlpha = LogSpace.logAbsGamma(alpha + 1)
        for i in 0..<maxFractionalSteps {
            let di = Double(i)
            let logCoef = lgAlpha - LogSpace.logAbsGamma(di + 1) - LogSpace.logAbsGamma(alpha - di + 1)
            let j = alpha - di
            let logT0 = logCoef + di * lq + j * l1q
            let logT1 = logCoef + j * lq + di * l1q
            let logE0 = log(0.5) + LogSpace.logErfc((di - z0) / root2Sigma)
            let logE1 = log(0.5) + LogSpace.logErfc((z0 - j) / root2Sigma)
            let logS0 = logT0 + (di * di - di) / s2 + logE0
            let logS1 = logT1 + (j * j - j) / s2 + logE1
            logA0 = LogSpace.add(logA0, logS0)
            logA1 = LogSpace.add(logA1, logS1)
            let total = LogSpace.add(logA0, logA1)
            if logS0 < last0, logS1 < last1, max(logS0, logS1) < total - 30 { return total }
            last0 = logS0
            last1 = logS1
        }
        return .infinity
    }
}
