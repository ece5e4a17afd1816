public import BulwarkTensor
public import BulwarkModels

/// Robust accuracy at one ε of a sweep.
public struct SweepPoint: Codable, Sendable, Equatable {
    /// ε.
    public var epsilon: Float
    /// Robust accuracy of the primary attack at this ε.
    public var robustAccuracy: Double
    /// A point.
    public init(epsilon: Float, robustAccuracy: Double) {
        self.epsilon = epsilon
        self.robustAccuracy = robustAccuracy
    }
}

/// How healthy the input gradients the attacker sees are.
public struct GradientHealth: Codable, Sendable, Equatable {
    /// Examples whose gradient was inspected.
    public var examples: Int
    /// Fraction whose gradient is exactly zero in every component.
    public var zeroFraction: Double
    /// Fraction whose gradient has a NaN or infinite component.
    public var nonFiniteFraction: Double
    /// Median over examples of the gradient's L2 norm (finite gradients only; 0 if none).
    public var medianNorm: Double

    /// Measured health.
    public init(examples: Int, zeroFraction: Double, nonFiniteFraction: Double, medianNorm: Double) {
        self.examples = examples
        self.zeroFraction = zeroFraction
        self.nonFiniteFraction = nonFiniteFraction
        self.medianNorm = medianNorm
    }

    /// Inspects the cross-entropy input gradient of `model` at `inputs`, row by row, in batches.
    public static func measure(_ model: any DifferentiableClassifier, inputs: Tensor, labels: [Int], batchSize: Int = 128) -> GradientHealth {
        let n = labels.count
        guard n > 0 else { return GradientHealth(examples: 0, zeroFraction: 0, nonFiniteFraction: 0, medianNorm: 0) }
        let d = inputs.count / n
        var zero = 0, nonFinite = 0
        var norms: [Double] = []
        for start in stride(from: 0, to: n, by: batchSize) {
            let range = start..<min(n, start + batchSize)
            let g = model.lossAndInputGradient(inputs.rows(range), labels: Array(labels[range])).gradient.scalars
            for r in 0..<range.count {
                let row = g[(r * d)..<((r + 1) * d)]
                if row.contains(where: { !$0.isFinite }) { nonFinite += 1; continue }
                if row.allSatisfy({ $0 == 0 }) { zero += 1 }
                norms.append(Double(row.reduce(0) { $0 + $1 * $1 }).squareRoot())
            }
        }
        norms.sort()
        let median = norms.isEmpty ? 0 : norms[norms.count / 2]
        return GradientHealth(examples: n, zeroFraction: Double(zero) / Double(n),
                              nonFiniteFraction: Double(nonFinite) / Double(n), medianNorm: median)
    }
}

/// Everything the gradient-masking checklist looks at, for one model, one norm and one ε.
///
/// Outcome arrays are over the same examples in the same order. Optional parts that were not
/// measured make their checks ``CheckStatus/notRun``. `Codable`, so a report can keep the
/// evidence behind every verdict.
public struct MaskingEvidence: Codable, Sendable, Equatable {
    /// Threat-model norm.
    public var norm: PerturbationNorm
    /// ε of the robustness figure being checked.
    public var epsilon: Float
    /// The attack whose robust accuracy is the figure under test (e.g. `"pgd-linf"`).
    public var primaryAttack: String
    /// Outcomes of that attack (the figure under test).
    public var primary: [ExampleOutcome]
    /// A single-step attack (FGSM) at the same ε.
    public var singleStep: [ExampleOutcome]?
    /// The primary attack with random restarts.
    public var restarts: [ExampleOutcome]?
    /// A gradient-free (score-based black-box) attack, e.g. Square.
    public var blackBox: [ExampleOutcome]?
    /// Adversarial examples crafted on a source model, judged on this one.
    public var transfer: [ExampleOutcome]?
    /// The primary attack run with the adaptive (BPDA/EOT) gradient.
    public var adaptive: [ExampleOutcome]?
    /// Primary-attack robust accuracy over an increasing ε sweep (the last point is the large ε).
    public var sweep: [SweepPoint]
    /// Health of the gradient the primary attack used.
    public var gradients: GradientHealth?

    /// Evidence from its parts.
    public init(norm: PerturbationNorm, epsilon: Float, primaryAttack: String, primary: [ExampleOutcome],
                singleStep: [ExampleOutcome]? = nil, restarts: [ExampleOutcome]? = nil, blackBox: [ExampleOutcome]? = nil,
                transfer: [ExampleOutcome]? = nil, adaptive: [ExampleOutcome]? = nil, sweep: [SweepPoint] = [],
                gradients: GradientHealth? = nil) {
        self.norm = norm
        self.epsilon = epsilon
        self.primaryAttack = primaryAttack
        self.primary = primary
        self.singleStep = singleStep
        self.restarts = restarts
        self.blackBox = blackBox
        self.transfer = transfer
        self.adaptive = adaptive
        self.sweep = sweep
        self.gradients = gradients
    }
}
