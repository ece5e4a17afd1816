/// A pure-DP budget spent by basic (sequential) composition: the ε of the queries answered add up and
/// may not exceed the total.
public struct PrivacyBudget: Sendable, Equatable {
    /// The total ε available.
    public let total: Double
    /// The ε spent so far.
    public private(set) var spent: Double = 0

    /// A budget of `total` ε (finite, > 0).
    public init(total: Double) throws(PrivacyError) {
        guard total.isFinite, total > 0 else { throw PrivacyError(parameter: "budget", message: "expected a finite total ε > 0, got \(total)") }
        self.total = total
    }

    /// The ε still available.
    public var remaining: Double { max(0, total - spent) }

    /// Records spending `epsilon`; throws (and spends nothing) when it would exceed the total.
    public mutating func spend(_ epsilon: Double) throws(PrivacyError) {
        guard epsilon.isFinite, epsilon > 0 else { throw PrivacyError(parameter: "epsilon", message: "expected a finite number > 0, got \(epsilon)") }
        // A relative slack of 1e-12 lets a budget split into equal parts be spent exactly.
        guard spent + epsilon <= total * (1 + 1e-12) else {
            throw PrivacyError(.budgetExceeded, parameter: "budget", message: "spending ε = \(epsilon) exceeds the remaining \(remaining) of \(total)")
        }
        spent += epsilon
    }

    /// `parts` equal shares of `epsilon` (for a query that answers several sub-queries).
    public static func split(_ epsilon: Double, into parts: Int) throws(PrivacyError) -> [Double] {
        guard parts >= 1 else { throw PrivacyError(parameter: "parts", message: "expected >= 1, got \(parts)") }
        return Array(repeating: epsilon / Double(parts), count: parts)
    }
}
