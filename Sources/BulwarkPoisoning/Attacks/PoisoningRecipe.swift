public import BulwarkModels
public import BulwarkTensor
import Foundation

/// The poisoning attacks by name, as `bulwark poison --attack` spells them.
public enum PoisoningAttackKind: String, CaseIterable, Sendable, Codable {
    /// ``LabelFlipping``: random, or targeted with a source class.
    case labelFlip = "label-flip"
    /// ``BackdoorPoisoning`` with a patch trigger (Gu et al. 2017).
    case badnets
    /// ``BackdoorPoisoning`` with a blend trigger (Chen et al. 2017).
    case blend
    /// ``CleanLabelBackdoor`` (Turner et al. 2019); needs a model.
    case cleanLabel = "clean-label"
    /// ``FeatureCollision`` (Shafahi et al. 2018); needs a model and victims.
    case featureCollision = "feature-collision"
    /// ``GradientMatching`` (Geiping et al. 2021); needs a trainable model and victims.
    case gradientMatching = "gradient-matching"

    /// Whether the attack needs a model trained on clean data.
    public var needsModel: Bool {
        switch self {
        case .labelFlip, .badnets, .blend: false
        case .cleanLabel, .featureCollision, .gradientMatching: true
        }
    }

    /// Whether the attack needs victim inputs.
    public var needsVictims: Bool { self == .featureCollision || self == .gradientMatching }

    /// Whether the attack stamps a trigger.
    public var usesTrigger: Bool { self == .badnets || self == .blend || self == .cleanLabel }
}

/// Every parameter of one poisoning run, and the one call that runs it: what `bulwark poison`
/// builds from its flags.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let (x, y) = (Tensor.uniform([40, 1, 28, 28], using: &rng), (0..<40).map { $0 % 10 })
/// let recipe = PoisoningRecipe(attack: .badnets, targetClass: 0, rate: 0.1, seed: 1, trigger: .whiteSquare(size: 3))
/// let result = try recipe.run(inputs: x, labels: y, classCount: 10)
/// print(result.summary.poisonedCount)
/// ```
public struct PoisoningRecipe: Sendable {
    /// The attack.
    public var attack: PoisoningAttackKind
    /// The class the attacker wants (for random label flipping: unused).
    public var targetClass: Int
    /// The fraction of the eligible pool poisoned (see each attack for its pool).
    public var rate: Double
    /// The seed of every random choice.
    public var seed: UInt64
    /// The trigger of badnets, blend and clean-label.
    public var trigger: Trigger?
    /// Targeted label flipping: the class whose labels are flipped to ``targetClass`` (nil: random flipping).
    public var sourceClass: Int?
    /// L∞ budget of the perturbing attacks (clean-label, gradient matching; feature collision when set).
    public var epsilon: Float?
    /// Optimisation steps of the perturbing attacks.
    public var steps: Int
    /// Gradient matching: random restarts.
    public var restarts: Int
    /// Feature collision: the weight β of ‖x − base‖² (nil: the paper's scaling).
    public var beta: Float?
    /// Victim inputs of feature collision and gradient matching.
    public var victims: Tensor?

    /// A recipe; unset options take the attack's defaults (ε 16/255 where it needs one, 40 steps, 1 restart).
    public init(attack: PoisoningAttackKind, targetClass: Int, rate: Double, seed: UInt64, trigger: Trigger? = nil,
                sourceClass: Int? = nil, epsilon: Float? = nil, steps: Int = 40, restarts: Int = 1, beta: Float? = nil, victims: Tensor? = nil) {
        self.attack = attack
        self.targetClass = targetClass
        self.rate = rate
        self.seed = seed
        self.trigger = trigger
        self.sourceClass = sourceClass
        self.epsilon = epsilon
        self.steps = steps
        self.restarts = restarts
        self.beta = beta
        self.victims = victims
    }

    /// Runs the attack on a training set. `classCount` is the number of classes (a model's, when
    /// one is given). `model` is required by clean-label, feature collision (its penultimate
    /// features when it is a ``Sequential``, else its logits) and gradient matching (a
    /// ``TrainableModel``).
    /// - Throws: ``PoisoningError`` naming the missing or invalid parameter, or the attack's own errors.
    public func run(inputs: Tensor, labels: [Int], classCount: Int, model: (any DifferentiableClassifier)? = nil) throws(PoisoningError) -> PoisoningRun {
        let start = Date()
        let data = try poison(inputs: inputs, labels: labels, classCount: classCount, model: model)
        let seconds = Date().timeIntervalSince(start)
        return PoisoningRun(data: data, summary: PoisoningSummary(recipe: self, clean: (inputs, labels), poisoned: data, seconds: seconds,
                                                                 featureSpace: featureSpace(model)))
    }

    private func featureSpace(_ model: (any DifferentiableClassifier)?) -> String? {
        guard attack == .featureCollision, let model else { return nil }
        if let s = model as? Sequential, FeatureCollision.penultimateFeatures(of: s) != nil { return "penultimate" }
        return "logits"
    }

    private func requireTrigger() throws(PoisoningError) -> Trigger {
        guard let trigger else { throw PoisoningError(.invalidParameter, "--attack \(attack.rawValue) needs a trigger") }
        return trigger
    }

    private func requireVictims() throws(PoisoningError) -> Tensor {
        guard let victims else { throw PoisoningError(.invalidParameter, "--attack \(attack.rawValue) needs victims (--victims)") }
        return victims
    }

    private func poison(inputs: Tensor, labels: [Int], classCount: Int, model: (any DifferentiableClassifier)?) throws(PoisoningError) -> PoisonedData {
        if attack.needsModel {
            guard let model else { throw PoisoningError(.invalidParameter, "--attack \(attack.rawValue) needs --model (a model trained on clean data)") }
            guard model.classCount == classCount else {
                throw PoisoningError(.shapeMismatch, "the model has \(model.classCount) classes, the labels \(classCount)")
            }
        }
        switch attack {
        case .labelFlip:
            if let sourceClass {
                return try LabelFlipping.targeted(inputs: inputs, labels: labels, classCount: classCount,
                                                  pairs: [(source: sourceClass, target: targetClass)], rate: rate, seed: seed)
            }
            return try LabelFlipping.random(inputs: inputs, labels: labels, classCount: classCount, rate: rate, seed: seed)
        case .badnets, .blend:
            return try BackdoorPoisoning.poison(inputs: inputs, labels: labels, classCount: classCount, trigger: try requireTrigger(),
                                                targetClass: targetClass, rate: rate, seed: seed)
        case .cleanLabel:
            guard let model else { return try poisonMissingModel() }
            return try CleanLabelBackdoor.poison(inputs: inputs, labels: labels, model: model, trigger: try requireTrigger(),
                                                 targetClass: targetClass, rate: rate, epsilon: epsilon ?? 16.0 / 255, steps: steps, seed: seed)
        case .featureCollision:
            guard let model else { return try poisonMissingModel() }
            let victims = try requireVictims()
            if let sequential = model as? Sequential, let features = FeatureCollision.penultimateFeatures(of: sequential) {
                return try FeatureCollision.poison(inputs: inputs, labels: labels, features: features, classCount: classCount, victims: victims,
                                                   targetClass: targetClass, rate: rate, steps: steps, beta: beta, epsilon: epsilon, seed: seed)
            }
            return try FeatureCollision.poison(inputs: inputs, labels: labels, features: model, classCount: classCount, victims: victims,
                                               targetClass: targetClass, rate: rate, steps: steps, beta: beta, epsilon: epsilon, seed: seed)
        case .gradientMatching:
            guard let model else { return try poisonMissingModel() }
            guard let trainable = model as? any TrainableModel else {
                throw PoisoningError(.invalidParameter, "--attack gradient-matching needs a model whose parameters Bulwark can differentiate (a .safetensors zoo model or an ONNX model it can train)")
            }
            return try GradientMatching.poison(inputs: inputs, labels: labels, model: trainable, victims: try requireVictims(),
                                               targetClass: targetClass, rate: rate, epsilon: epsilon ?? 16.0 / 255, steps: steps,
                                               restarts: restarts, seed: seed)
        }
    }

    private func poisonMissingModel() throws(PoisoningError) -> PoisonedData {
        throw PoisoningError(.invalidParameter, "--attack \(attack.rawValue) needs --model (a model trained on clean data)")
    }
}

/// A poisoning run: the poisoned data and its summary.
public struct PoisoningRun: Sendable {
    /// The poisoned training set and its ground truth.
    public var data: PoisonedData
    /// What was done, for `--json` and reports.
    public var summary: PoisoningSummary
}

/// A `Codable` account of one poisoning run: the parameters as given, what changed, and the
/// attack's objective before and after.
public struct PoisoningSummary: Sendable, Codable, Equatable {
    /// The attack's name (`badnets`, …).
    public var attack: String
    /// The target class (nil for random label flipping).
    public var targetClass: Int?
    /// Targeted label flipping's source class.
    public var sourceClass: Int?
    /// The rate as given.
    public var rate: Double
    /// The seed as given.
    public var seed: UInt64
    /// Examples in the training set.
    public var examples: Int
    /// Rows poisoned.
    public var poisonedCount: Int
    /// Rows whose label changed.
    public var labelsChanged: Int
    /// Largest L∞ distance between a poisoned input and its clean original.
    public var maxLinf: Double
    /// Mean L∞ distance over the poisoned rows.
    public var meanLinf: Double
    /// The trigger's kind (`patch`, `blend`), when there is one.
    public var trigger: String?
    /// The L∞ budget, when the attack used one.
    public var epsilon: Float?
    /// Optimisation steps, when the attack optimises.
    public var steps: Int?
    /// Feature collision: the space collided in (`penultimate` or `logits`).
    public var featureSpace: String?
    /// The objective before and after, for the optimising attacks.
    public var objective: PoisoningObjective?
    /// Wall time of the attack in seconds.
    public var seconds: Double

    init(recipe: PoisoningRecipe, clean: (inputs: Tensor, labels: [Int]), poisoned: PoisonedData, seconds: Double, featureSpace: String?) {
        attack = recipe.attack.rawValue
        targetClass = recipe.attack == .labelFlip && recipe.sourceClass == nil ? nil : recipe.targetClass
        sourceClass = recipe.attack == .labelFlip ? recipe.sourceClass : nil
        rate = recipe.rate
        seed = recipe.seed
        examples = clean.labels.count
        poisonedCount = poisoned.poisonIndices.count
        labelsChanged = zip(clean.labels, poisoned.labels).filter { $0 != $1 }.count
        let inner = clean.inputs.shape.dropFirst().reduce(1, *)
        var largest = 0.0, total = 0.0
        for i in poisoned.poisonIndices {
            var d: Float = 0
            for j in (i * inner)..<((i + 1) * inner) { d = max(d, abs(poisoned.inputs.scalars[j] - clean.inputs.scalars[j])) }
            largest = max(largest, Double(d))
            total += Double(d)
        }
        maxLinf = largest
        meanLinf = poisoned.poisonIndices.isEmpty ? 0 : total / Double(poisoned.poisonIndices.count)
        trigger = poisoned.trigger?.kind
        let perturbs = recipe.attack == .cleanLabel || recipe.attack == .gradientMatching
        epsilon = perturbs ? recipe.epsilon ?? 16.0 / 255 : (recipe.attack == .featureCollision ? recipe.epsilon : nil)
        steps = recipe.attack.needsModel ? recipe.steps : nil
        self.featureSpace = featureSpace
        objective = poisoned.objective
        self.seconds = seconds
    }
}
