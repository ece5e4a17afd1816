import Foundation

/// Which accountant turns a composition of mechanism events into (ε, δ).
public enum PrivacyAccountantKind: String, Sendable, CaseIterable, Codable {
    /// Rényi DP (`RDPAccountant`, dp-accounting's default orders and conversion). Fast; looser for many steps.
    case rdp
    /// Privacy loss distributions (`PLDAccountant`, discretisation 1e-4). Tighter; slower.
    case pld
}

/// ε for DP-SGD-style training and the reverse calibrations, through the RDP (default) or PLD accountant.
public enum PrivacyCalibration {
    /// ε after `steps` Poisson-subsampled Gaussian steps, for `delta`.
    public static func epsilon(noiseMultiplier: Double, samplingRate: Double, steps: Int, delta: Double,
                               accountant: PrivacyAccountantKind = .rdp) throws(PrivacyError) -> Double {
        let event = PrivacyEvent.poissonSubsampledGaussian(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: steps)
        switch accountant {
        case .rdp:
            var rdp = try RDPAccountant()
            try rdp.compose(event)
            return try rdp.epsilon(delta: delta)
        case .pld:
            var pld = try PLDAccountant()
            try pld.compose(event)
            return try pld.epsilon(delta: delta)
        }
    }

    /// The smallest noise multiplier whose ε is at most `targetEpsilon`, found by bisection.
    ///
    /// Tolerance: the returned σ is within `tolerance` (relative to σ, default 1e-6) above the exact
    /// threshold, and always satisfies ε(σ) ≤ target (the upper end of the bracket is returned).
    /// Throws when the target cannot be reached with σ ≤ 1e6. With the PLD accountant the RDP answer
    /// (an upper bound, RDP being looser) starts the bracket; each step costs one PLD composition.
    public static func noiseMultiplier(targetEpsilon: Double, samplingRate: Double, steps: Int, delta: Double,
                                       tolerance: Double = 1e-6, accountant: PrivacyAccountantKind = .rdp) throws(PrivacyError) -> Double {
        guard targetEpsilon.isFinite, targetEpsilon > 0 else {
            throw PrivacyError(parameter: "epsilon", message: "expected a finite target > 0, got \(targetEpsilon)")
        }
        guard tolerance.isFinite, tolerance > 0, tolerance < 1 else {
            throw PrivacyError(parameter: "tolerance", message: "expected a number in (0, 1), got \(tolerance)")
        }
        func eps(_ sigma: Double) throws(PrivacyError) -> Double {
            try epsilon(noiseMultiplier: sigma, samplingRate: samplingRate, steps: steps, delta: delta, accountant: accountant)
        }
        var hi: Double, lo: Double
        switch accountant {
        case .rdp:
            hi = 1
            lo = 0
        case .pld:
            // RDP's σ reaches the target under PLD too (PLD is tighter); widen if round-off disagrees.
            hi = try noiseMultiplier(targetEpsilon: targetEpsilon, samplingRate: samplingRate, steps: steps, delta: delta,
                                     tolerance: 1e-3, accountant: .rdp)
            lo = hi / 2
            while lo >= 0.05 {
                if try eps(lo) > targetEpsilon { break }
                hi = lo
                lo /= 2
            }
            if lo < 0.05 { lo = 0 }
        }
        while try eps(hi) > targetEpsilon {
            lo = hi
            hi *= 2
            if hi > 1e6 { throw PrivacyError(parameter: "epsilon", message: "target \(targetEpsilon) not reachable with noise multiplier <= 1e6") }
        }
        while hi - lo > tolerance * hi {
            let mid = (lo + hi) / 2
            if accountant == .pld && mid < 0.05 { lo = mid; continue }
            if try eps(mid) > targetEpsilon { lo = mid } else { hi = mid }
        }
        return hi
    }

    /// The largest number of steps whose ε is at most `targetEpsilon` (ε grows with steps; exact integer
    /// bisection, so no tolerance). Returns 0 when even one step exceeds the target; searches up to `maxSteps`.
    ///
    /// RDP bisects over [0, maxSteps]. PLD doubles T from 1 until the target is exceeded, then bisects,
    /// reusing one discretised step (each probe is one FFT self-composition).
    public static func steps(targetEpsilon: Double, noiseMultiplier: Double, samplingRate: Double, delta: Double,
                             maxSteps: Int = 100_000_000, accountant: PrivacyAccountantKind = .rdp) throws(PrivacyError) -> Int {
        guard targetEpsilon.isFinite, targetEpsilon > 0 else {
            throw PrivacyError(parameter: "epsilon", message: "expected a finite target > 0, got \(targetEpsilon)")
        }
        guard maxSteps >= 1 else { throw PrivacyError(parameter: "maxSteps", message: "expected >= 1, got \(maxSteps)") }
        switch accountant {
        case .rdp:
            func eps(_ t: Int) throws(PrivacyError) -> Double {
                try epsilon(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: t, delta: delta, accountant: .rdp)
            }
            if try eps(maxSteps) <= targetEpsilon { return maxSteps }
            return try largestWithin(targetEpsilon, lo: 0, hi: maxSteps, eps)
        case .pld:
            guard delta.isFinite, delta > 0, delta < 1 else {
                throw PrivacyError(parameter: "delta", message: "expected a number in (0, 1), got \(delta)")
            }
            let step = try PLDAccountant.singleStep(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: 1,
                                                    discretization: 1e-4)
            guard let remove = step.0 else {
                // No-op (q = 0) never spends budget; σ = 0 spends all of it at once.
                return noiseMultiplier == 0 && samplingRate > 0 ? 0 : maxSteps
            }
            let add = step.1 ?? remove
            let plans = FFTPlans()
            func eps(_ t: Int) throws(PrivacyError) -> Double {
                if t == 0 { return 0 }
                return max(try remove.selfComposed(t, plans: plans).truncatedTails(1e-15).epsilon(delta: delta),
                           try add.selfComposed(t, plans: plans).truncatedTails(1e-15).epsilon(delta: delta))
            }
            var lo = 0, hi = 1
            while try eps(hi) <= targetEpsilon {
                lo = hi
                if hi == maxSteps { return maxSteps }
                hi = min(2 * hi, maxSteps)
            }
            return try largestWithin(targetEpsilon, lo: lo, hi: hi, eps)
        }
    }

    /// Bisection for the largest t in [lo, hi) with eps(t) ≤ target, given eps(lo) ≤ target < eps(hi).
    private static func largestWithin(_ target: Double, lo: Int, hi: Int, _ eps: (Int) throws(PrivacyError) -> Double) throws(PrivacyError) -> Int {
        var lo = lo, hi = hi
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if try eps(mid) <= target { lo = mid } else { hi = mid }
        }
        return lo
    }
}
