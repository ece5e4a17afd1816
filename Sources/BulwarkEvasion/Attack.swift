public import BulwarkTensor
public import BulwarkModels
import Foundation

/// The norm in which a perturbation budget ε is measured.
public enum PerturbationNorm: String, Codable, Sendable, CaseIterable {
    /// Largest absolute change of any input component.
    case linf
    /// Euclidean length of the perturbation.
    case l2
}

/// What an attack may do: norm, ε, clip range, iteration and query budgets, targeting, seed.
public struct AttackConfiguration: Codable, Sendable, Equatable {
    /// The norm of the threat model.
    public var norm: PerturbationNorm
    /// The perturbation budget in `norm` (ignored by minimal-norm attacks such as DeepFool).
    public var epsilon: Float
    /// Lower bound of every input component (default 0).
    public var clipMin: Float
    /// Upper bound of every input component (default 1).
    public var clipMax: Float
    /// Maximum iterations per example (per restart for PGD).
    public var maxIterations: Int
    /// Maximum model queries per example for black-box attacks (`nil`: attack's default).
    public var maxQueries: Int?
    /// Target classes, one per example, for a targeted attack; `nil` for untargeted.
    public var targets: [Int]?
    /// Seed of every random choice the attack makes.
    public var seed: UInt64
    /// Absolute step size in `norm` for the step-based attacks, overriding their default schedule
    /// (`nil`: the paper's). FGSM, BIM and PGD step by it (FGSM's single step is still projected
    /// onto the ε-ball, so a step above ε acts as ε); APGD starts its step-size schedule at it
    /// instead of 2ε. Other attacks ignore it.
    public var stepSize: Float?
    /// One seed per example: when set, every random choice about example `i` (random start,
    /// restarts, Square and HopSkipJump proposals) comes from its own stream seeded by
    /// `exampleSeeds[i]`, so an example's result does not depend on the batch it was run in;
    /// `nil` draws from one stream seeded by ``seed`` in batch order.
    public var exampleSeeds: [UInt64]?

    /// A configuration; defaults: clip range [0, 1], 10 iterations, untargeted, seed 0, the
    /// attack's own step schedule.
    public init(norm: PerturbationNorm = .linf, epsilon: Float, clipMin: Float = 0, clipMax: Float = 1,
                maxIterations: Int = 10, maxQueries: Int? = nil, targets: [Int]? = nil, seed: UInt64 = 0,
                stepSize: Float? = nil) {
        self.norm = norm
        self.epsilon = epsilon
        self.clipMin = clipMin
        self.clipMax = clipMax
        self.maxIterations = maxIterations
        self.maxQueries = maxQueries
        self.targets = targets
        self.seed = seed
        self.stepSize = stepSize
    }
}

/// The model an attack sees: white-box (gradients through the differentiable seam) or
/// black-box (probabilities only, every query counted).
public enum AttackModel: Sendable {
    /// Full access to logits and input gradients.
    case whiteBox(any DifferentiableClassifier)
    /// Query access to probabilities only.
    case blackBox(any QueryClassifier)

    /// The query view of the model (white-box models are wrapped in softmax).
    public var queryView: any QueryClassifier {
        switch self {
        case .whiteBox(let m): return AnyQueryAdapter(model: m)
        case .blackBox(let q): return q
        }
    }
}

/// Softmax view of an existential differentiable classifier.
struct AnyQueryAdapter: QueryClassifier {
    let model: any DifferentiableClassifier
    var inputShape: [Int] { model.inputShape }
    var classCount: Int { model.classCount }
    func probabilities(_ input: Tensor) -> Tensor { model.logits(input).softmax(axis: -1) }
}

/// Facts about one attacked example. Plain numbers, ready to render.
public struct ExampleOutcome: Codable, Sendable, Equatable {
    /// The true label.
    public var label: Int
    /// Prediction on the clean input.
    public var cleanPrediction: Int
    /// Prediction on the adversarial input.
    public var adversarialPrediction: Int
    /// Untargeted: adversarial prediction ≠ label. Targeted: adversarial prediction = target.
    public var success: Bool
    /// Number of input components changed by more than 1e-6.
    public var l0: Int
    /// Euclidean norm of the perturbation.
    public var l2: Float
    /// Largest absolute component of the perturbation.
    public var linf: Float
    /// Model queries spent on this example (forward passes for white-box attacks).
    public var queries: Int
    /// Iterations spent on this example.
    public var iterations: Int
    /// Wall time attributed to this example (batch time divided by batch size), seconds.
    public var seconds: Double

    /// Memberwise initialiser (attacks build these; tests and importers may too).
    public init(label: Int, cleanPrediction: Int, adversarialPrediction: Int, success: Bool, l0: Int, l2: Float,
                linf: Float, queries: Int, iterations: Int, seconds: Double) {
        self.label = label
        self.cleanPrediction = cleanPrediction
        self.adversarialPrediction = adversarialPrediction
        self.success = success
        self.l0 = l0
        self.l2 = l2
        self.linf = linf
        self.queries = queries
        self.iterations = iterations
        self.seconds = seconds
    }
}

/// Adversarial inputs plus one ``ExampleOutcome`` per example.
public struct AttackResult: Sendable {
    /// Adversarial inputs, same shape as the inputs.
    public var adversarial: Tensor
    /// Per-example facts, in input order.
    public var outcomes: [ExampleOutcome]
}

/// One attack interface for white-box and black-box attacks.
///
/// An attack takes inputs (`N × inputShape`), labels, a model and a configuration and returns
/// adversarial inputs that stay inside the clip range and (for bounded attacks) the ε-ball,
/// plus per-example facts. Given the same inputs and configuration (seed included) it returns
/// the same result.
public protocol EvasionAttack: Sendable {
    /// Short stable name, e.g. `"pgd"`.
    var name: String { get }
    /// Whether the attack needs ``AttackModel/whiteBox(_:)``.
    var requiresGradients: Bool { get }
    /// Runs the attack on a batch.
    func run(inputs: Tensor, labels: [Int], model: AttackModel,
             configuration: AttackConfiguration) throws(EvasionError) -> AttackResult
    /// Only the adversarial examples, the same tensor as `run(…).adversarial`, without scoring
    /// them: attacks whose last pass exists only to score the final iterate (FGSM, BIM, PGD)
    /// skip it. For callers that feed the examples on (adversarial training, transfer attacks,
    /// export) and do not need per-example outcomes.
    func generate(inputs: Tensor, labels: [Int], model: AttackModel,
                  configuration: AttackConfiguration) throws(EvasionError) -> Tensor
}

extension EvasionAttack {
    /// `run(…).adversarial`.
    public func generate(inputs: Tensor, labels: [Int], model: AttackModel,
                         configuration: AttackConfiguration) throws(EvasionError) -> Tensor {
        try run(inputs: inputs, labels: labels, model: model, configuration: configuration).adversarial
    }
}

extension EvasionAttack {
    /// Validates shapes and the configuration shared by every attack.
    func validate(inputs: Tensor, labels: [Int], configuration c: AttackConfiguration) throws(EvasionError) {
        guard inputs.shape.first == labels.count else {
            throw EvasionError("\(name): \(labels.count) labels for inputs of shape \(inputs.shape)")
        }
        guard c.epsilon >= 0, c.epsilon.isFinite else { throw EvasionError("\(name): epsilon must be finite and ≥ 0, got \(c.epsilon)") }
        guard c.clipMin < c.clipMax else { throw EvasionError("\(name): clip range [\(c.clipMin), \(c.clipMax)] is empty") }
        guard c.maxIterations >= 0 else { throw EvasionError("\(name): maxIterations must be ≥ 0") }
        if let step = c.stepSize, !(step > 0 && step.isFinite) {
            throw EvasionError("\(name): stepSize must be positive and finite, got \(step)")
        }
        if let t = c.targets, t.count != labels.count {
            throw EvasionError("\(name): \(t.count) targets for \(labels.count) examples")
        }
        if let s = c.exampleSeeds, s.count != labels.count {
            throw EvasionError("\(name): \(s.count) example seeds for \(labels.count) examples")
        }
    }

    /// Validates a query-based attack's call like ``validate(inputs:labels:configuration:)``, then
    /// its per-example query budget (`maxQueries`, else `defaultQueries`; at least 1), and returns
    /// the budget with the batch's layout: example count, values per example and example shape.
    func validateQueryAttack(inputs: Tensor, labels: [Int], configuration c: AttackConfiguration, defaultQueries: Int)
        throws(EvasionError) -> (budget: Int, count: Int, width: Int, rowShape: [Int]) {
        try validate(inputs: inputs, labels: labels, configuration: c)
        let budget = c.maxQueries ?? defaultQueries
        guard budget >= 1 else { throw EvasionError("\(name): maxQueries must be ≥ 1") }
        let n = labels.count
        return (budget, n, n == 0 ? 0 : inputs.count / n, Array(inputs.shape.dropFirst()))
    }

    /// The differentiable model, or an error naming the attack.
    func differentiable(_ model: AttackModel) throws(EvasionError) -> any DifferentiableClassifier {
        guard case .whiteBox(let m) = model else {
            throw EvasionError("\(name) is a white-box attack and needs a differentiable classifier")
        }
        return m
    }
}

/// Builds outcomes from clean and adversarial batches.
func makeOutcomes(clean: Tensor, adversarial: Tensor, labels: [Int], cleanPredictions: [Int],
                  adversarialPredictions: [Int], targets: [Int]?, queries: [Int], iterations: [Int],
                  seconds: Double) -> [ExampleOutcome] {
    let n = labels.count
    let d = n == 0 ? 0 : clean.count / n
    let perExample = n == 0 ? 0 : seconds / Double(n)
    var out: [ExampleOutcome] = []
    out.reserveCapacity(n)
    clean.scalars.withUnsafeBufferPointer { a in
        adversarial.scalars.withUnsafeBufferPointer { b in
            for i in 0..<n {
                var l0 = 0, l2: Float = 0, li: Float = 0
                for j in (i * d)..<((i + 1) * d) {
                    let delta = b[j] - a[j]
                    if abs(delta) > 1e-6 { l0 += 1 }
                    l2 += delta * delta
                    li = max(li, abs(delta))
                }
                let pred = adversarialPredictions[i]
                let success = targets.map { pred == $0[i] } ?? (pred != labels[i])
                out.append(ExampleOutcome(label: labels[i], cleanPrediction: cleanPredictions[i],
                                          adversarialPrediction: pred, success: success, l0: l0, l2: l2.squareRoot(),
                                          linf: li, queries: queries[i], iterations: iterations[i], seconds: perExample))
            }
        }
    }
    return out
}

/// Whether `prediction` counts as a success for example `i`.
@inline(__always)
func isSuccess(_ prediction: Int, _ i: Int, labels: [Int], targets: [Int]?) -> Bool {
    if let t = targets { return prediction == t[i] }
    return prediction != labels[i]
}

/// Monotonic seconds since an arbitrary origin.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// A concrete ``QueryClassifier`` around an existential one, so generic wrappers such as
/// ``CountingQueryClassifier`` can hold it.
struct OpenedQueryClassifier: QueryClassifier {
    let base: any QueryClassifier
    var inputShape: [Int] { base.inputShape }
    var classCount: Int { base.classCount }
    func probabilities(_ input: Tensor) -> Tensor { base.probabilities(input) }
}
