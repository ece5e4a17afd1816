/// Summary statistics of one attack at one ε, computed from per-example outcomes.
///
/// Conventions: *robust accuracy* is the fraction of **all** examples that are correctly
/// classified and where the attack failed (an example misclassified when clean counts as not
/// robust). *Attack success rate* is computed over the examples correctly classified when clean
/// only: successes among them / their count (0 when there are none). Perturbation statistics
/// are over successful adversarial examples among those initially correct.
public struct AttackMetrics: Codable, Sendable, Equatable {
    /// Number of examples attacked.
    public var examples: Int
    /// Fraction correctly classified before the attack.
    public var cleanAccuracy: Double
    /// Fraction correctly classified and not successfully attacked.
    public var robustAccuracy: Double
    /// Successes / initially-correct examples.
    public var attackSuccessRate: Double
    /// Mean and median perturbation norms over successful, initially-correct examples.
    public var meanL0: Double, medianL0: Double
    /// Mean and median L2 norm of the perturbation.
    public var meanL2: Double, medianL2: Double
    /// Mean and median L∞ norm of the perturbation.
    public var meanLinf: Double, medianLinf: Double
    /// Mean queries (forward passes) per example.
    public var meanQueries: Double
    /// Mean iterations per example.
    public var meanIterations: Double
    /// Mean wall seconds per example.
    public var secondsPerExample: Double

    /// Computes the metrics of `outcomes` (untargeted success = prediction ≠ label, as recorded).
    public init(outcomes: [ExampleOutcome]) {
        let n = outcomes.count
        examples = n
        let correct = outcomes.filter { $0.cleanPrediction == $0.label }
        let broken = correct.filter { $0.success }
        cleanAccuracy = n == 0 ? 0 : Double(correct.count) / Double(n)
        robustAccuracy = n == 0 ? 0 : Double(correct.count - broken.count) / Double(n)
        attackSuccessRate = correct.isEmpty ? 0 : Double(broken.count) / Double(correct.count)
        (meanL0, medianL0) = Self.meanMedian(broken.map { Double($0.l0) })
        (meanL2, medianL2) = Self.meanMedian(broken.map { Double($0.l2) })
        (meanLinf, medianLinf) = Self.meanMedian(broken.map { Double($0.linf) })
        meanQueries = n == 0 ? 0 : Double(outcomes.reduce(0) { $0 + $1.queries }) / Double(n)
        meanIterations = n == 0 ? 0 : Double(outcomes.reduce(0) { $0 + $1.iterations }) / Double(n)
        secondsPerExample = n == 0 ? 0 : outcomes.reduce(0) { $0 + $1.seconds } / Double(n)
    }

    /// Mean and median (average of the two middle values for an even count); 0 for none.
    static func meanMedian(_ v: [Double]) -> (Double, Double) {
        guard !v.isEmpty else { return (0, 0) }
        let s = v.sorted()
        let mid = s.count / 2
        let median = s.count % 2 == 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
        return (s.reduce(0, +) / Double(s.count), median)
    }
}

/// Per-example worst case over several attacks (as AutoAttack reports it): an example is robust
/// only if it is correctly classified clean and **no** attack succeeded on it.
///
/// - Parameter outcomeSets: one outcome array per attack, all over the same examples in order.
/// - Returns: the ensemble robust accuracy (0 for no examples). Never larger than any single
///   attack's robust accuracy.
public func ensembleRobustAccuracy(_ outcomeSets: [[ExampleOutcome]]) -> Double {
    guard let first = outcomeSets.first, !first.isEmpty else { return 0 }
    var robust = 0
    for i in first.indices {
        let correct = first[i].cleanPrediction == first[i].label
        if correct && !outcomeSets.contains(where: { i < $0.count && $0[i].success }) { robust += 1 }
    }
    return Double(robust) / Double(first.count)
}
