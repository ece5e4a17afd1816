import Foundation
import BulwarkTensor

/// The two-sample statistics drift monitoring is built on: the population stability index,
/// the Kolmogorov–Smirnov test and the maximum mean discrepancy.
///
/// Every function is pure and deterministic; known answers come from scipy and numpy
/// (`Tests/BulwarkServingTests/Fixtures/make_drift_fixture.py`).
///
/// ```swift
/// let psi = DriftStatistics.populationStabilityIndex(reference: [50, 30, 20], current: [20, 30, 50])
/// let ks = DriftStatistics.kolmogorovSmirnov([0.1, 0.4, 0.7], [0.5, 0.8, 0.9])
/// ```
public enum DriftStatistics {
    /// The proportion an empty cell counts as in ``populationStabilityIndex(reference:current:epsilon:)``
    /// (1e-4, the floor the data-validation profile's `Histogram.proportions(floor:)` uses).
    public static let psiEpsilon = 1e-4

    /// The population stability index `Σ (pᵢ − qᵢ)·ln(pᵢ / qᵢ)` of the `current` cell counts `p`
    /// against the `reference` cell counts `q` (same cells), each proportion floored at
    /// `epsilon` so that empty cells give a finite value.
    ///
    /// Usual reading: below 0.1 no shift, 0.1–0.2 a moderate shift, above 0.2 a significant one.
    /// Returns 0 when either side is empty or the cell counts differ in length. Cost O(cells).
    public static func populationStabilityIndex(reference: [Int], current: [Int], epsilon: Double = psiEpsilon) -> Double {
        let referenceTotal = reference.reduce(0, +), currentTotal = current.reduce(0, +)
        guard reference.count == current.count, referenceTotal > 0, currentTotal > 0 else { return 0 }
        var sum = 0.0
        for (q, p) in zip(reference, current) {
            let qi = max(Double(q) / Double(referenceTotal), epsilon), pi = max(Double(p) / Double(currentTotal), epsilon)
            sum += (pi - qi) * log(pi / qi)
        }
        return sum
    }

    /// The result of a two-sample Kolmogorov–Smirnov test.
    public struct KolmogorovSmirnovResult: Sendable, Equatable, Codable {
        /// `D = sup |F₁(x) − F₂(x)|`, the largest gap between the two empirical distribution functions.
        public var statistic: Double
        /// The asymptotic two-sided p-value `Q_KS(√(n·m/(n+m))·D)` (Kolmogorov's limit
        /// distribution, scipy's `kstwobign.sf`).
        public var pValue: Double
    }

    /// The two-sample Kolmogorov–Smirnov statistic and its asymptotic p-value (Smirnov 1948).
    ///
    /// Ties are handled as scipy's `ks_2samp` does (both empirical functions step past a shared
    /// value together). The p-value uses the Kolmogorov limit distribution with the effective
    /// size `n·m/(n+m)`; it is accurate for samples of a few dozen and more (scipy's default
    /// `method="auto"` switches to exact values for small samples, so it differs there).
    /// Cost O(n log n + m log m); already sorted inputs skip nothing but are cheap to sort.
    /// Either sample empty: statistic 0, p-value 1.
    public static func kolmogorovSmirnov(_ first: [Double], _ second: [Double]) -> KolmogorovSmirnovResult {
        kolmogorovSmirnov(sortedFirst: first.sorted(), sortedSecond: second.sorted())
    }

    /// ``kolmogorovSmirnov(_:_:)`` on samples already sorted ascending (no NaN).
    public static func kolmogorovSmirnov(sortedFirst a: [Double], sortedSecond b: [Double]) -> KolmogorovSmirnovResult {
        let n = a.count, m = b.count
        guard n > 0, m > 0 else { return KolmogorovSmirnovResult(statistic: 0, pValue: 1) }
        var i = 0, j = 0, d = 0.0
        while i < n, j < m {
            let value = min(a[i], b[j])
            while i < n, a[i] <= value { i += 1 }
            while j < m, b[j] <= value { j += 1 }
            d = max(d, abs(Double(i) / Double(n) - Double(j) / Double(m)))
        }
        let effective = Double(n) * Double(m) / Double(n + m)
        return KolmogorovSmirnovResult(statistic: d, pValue: kolmogorovSurvival(effective.squareRoot() * d))
    }

    /// The survival function `Q_KS(λ) = P(K > λ)` of Kolmogorov's limit distribution
    /// (scipy's `scipy.special.kolmogorov`), to about 1e-12: the alternating series
    /// `2 Σ (−1)^(k−1) e^(−2k²λ²)` for λ ≥ 1.18 and the Jacobi-theta form
    /// `1 − (√(2π)/λ) Σ e^(−(2k−1)²π²/(8λ²))` below it, where the first converges slowly.
    public static func kolmogorovSurvival(_ lambda: Double) -> Double {
        guard lambda.isFinite else { return lambda > 0 ? 0 : 1 }
        if lambda <= 0.04 { return 1 }
        if lambda < 1.18 {
            let w = (2 * Double.pi).squareRoot() / lambda, factor = -Double.pi * Double.pi / (8 * lambda * lambda)
            var sum = 0.0
            for k in 1...8 {
                let odd = Double(2 * k - 1)
                sum += exp(factor * odd * odd)
            }
            return min(1, max(0, 1 - w * sum))
        }
        var sum = 0.0, sign = 1.0
        for k in 1...100 {
            let term = exp(-2 * Double(k * k) * lambda * lambda)
            sum += sign * term
            if term < 1e-17 { break }
            sign = -sign
        }
        return min(1, max(0, 2 * sum))
    }

    /// The median of the pairwise Euclidean distances between the rows of `sample` (`count × dimension`,
    /// row-major), the usual bandwidth of an RBF kernel (the "median heuristic", Gretton et al.
    /// 2012). Pairs `i < j` only; an even number of pairs averages the two middle distances
    /// (numpy's `median`). Returns 1 when fewer than two rows or every distance is 0.
    /// Cost O(count²·dimension).
    public static func medianPairwiseDistance(_ sample: [Float], dimension: Int) -> Double {
        guard dimension > 0 else { return 1 }
        let count = sample.count / dimension
        guard count >= 2 else { return 1 }
        var distances: [Double] = []
        distances.reserveCapacity(count * (count - 1) / 2)
        sample.withUnsafeBufferPointer { x in
            for i in 0..<count {
                for j in (i + 1)..<count {
                    distances.append(squaredDistance(x, i, x, j, dimension).squareRoot())
                }
            }
        }
        distances.sort()
        let middle = distances.count / 2
        let median = distances.count % 2 == 1 ? distances[middle] : (distances[middle - 1] + distances[middle]) / 2
        return median > 0 ? median : 1
    }

    /// The unbiased estimate of the squared maximum mean discrepancy (Gretton et al. 2012,
    /// "A kernel two-sample test", eq. 3) between the rows of `x` (`m × dimension`) and `y`
    /// (`n × dimension`) under the RBF kernel `k(a, b) = exp(−‖a − b‖² / (2σ²))` with
    /// `σ = bandwidth`:
    ///
    /// `MMD²ᵤ = Σ_{i≠j} k(xᵢ,xⱼ)/(m(m−1)) + Σ_{i≠j} k(yᵢ,yⱼ)/(n(n−1)) − 2 Σ k(xᵢ,yⱼ)/(m·n)`.
    ///
    /// It can be slightly negative when the samples agree. Returns 0 when a side has fewer than
    /// two rows. Cost O((m + n)²·dimension).
    public static func maximumMeanDiscrepancySquared(_ x: [Float], _ y: [Float], dimension: Int, bandwidth: Double) -> Double {
        guard dimension > 0, x.count / dimension >= 2, y.count / dimension >= 2 else { return 0 }
        let gamma = 1 / (2 * bandwidth * bandwidth)
        let m = x.count / dimension, n = y.count / dimension
        let xx = kernelSumOffDiagonal(x, dimension: dimension, gamma: gamma)
        let yy = kernelSumOffDiagonal(y, dimension: dimension, gamma: gamma)
        let xy = kernelSumCross(x, y, dimension: dimension, gamma: gamma)
        return xx / Double(m * (m - 1)) + yy / Double(n * (n - 1)) - 2 * xy / Double(m * n)
    }

    /// `Σ_{i≠j} exp(−γ‖xᵢ − xⱼ‖²)` over the rows of `x`.
    package static func kernelSumOffDiagonal(_ x: [Float], dimension: Int, gamma: Double) -> Double {
        let count = x.count / dimension
        var sum = 0.0
        x.withUnsafeBufferPointer { p in
            for i in 0..<count {
                for j in (i + 1)..<count { sum += exp(-gamma * squaredDistance(p, i, p, j, dimension)) }
            }
        }
        return 2 * sum
    }

    /// `Σ_{i,j} exp(−γ‖xᵢ − yⱼ‖²)` over the rows of `x` and `y`.
    package static func kernelSumCross(_ x: [Float], _ y: [Float], dimension: Int, gamma: Double) -> Double {
        let m = x.count / dimension, n = y.count / dimension
        var sum = 0.0
        x.withUnsafeBufferPointer { p in
            y.withUnsafeBufferPointer { q in
                for i in 0..<m {
                    for j in 0..<n { sum += exp(-gamma * squaredDistance(p, i, q, j, dimension)) }
                }
            }
        }
        return sum
    }

    /// `‖a_i − b_j‖²` for rows `i` of `a` and `j` of `b`.
    @inline(__always)
    static func squaredDistance(_ a: UnsafeBufferPointer<Float>, _ i: Int, _ b: UnsafeBufferPointer<Float>, _ j: Int, _ dimension: Int) -> Double {
        precondition((i + 1) * dimension <= a.count && (j + 1) * dimension <= b.count, "row outside the buffer")
        guard dimension > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
        // Eight running sums (VectorMath): the MMD statistic and its calibration both sum this way.
        return Double(VectorMath.squaredDistance(UnsafeBufferPointer(start: pa + i * dimension, count: dimension),
                                                 UnsafeBufferPointer(start: pb + j * dimension, count: dimension)))
    }
}
