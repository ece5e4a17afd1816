import Foundation

/// The Gaussian mechanism for (ε, δ)-DP on real values, calibrated classically (Dwork & Roth 2014,
/// σ = Δ₂·√(2 ln(1.25/δ))/ε, ε < 1) or analytically (Balle & Wang 2018, the smallest σ), and sampled
/// without floating-point leakage as a discrete Gaussian on a fine lattice.
///
/// Construction: γ is the power of two with σ/γ in [2^12, 2^13); the value is rounded to γℤ (a query
/// of lattice sensitivity Δ_L = ⌊Δ/γ⌋ + 1) and γ·N_ℤ(0, s²) is added, with the integer s = ⌈σ·Δ_L/Δ⌉,
/// so that s/Δ_L ≥ σ/Δ. The guarantee is then the discrete Gaussian's exact one (Canonne, Kamath
/// & Steinke 2020, Theorem 7) for (s, Δ_L), checked at construction (`DiscreteGaussian.delta`); s is
/// raised until it holds. Outputs are multiples of γ ≈ σ/4096; the extra noise over σ is ≲ (1 + γ/Δ).
///
/// Privacy holds only with a cryptographically secure generator: the default `SystemRandomNumberGenerator`.
public struct GaussianMechanism: Sendable {
    /// How σ is chosen from (ε, δ).
    public enum Calibration: String, Sendable, CaseIterable {
        /// σ = Δ·√(2 ln(1.25/δ))/ε (Dwork & Roth 2014, Theorem A.1), needs ε < 1.
        case classic
        /// The smallest σ whose δ(ε) ≤ δ (Balle & Wang 2018).
        case analytic
    }

    /// Target ε.
    public let epsilon: Double
    /// Target δ.
    public let delta: Double
    /// L2 sensitivity Δ.
    public let sensitivity: Double
    /// The calibrated continuous σ.
    public let sigma: Double
    /// Lattice spacing γ (a power of two).
    public let granularity: Double
    /// Lattice sensitivity Δ_L = ⌊Δ/γ⌋ + 1 (lattice steps one record can move the rounded value).
    public let latticeSensitivity: Int
    /// Lattice noise scale s (an integer): the noise is γ·N_ℤ(0, s²).
    public let latticeSigma: Int
    /// The δ the lattice sampler actually guarantees at ε (≤ `delta`).
    public let guaranteedDelta: Double

    /// Calibrates σ and the lattice sampler; throws on invalid parameters.
    public init(epsilon: Double, delta: Double, sensitivity: Double = 1, calibration: Calibration = .analytic) throws(PrivacyError) {
        guard sensitivity.isFinite, sensitivity > 0 else { throw PrivacyError(parameter: "sensitivity", message: "expected a finite number > 0, got \(sensitivity)") }
        let sigma: Double
        switch calibration {
        case .classic: sigma = try GaussianCalibration.classicSigma(epsilon: epsilon, delta: delta, sensitivity: sensitivity)
        case .analytic: sigma = try GaussianCalibration.analyticSigma(epsilon: epsilon, delta: delta, sensitivity: sensitivity)
        }
        let gamma = Double(sign: .plus, exponent: sigma.exponent - 12, significand: 1)
        let latticeSensitivity = Int((sensitivity / gamma).rounded(.down)) + 1
        var s = Int((sigma * Double(latticeSensitivity) / sensitivity).rounded(.up))
        guard s <= 100_000 else {
            throw PrivacyError(parameter: "sensitivity", message: "σ/Δ = \(sigma / sensitivity) is too large for the lattice sampler (limit about 9e4)")
        }
        var achieved = try DiscreteGaussian.delta(sigma: Double(s), epsilon: epsilon, sensitivity: latticeSensitivity)
        while achieved > delta {
            s += max(1, s / 1000)
            achieved = try DiscreteGaussian.delta(sigma: Double(s), epsilon: epsilon, sensitivity: latticeSensitivity)
        }
        self.epsilon = epsilon
        self.delta = delta
        self.sensitivity = sensitivity
        self.sigma = sigma
        self.granularity = gamma
        self.latticeSensitivity = latticeSensitivity
        self.latticeSigma = s
        self.guaranteedDelta = achieved
    }

    /// The standard deviation of the released noise (≈ s·γ, slightly below because N_ℤ's variance is < s²).
    public var noiseScale: Double { Double(latticeSigma) * granularity }

    /// `value` rounded to the lattice plus lattice-Gaussian noise.
    public func release<G: RandomNumberGenerator>(_ value: Double, using generator: inout G) throws(PrivacyError) -> Double {
        guard value.isFinite, abs(value / granularity) < 0x1p52 else {
            throw PrivacyError(parameter: "value", message: "expected a finite number below 2^52 lattice steps, got \(value)")
        }
        let k = (value / granularity).rounded(.toNearestOrEven)
        let noise = try DiscreteGaussian.sample(sigmaNumerator: latticeSigma, using: &generator)
        return (k + Double(noise)) * granularity
    }

    /// `value` plus noise from the operating system's secure generator.
    public func release(_ value: Double) throws(PrivacyError) -> Double {
        var generator = SystemRandomNumberGenerator()
        return try release(value, using: &generator)
    }
}
