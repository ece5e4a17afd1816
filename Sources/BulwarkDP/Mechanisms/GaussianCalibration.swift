import Foundation

/// Noise calibration of the Gaussian mechanism for (ε, δ)-DP.
public enum GaussianCalibration {
    /// δ achieved by Gaussian noise of standard deviation `sigma` on a query of L2 sensitivity
    /// `sensitivity` at privacy level `epsilon` (Balle & Wang 2018, Theorem 8):
    /// δ = Φ(Δ/(2σ) − εσ/Δ) − e^ε Φ(−Δ/(2σ) − εσ/Δ), computed in log space for the second term.
    public static func delta(sigma: Double, epsilon: Double, sensitivity: Double = 1) throws(PrivacyError) -> Double {
        guard sigma.isFinite, sigma > 0 else { throw PrivacyError(parameter: "sigma", message: "expected a finite number > 0, got \(sigma)") }
        guard epsilon.isFinite, epsilon >= 0 else { throw PrivacyError(parameter: "epsilon", message: "expected a finite number >= 0, got \(epsilon)") }
        guard sensitivity.isFinite, sensitivity > 0 else { throw PrivacyError(parameter: "sensitivity", message: "expected a finite number > 0, got \(sensitivity)") }
        let a = sensitivity / (2 * sigma), b = epsilon * sigma / sensitivity
        let first = logNormalCDF(a - b)
        let second = epsilon + logNormalCDF(-a - b)
        return max(0, exp(LogSpace.sub(first, min(first, second))))
    }

    /// The analytic Gaussian mechanism's σ (Balle & Wang 2018): the smallest σ with δ(σ) ≤ `delta`,
    /// by bisection to 1e-9 relative; the upper end of the bracket is returned so the guarantee holds.
    public static func analyticSigma(epsilon: Double, delta: Double, sensitivity: Double = 1) throws(PrivacyError) -> Double {
        guard epsilon.isFinite, epsilon > 0 else { throw PrivacyError(parameter: "epsilon", message: "expected a finite number > 0, got \(epsilon)") }
        guard delta.isFinite, delta > 0, delta < 1 else { throw PrivacyError(parameter: "delta", message: "expected a number in (0, 1), got \(delta)") }
        var hi = sensitivity
        while try Self.delta(sigma: hi, epsilon: epsilon, sensitivity: sensitivity) > delta {
            hi *= 2
            if hi > 1e12 * sensitivity { throw PrivacyError(parameter: "delta", message: "no σ reaches δ = \(delta)") }
        }
        var lo = 0.0
        while hi - lo > 1e-9 * hi {
            let mid = (lo + hi) / 2
            if try Self.delta(sigma: mid, epsilon: epsilon, sensitivity: sensitivity) > delta { lo = mid } else { hi = mid }
        }
        return hi
    }

    /// The classic calibration σ = Δ·√(2 ln(1.25/δ))/ε (Dwork & Roth 2014, Theorem A.1), valid for ε < 1.
    public static func classicSigma(epsilon: Double, delta: Double, sensitivity: Double = 1) throws(PrivacyError) -> Double {
        guard epsilon.isFinite, epsilon > 0, epsilon < 1 else { throw PrivacyError(parameter: "epsilon", message: "the classic bound needs 0 < ε < 1, got \(epsilon)") }
        guard delta.isFinite, delta > 0, delta < 1 else { throw PrivacyError(parameter: "delta", message: "expected a number in (0, 1), got \(delta)") }
        return sensitivity * (2 * log(1.25 / delta)).squareRoot() / epsilon
    }

    /// log Φ(x) for the standard normal CDF, accurate in the lower tail.
    static func logNormalCDF(_ x: Double) -> Double {
        log(0.5) + LogSpace.logErfc(-x / 2.0.squareRoot())
    }
}
