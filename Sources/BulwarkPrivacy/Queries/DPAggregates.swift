import Foundation

/// Differentially private aggregate queries — count, sum, mean, histogram — over one dataset with a
/// shared budget (add-or-remove-one-record neighbours, pure ε-DP, basic composition).
///
/// Every query uses the exact discrete Laplace sampler (`DiscreteLaplace`) on integers: counts directly,
/// real sums as fixed-point integers. Values are clamped to [lower, upper] first (that clamping is what
/// bounds the sensitivity, so it is part of the query), then rounded to the lattice γℤ with
/// γ = max(|lower|, |upper|)/2^20; one record changes the integer sum by at most Δ_L = 2^20 lattice
/// steps, and noise of scale ≥ Δ_L/ε is added. Noise scales are rationals t/s (s = max(1, 2^20/Δ), t rounded up),
/// so the realised ε never exceeds the one spent. No floating-point noise is drawn anywhere.
///
/// ```swift
/// let ages: [Double] = [34, 51, 27, 62, 45]
/// var queries = try DPAggregates(budget: 1.0)            // SystemRandomNumberGenerator
/// let n = try queries.count(ages.count, epsilon: 0.25)
/// let m = try queries.mean(ages, lower: 0, upper: 100, epsilon: 0.5)
/// ```
public struct DPAggregates<G: RandomNumberGenerator> {
    /// The budget; every query spends from it before answering.
    public private(set) var budget: PrivacyBudget
    private var generator: G
    /// Lattice steps per max(|lower|, |upper|) for real sums.
    public static var latticeResolution: Int { 1 << 20 }

    /// Queries drawing noise from `generator` (use a seeded one for tests only).
    public init(budget epsilon: Double, generator: G) throws(PrivacyError) {
        budget = try PrivacyBudget(total: epsilon)
        self.generator = generator
    }

    /// A noisy count: `records` + discrete Laplace noise of scale 1/ε (sensitivity 1).
    public mutating func count(_ records: Int, epsilon: Double) throws(PrivacyError) -> Int {
        guard records >= 0 else { throw PrivacyError(parameter: "records", message: "expected a count >= 0, got \(records)") }
        try budget.spend(epsilon)
        return records + (try noise(sensitivity: 1, epsilon: epsilon))
    }

    /// A noisy sum of `values` clamped to [lower, upper] (sensitivity max(|lower|, |upper|)).
    public mutating func sum(_ values: [Double], lower: Double, upper: Double, epsilon: Double) throws(PrivacyError) -> Double {
        let (gamma, total) = try fixedPointSum(values, lower: lower, upper: upper)
        try budget.spend(epsilon)
        return Double(total + (try noise(sensitivity: Self.latticeResolution, epsilon: epsilon))) * gamma
    }

    /// A noisy mean: ε split evenly between a noisy sum and a noisy count, the ratio clamped to
    /// [lower, upper] (a noisy count ≤ 0 gives the midpoint).
    public mutating func mean(_ values: [Double], lower: Double, upper: Double, epsilon: Double) throws(PrivacyError) -> Double {
        let (gamma, total) = try fixedPointSum(values, lower: lower, upper: upper)
        let shares = try PrivacyBudget.split(epsilon, into: 2)
        try budget.spend(epsilon)
        let noisySum = Double(total + (try noise(sensitivity: Self.latticeResolution, epsilon: shares[0]))) * gamma
        let noisyCount = values.count + (try noise(sensitivity: 1, epsilon: shares[1]))
        guard noisyCount > 0 else { return (lower + upper) / 2 }
        return min(max(noisySum / Double(noisyCount), lower), upper)
    }

    /// A noisy histogram of category indices in 0..<bins: each bin count + discrete Laplace noise of
    /// scale 1/ε (one record changes one bin by one, so the whole histogram costs ε). Values outside
    /// 0..<bins are clamped to the nearest bin.
    public mutating func histogram(_ categories: [Int], bins: Int, epsilon: Double) throws(PrivacyError) -> [Int] {
        guard bins >= 1, bins <= 1 << 24 else { throw PrivacyError(parameter: "bins", message: "expected 1...2^24 bins, got \(bins)") }
        var counts = [Int](repeating: 0, count: bins)
        for c in categories { counts[min(max(c, 0), bins - 1)] += 1 }
        try budget.spend(epsilon)
        for b in 0..<bins { counts[b] += try noise(sensitivity: 1, epsilon: epsilon) }
        return counts
    }

    /// The lattice spacing and the integer sum of the clamped, rounded values.
    private func fixedPointSum(_ values: [Double], lower: Double, upper: Double) throws(PrivacyError) -> (Double, Int) {
        guard lower.isFinite, upper.isFinite, lower < upper else {
            throw PrivacyError(parameter: "bounds", message: "expected finite lower < upper, got [\(lower), \(upper)]")
        }
        guard values.count <= 1 << 30 else { throw PrivacyError(parameter: "values", message: "expected at most 2^30 values") }
        let magnitude = max(abs(lower), abs(upper))
        let gamma = magnitude / Double(Self.latticeResolution)
        var total = 0
        for v in values {
            guard !v.isNaN else { throw PrivacyError(parameter: "values", message: "expected numbers, got NaN") }
            total += Int((min(max(v, lower), upper) / gamma).rounded(.toNearestOrEven))
        }
        return (gamma, total)
    }

    /// Discrete Laplace noise of scale ≥ sensitivity/ε: a rational t/s with s = max(1, 2^20/Δ), t rounded up.
    private mutating func noise(sensitivity: Int, epsilon: Double) throws(PrivacyError) -> Int {
        let denominator = max(1, (1 << 20) / sensitivity)
        let t = (Double(sensitivity) * Double(denominator) / epsilon).rounded(.up)
        guard t <= 0x1p40 else {
            throw PrivacyError(parameter: "epsilon", message: "ε = \(epsilon) is too small for the sampler (noise scale above 2^20 per unit of sensitivity)")
        }
        return try DiscreteLaplace.sample(scaleNumerator: Int(t), scaleDenominator: denominator, using: &generator)
    }
}

extension DPAggregates where G == SystemRandomNumberGenerator {
    /// Queries drawing noise from the operating system's secure generator.
    public init(budget epsilon: Double) throws(PrivacyError) {
        try self.init(budget: epsilon, generator: SystemRandomNumberGenerator())
    }
}
