/// Exact Bernoulli trials with rational parameters (Canonne, Kamath & Steinke 2020, Algorithm 1),
/// generic over the integer width so the discrete Gaussian can use 128-bit rationals.
enum ExactBernoulli {
    /// True with probability n/d (0 ≤ n ≤ d, d ≥ 1).
    static func rational<T: FixedWidthInteger & SignedInteger, G: RandomNumberGenerator>(numerator n: T, denominator d: T, using generator: inout G) -> Bool {
        T.random(in: 0..<d, using: &generator) < n
    }

    /// True with probability exp(−n/d), for n ≥ 0, d ≥ 1.
    static func expMinus<T: FixedWidthInteger & SignedInteger, G: RandomNumberGenerator>(numerator n: T, denominator d: T, using generator: inout G) -> Bool {
        var n = n
        while n > d {
            if !expMinus(numerator: T(1), denominator: T(1), using: &generator) { return false }
            n -= d
        }
        // exp(−γ) for γ = n/d ∈ [0, 1]: the parity of the first K with Bernoulli(γ/K) false (von Neumann).
        var k: T = 1
        while true {
            let (den, overflow) = d.multipliedReportingOverflow(by: k)
            if overflow || !rational(numerator: n, denominator: den, using: &generator) { break }
            k += 1
        }
        return k % 2 == 1
    }
}
