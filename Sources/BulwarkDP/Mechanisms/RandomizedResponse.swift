import Foundation

/// k-ary randomized response (Warner 1965; the ε-LDP form of Kairouz, Oh & Viswanath 2014): report the
/// true category with probability p = e^ε/(e^ε + k − 1), otherwise one of the k − 1 others uniformly.
/// Every report is ε-locally-DP; `estimateFrequencies` inverts the channel without bias.
///
/// The keep decision compares a 53-bit uniform with p, so the realised p̂ differs from p by < 2^-53 and
/// the realised ε is log(p̂(k − 1)/(1 − p̂)) — `guaranteedEpsilon` reports it. The "other category" draw is
/// an exact uniform integer. Privacy holds only with a cryptographically secure generator.
public struct RandomizedResponse: Sendable {
    /// Privacy parameter ε.
    public let epsilon: Double
    /// Number of categories k ≥ 2.
    public let categories: Int

    /// Creates the mechanism; throws unless ε > 0 is finite and k ≥ 2.
    public init(epsilon: Double, categories: Int = 2) throws(PrivacyError) {
        guard epsilon.isFinite, epsilon > 0, epsilon < 700 else { throw PrivacyError(parameter: "epsilon", message: "expected a number in (0, 700), got \(epsilon)") }
        guard categories >= 2 else { throw PrivacyError(parameter: "categories", message: "expected at least 2 categories, got \(categories)") }
        self.epsilon = epsilon
        self.categories = categories
    }

    /// Probability of reporting the true category, e^ε/(e^ε + k − 1).
    public var keepProbability: Double { 1 / (1 + Double(categories - 1) * exp(-epsilon)) }

    /// Probability of reporting one particular other category, (1 − p)/(k − 1).
    public var flipProbability: Double { (1 - keepProbability) / Double(categories - 1) }

    /// The ε realised by the 53-bit keep decision.
    public var guaranteedEpsilon: Double {
        let p = (keepProbability * 0x1p53).rounded(.up) * 0x1p-53
        return log(p * Double(categories - 1) / (1 - p))
    }

    /// A randomized report of `value` (in 0..<k).
    public func respond<G: RandomNumberGenerator>(_ value: Int, using generator: inout G) throws(PrivacyError) -> Int {
        guard value >= 0, value < categories else { throw PrivacyError(parameter: "value", message: "expected a category in 0..<\(categories), got \(value)") }
        if RandomDraws.uniform53(using: &generator) < keepProbability { return value }
        let other = Int.random(in: 0..<(categories - 1), using: &generator)
        return other < value ? other : other + 1
    }

    /// A randomized report of `value` from the operating system's secure generator.
    public func respond(_ value: Int) throws(PrivacyError) -> Int {
        var generator = SystemRandomNumberGenerator()
        return try respond(value, using: &generator)
    }

    /// Unbiased estimates of the true category frequencies from reports: (c_v/n − q)/(p − q).
    public func estimateFrequencies(reports: [Int]) throws(PrivacyError) -> [Double] {
        guard !reports.isEmpty else { throw PrivacyError(parameter: "reports", message: "expected at least one report") }
        var counts = [Double](repeating: 0, count: categories)
        for r in reports {
            guard r >= 0, r < categories else { throw PrivacyError(parameter: "reports", message: "expected categories in 0..<\(categories), got \(r)") }
            counts[r] += 1
        }
        let n = Double(reports.count), p = keepProbability, q = flipProbability
        return counts.map { ($0 / n - q) / (p - q) }
    }
}
