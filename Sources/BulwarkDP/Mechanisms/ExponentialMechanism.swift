import Foundation

/// The exponential mechanism (McSherry & Talwar 2007): selects candidate i with probability
/// ∝ exp(ε·u_i / (2Δ)) for utilities u of sensitivity Δ — ε-DP. When every utility moves in the same
/// direction between neighbours (`monotonic`, e.g. counts), exp(ε·u_i/Δ) is ε-DP too.
///
/// Probabilities are computed in log space (no overflow for any utility scale) and sampled by inverse
/// CDF with a 53-bit uniform: each probability is realised to within 2^-53 absolute, so the guarantee
/// holds up to that rounding (a relative change of at most 2^-53/p_min in each probability ratio; keep
/// the smallest selection probability well above 2^-53·e^ε if that matters).
///
/// Privacy holds only with a cryptographically secure generator: the default `SystemRandomNumberGenerator`.
public struct ExponentialMechanism: Sendable {
    /// Privacy parameter ε.
    public let epsilon: Double
    /// Sensitivity Δ of each utility.
    public let sensitivity: Double
    /// Whether utilities are monotonic in the data (halves the exponent's denominator).
    public let monotonic: Bool

    /// Creates the mechanism; throws unless ε > 0 and Δ > 0 are finite.
    public init(epsilon: Double, sensitivity: Double = 1, monotonic: Bool = false) throws(PrivacyError) {
        guard epsilon.isFinite, epsilon > 0 else { throw PrivacyError(parameter: "epsilon", message: "expected a finite number > 0, got \(epsilon)") }
        guard sensitivity.isFinite, sensitivity > 0 else { throw PrivacyError(parameter: "sensitivity", message: "expected a finite number > 0, got \(sensitivity)") }
        self.epsilon = epsilon
        self.sensitivity = sensitivity
        self.monotonic = monotonic
    }

    /// The selection probability of each candidate.
    public func probabilities(utilities: [Double]) throws(PrivacyError) -> [Double] {
        guard !utilities.isEmpty else { throw PrivacyError(parameter: "utilities", message: "expected at least one candidate") }
        guard utilities.allSatisfy(\.isFinite) else { throw PrivacyError(parameter: "utilities", message: "expected finite utilities") }
        let factor = epsilon / ((monotonic ? 1 : 2) * sensitivity)
        let logits = utilities.map { $0 * factor }
        let top = logits.max() ?? 0
        let weights = logits.map { exp($0 - top) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// The index of the selected candidate.
    public func select<G: RandomNumberGenerator>(utilities: [Double], using generator: inout G) throws(PrivacyError) -> Int {
        let p = try probabilities(utilities: utilities)
        let u = RandomDraws.uniform53(using: &generator)
        var cumulative = 0.0
        for (i, pi) in p.enumerated() {
            cumulative += pi
            if u < cumulative { return i }
        }
        // Round-off left u ≥ Σp: the last candidate with positive probability.
        return p.lastIndex(where: { $0 > 0 }) ?? p.count - 1
    }

    /// The index of the selected candidate, from the operating system's secure generator.
    public func select(utilities: [Double]) throws(PrivacyError) -> Int {
        var generator = SystemRandomNumberGenerator()
        return try select(utilities: utilities, using: &generator)
    }
}
