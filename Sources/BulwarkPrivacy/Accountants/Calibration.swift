import Foundation

/// ε for DP-SGD-style training and the reverse calibrations, through the RDP accountant.
public enum PrivacyCalibration {
    /// ε after `steps` Poisson-subsampled Gaussian steps, for `delta` (RDP accountant, default orders).
    public static func epsilon(noiseMultiplier: Double, samplingRate: Double, steps: Int, delta: Double) throws(PrivacyError) -> Double {
        var accountant = try RDPAccountant()
        try accountant.compose(.poissonSubsampledGaussian(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: steps))
        return try accountant.epsilon(delta: delta)
    }

    /// The smallest noise multiplier whose ε is at most `targetEpsilon`, found by bisection.
    ///
    /// Tolerance: the returned σ is within `tolerance` (relative to σ, default 1e-6) above the exact
    /// threshold, and always satisfies ε(σ) ≤ target (the upper end of the bracket is returned).
    /// Throws when the target cannot be reached with σ ≤ 1e6.
    public static func noiseMultiplier(targetEpsilon: Double, samplingRate: Double, steps: Int, delta: Double,
                                       tolerance: Double = 1e-6) throws(PrivacyError) -> Double {
        guard targetEpsilon.isFinite, targetEpsilon > 0 else {
            throw PrivacyError(parameter: "epsilon", message: "expected a finite target > 0, got \(targetEpsilon)")
        }
        var hi = 1.0
        while try epsilon(noiseMultiplier: hi, samplingRate: samplingRate, steps: steps, delta: delta) > targetEpsilon {
            hi *= 2
            if hi > 1e6 { throw PrivacyError(parameter: "epsilon", message: "target \(targetEpsilon) not reachable with noise multiplier <= 1e6") }
        }
        var lo = 0.0
        while hi - lo > tolerance * hi {
            let mid = (lo + hi) / 2
            if try epsilon(noiseMultiplier: mid, samplingRate: samplingRate, steps: steps, delta: delta) > targetEpsilon { lo = mid } else { hi = mid }
        }
        return hi
    }

    /// The largest number of steps whose ε is at most `targetEpsilon` (ε grows with steps; exact integer
    /// bisection, so no tolerance). Returns 0 when even one step exceeds the target; searches up to `maxSteps`.
    public static func steps(targetEpsilon: Double, noiseMultiplier: Double, samplingRate: Double, delta: Double,
                             maxSteps: Int = 100_000_000) throws(PrivacyError) -> Int {
        guard targetEpsilon.isFinite, targetEpsilon > 0 else {
            throw PrivacyError(parameter: "epsilon", message: "expected a finite target > 0, got \(targetEpsilon)")
        }
        guard maxSteps >= 1 else { throw PrivacyError(parameter: "maxSteps", message: "expected >= 1, got \(maxSteps)") }
        if try epsilon(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: maxSteps, delta: delta) <= targetEpsilon {
            return maxSteps
        }
        var lo = 0, hi = maxSteps  // ε(lo) <= target < ε(hi)
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if try epsilon(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: mid, delta: delta) <= targetEpsilon { lo = mid } else { hi = mid }
        }
        return lo
    }
}
