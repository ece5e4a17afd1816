import Foundation

/// Log-space helpers: every quantity stays finite or becomes an explicit -inf, never NaN.
enum LogSpace {
    /// log(exp(a) + exp(b)).
    static func add(_ a: Double, _ b: Double) -> Double {
        let hi = max(a, b), lo = min(a, b)
        if hi == -.infinity { return -.infinity }
        return hi + log1p(exp(lo - hi))
    }

    /// log(exp(a) - exp(b)) for a >= b; -inf when equal.
    static func sub(_ a: Double, _ b: Double) -> Double {
        if b == -.infinity { return a }
        if a <= b { return -.infinity }
        let d = b - a
        // log(1 - exp(d)) computed stably.
        return a + (d > -0.693 ? log(-expm1(d)) : log1p(-exp(d)))
    }

    /// log(erfc(x)), accurate also where erfc(x) underflows (asymptotic series).
    static func logErfc(_ x: Double) -> Double {
        let e = erfc(x)
        if x < 20, e > 0 { return log(e) }
        let r = 1 / (x * x)
        // erfc(x) ~ exp(-x^2)/(x sqrt(pi)) * (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6) + 105/(16x^8))
        let series = 1 - r / 2 + 3 * r * r / 4 - 15 * r * r * r / 8 + 105 * r * r * r * r / 16
        return -x * x - log(x) - 0.5 * log(Double.pi) + log(series)
    }

    /// log|Γ(x)|.
    static func logAbsGamma(_ x: Double) -> Double {
        let value: Double = lgamma(x)
        return value
    }
}
