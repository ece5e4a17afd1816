import Foundation

/// The Shapiro–Wilk test of normality, by Royston's algorithm AS R94 (Royston 1992, "Approximating
/// the Shapiro–Wilk W-test for non-normality", and 1995, "Remark AS R94"): the W statistic from
/// Royston's polynomial approximation of the coefficients and its p-value from his normalising
/// transformations — the method behind `scipy.stats.shapiro` and R's `shapiro.test`.
///
/// W is in (0, 1]; values near 1 are what a normal sample gives, small values reject normality.
/// AS R94 is validated for 3 ≤ n ≤ 5000; larger samples are computed the same way (as SciPy
/// does) with a p-value that is then only approximate. Cost: a sort and n/2 normal quantiles,
/// `O(n log n)`.
///
/// ```swift
/// let result = try ShapiroWilk.test([2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8])
/// print(result.w, result.pValue)
/// ```
public enum ShapiroWilk {
    /// The statistic and its p-value.
    public struct Result: Sendable, Equatable, Codable {
        /// The W statistic, in (0, 1].
        public var w: Double
        /// P(W ≤ observed) under normality.
        public var pValue: Double
    }

    /// Tests `sample` (any order) for normality.
    ///
    /// A sample whose values are all equal has no spread to test: it answers W = 1, p = 1, as SciPy does.
    /// - Throws: ``ExtractionError`` (`invalidParameter`) for fewer than 3 values or a non-finite one.
    public static func test(_ sample: [Double]) throws(ExtractionError) -> Result {
        try test(sorted: sample.sorted()[...])
    }

    /// Tests a sample the caller keeps sorted (ascending), without sorting or copying it: the same
    /// result as ``test(_:)`` on those values. Values out of order give a meaningless W (no trap).
    /// - Throws: ``ExtractionError`` (`invalidParameter`) for fewer than 3 values or a non-finite one.
    public static func test(sorted x: ArraySlice<Double>) throws(ExtractionError) -> Result {
        let n = x.count
        guard n >= 3 else { throw ExtractionError(.invalidParameter, "Shapiro–Wilk needs at least 3 values, got \(n)") }
        guard x.allSatisfy(\.isFinite) else { throw ExtractionError(.invalidParameter, "Shapiro–Wilk needs finite values") }
        let o = x.startIndex
        let mean = x.reduce(0, +) / Double(n)
        var ss = 0.0
        for v in x { ss += (v - mean) * (v - mean) }
        guard ss > 0, x[o + n - 1] - x[o] > 0 else { return Result(w: 1, pValue: 1) }
        let a = coefficients(n)
        var numerator = 0.0
        for i in 0..<a.count { numerator += a[i] * (x[o + n - 1 - i] - x[o + i]) }
        let w = min(1, numerator * numerator / ss)
        return Result(w: w, pValue: pValue(w: w, n: n))
    }

    /// The upper half of the antisymmetric coefficients `a` (largest first) for a sample of `n ≥ 3`:
    /// `W = (Σ aᵢ (x₍ₙ₊₁₋ᵢ₎ − x₍ᵢ₎))² / Σ (xᵢ − x̄)²`; the full vector has unit norm.
    package static func coefficients(_ n: Int) -> [Double] {
        let half = n / 2
        if n == 3 { return [Double(0.5).squareRoot()] }
        let an25 = Double(n) + 0.25
        // mᵢ: Blom-type approximations of the expected normal order statistics, upper half.
        let m = (1...half).map { i in -normalQuantile((Double(i) - 0.375) / an25) }
        let summ2 = 2 * m.reduce(0) { $0 + $1 * $1 }
        let ssumm2 = summ2.squareRoot()
        let u = 1 / Double(n).squareRoot()
        let a1 = m[0] / ssumm2 + polynomial([0, 0.221157, -0.147981, -2.071190, 4.434685, -2.706056], u)
        var a = [Double](repeating: 0, count: half)
        a[0] = a1
        let first: Int
        let scale: Double
        if n > 5 {
            let a2 = m[1] / ssumm2 + polynomial([0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633], u)
            a[1] = a2
            scale = ((summ2 - 2 * m[0] * m[0] - 2 * m[1] * m[1]) / (1 - 2 * a1 * a1 - 2 * a2 * a2)).squareRoot()
            first = 2
        } else {
            scale = ((summ2 - 2 * m[0] * m[0]) / (1 - 2 * a1 * a1)).squareRoot()
            first = 1
        }
        for i in first..<half { a[i] = m[i] / scale }
        return a
    }

    /// Royston's p-value of `w` for a sample of `n`: exact for n = 3, a log-normal approximation
    /// of `−log(γ − log(1 − W))` for 4 ≤ n ≤ 11, of `log(1 − W)` for n ≥ 12.
    package static func pValue(w: Double, n: Int) -> Double {
        if n == 3 {
            return max(0, min(1, 6 / Double.pi * (asin(w.squareRoot()) - asin(Double(0.75).squareRoot()))))
        }
        guard w < 1 else { return 1 }
        let logOneMinusW = log(1 - w)
        let nn = Double(n)
        let y: Double, m: Double, s: Double
        if n <= 11 {
            let gamma = polynomial([-2.273, 0.459], nn)
            guard logOneMinusW < gamma else { return 0 }
            y = -log(gamma - logOneMinusW)
            m = polynomial([0.5440, -0.39978, 0.025054, -6.714e-4], nn)
            s = exp(polynomial([1.3822, -0.77857, 0.062767, -0.0020322], nn))
        } else {
            let logN = log(nn)
            y = logOneMinusW
            m = polynomial([-1.5861, -0.31082, -0.083751, 0.0038915], logN)
            s = exp(polynomial([-0.4803, -0.082676, 0.0030302], logN))
        }
        return 0.5 * erfc((y - m) / s / Double(2).squareRoot())
    }

    /// `c₀ + c₁x + c₂x² + …` by Horner's rule.
    private static func polynomial(_ c: [Double], _ x: Double) -> Double {
        c.reversed().reduce(0) { $0 * x + $1 }
    }

    /// The standard normal quantile Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation
    /// (relative error below 1.2e-9) refined by one Halley step on `erfc`, to about 1e-15.
    package static func normalQuantile(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let e = 0.5 * erfc(-x / Double(2).squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }
}
