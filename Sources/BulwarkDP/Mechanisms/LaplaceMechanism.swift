import Foundation

/// The Laplace mechanism for (ε, 0)-DP on real values: noise of scale b = Δ₁/ε (Dwork, McSherry,
/// Nissim & Smith 2006), sampled by Mironov's snapping construction so that floating-point arithmetic
/// does not leak the input (Mironov 2012, "On Significance of the Least Significant Bits for
/// Differential Privacy").
///
/// Textbook floating-point Laplace noise (`value + b·log(U)`) produces outputs whose low-order bits
/// depend on the input, which breaks DP entirely. Snapping clamps the input to [−B, B], adds noise from a
/// full-precision uniform, rounds the result to the nearest multiple of Λ (the smallest power of two
/// ≥ b/Δ, in units of Δ) and clamps again. Mironov's Theorem 1 (stated for sensitivity 1; we apply it to
/// value/Δ) then gives ε' = ε·(1 + 2^-49·B/Δ)-DP, provided 1/ε < B/Δ < 2^46/ε — `guaranteedEpsilon`.
/// Costs: outputs are multiples of Λ·Δ and lie in [−B, B]. For integer data prefer `DiscreteLaplace`.
///
/// Privacy holds only with a cryptographically secure generator: the default `SystemRandomNumberGenerator`.
public struct LaplaceMechanism: Sendable {
    /// Target ε.
    public let epsilon: Double
    /// L1 sensitivity Δ of the query.
    public let sensitivity: Double
    /// Clamping bound B: inputs and outputs are clamped to [−B, B].
    public let bound: Double

    /// Creates the mechanism; throws unless ε > 0, Δ > 0 and 1/ε < B/Δ < 2^46/ε.
    public init(epsilon: Double, sensitivity: Double = 1, bound: Double) throws(PrivacyError) {
        guard epsilon.isFinite, epsilon > 0 else { throw PrivacyError(parameter: "epsilon", message: "expected a finite number > 0, got \(epsilon)") }
        guard sensitivity.isFinite, sensitivity > 0 else { throw PrivacyError(parameter: "sensitivity", message: "expected a finite number > 0, got \(sensitivity)") }
        guard bound.isFinite, bound / sensitivity > 1 / epsilon, bound / sensitivity < 0x1p46 / epsilon else {
            throw PrivacyError(parameter: "bound", message: "snapping needs 1/ε < B/Δ < 2^46/ε (B/Δ in (\(1 / epsilon), \(0x1p46 / epsilon))), got B = \(bound)")
        }
        self.epsilon = epsilon
        self.sensitivity = sensitivity
        self.bound = bound
    }

    /// The noise scale b = Δ/ε (standard deviation √2·b).
    public var scale: Double { sensitivity / epsilon }

    /// The ε that snapping actually guarantees: ε·(1 + 2^-49·B/Δ) (Mironov 2012, Theorem 1).
    public var guaranteedEpsilon: Double { epsilon * (1 + 0x1p-49 * bound / sensitivity) }

    /// The output grid spacing Λ·Δ (Λ the smallest power of two ≥ 1/ε).
    public var granularity: Double { Self.powerOfTwoAtLeast(1 / epsilon) * sensitivity }

    /// `value` plus snapped Laplace noise.
    public func release<G: RandomNumberGenerator>(_ value: Double, using generator: inout G) throws(PrivacyError) -> Double {
        guard value.isFinite else { throw PrivacyError(parameter: "value", message: "expected a finite number, got \(value)") }
        let b = bound / sensitivity, lambda = 1 / epsilon
        let grid = Self.powerOfTwoAtLeast(lambda)
        let x = min(max(value / sensitivity, -b), b)
        let u = RandomDraws.uniformFullPrecision(using: &generator)
        let sign: Double = Bool.random(using: &generator) ? 1 : -1
        let noisy = x + sign * lambda * log(u)
        let snapped = (noisy / grid).rounded(.toNearestOrEven) * grid
        return min(max(snapped, -b), b) * sensitivity
    }

    /// `value` plus snapped Laplace noise from the operating system's secure generator.
    public func release(_ value: Double) throws(PrivacyError) -> Double {
        var generator = SystemRandomNumberGenerator()
        return try release(value, using: &generator)
    }

    /// The smallest power of two ≥ x (x > 0).
    static func powerOfTwoAtLeast(_ x: Double) -> Double {
        let p = Double(sign: .plus, exponent: x.exponent, significand: 1)
        return p >= x ? p : 2 * p
    }
}
