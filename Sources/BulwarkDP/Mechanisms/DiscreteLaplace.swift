/// Exact sampler of the discrete Laplace distribution P(x) ∝ exp(−|x|·s/t) on the integers
/// (Canonne, Kamath & Steinke 2020, "The Discrete Gaussian for Differential Privacy", Algorithm 2).
///
/// Only integer arithmetic and uniform integer draws are used, so there is no floating-point
/// leakage of the kind Mironov (2012) showed for textbook floating-point Laplace noise.
/// Privacy holds only with a cryptographically secure generator: use the default
/// `SystemRandomNumberGenerator` (getrandom on Linux); seeded generators are for tests.
public enum DiscreteLaplace {
    /// One sample with scale t/s (`scaleNumerator` t, `scaleDenominator` s, both ≥ 1).
    public static func sample<G: RandomNumberGenerator>(scaleNumerator t: Int, scaleDenominator s: Int = 1,
                                                        using generator: inout G) throws(PrivacyError) -> Int {
        guard t >= 1, t <= 1 << 40 else { throw PrivacyError(parameter: "scaleNumerator", message: "expected an integer in [1, 2^40], got \(t)") }
        guard s >= 1, s <= 1 << 40 else { throw PrivacyError(parameter: "scaleDenominator", message: "expected an integer in [1, 2^40], got \(s)") }
        while true {
            let u = Int.random(in: 0..<t, using: &generator)
            guard ExactBernoulli.expMinus(numerator: u, denominator: t, using: &generator) else { continue }
            var v = 0
            while ExactBernoulli.expMinus(numerator: 1, denominator: 1, using: &generator), v < Int.max / (2 * t) { v += 1 }
            let x = (u + t * v) / s
            let negative = Bool.random(using: &generator)
            if negative, x == 0 { continue }
            return negative ? -x : x
        }
    }

    /// One sample drawn from the operating system's secure generator.
    public static func sample(scaleNumerator t: Int, scaleDenominator s: Int = 1) throws(PrivacyError) -> Int {
        var generator = SystemRandomNumberGenerator()
        return try sample(scaleNumerator: t, scaleDenominator: s, using: &generator)
    }
}
