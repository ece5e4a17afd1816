public import BulwarkModels
public import BulwarkTensor
import Foundation

/// IPGuard (Cao, Jia and Gong 2021, AsiaCCS, "IPGuard: Protecting intellectual property of deep
/// neural networks via fingerprinting the classification boundary"): data points moved close to
/// the owner's classification boundary, labelled by the owner's model.
///
/// From each of `count` training inputs x (drawn with `seed`) with owner label i and a random
/// other class j, signed-gradient steps minimise
/// `ReLU(g_i(x) − g_j(x) + margin) + ReLU(max_{t≠i,j} g_t(x) − g_i(x))` on the owner's logits g,
/// inside an L∞ ball of `epsilon` and [0, 1]: the point ends just across the i/j boundary. A
/// model derived from the owner's shares its boundary and labels these points alike; an
/// independent model does so at a rate measured on reference models.
///
/// ```swift
/// let owner = ZooArchitecture.mlp.makeModel(seed: 0)
/// let points = try IPGuardFingerprint(count: 10).make(owner: owner, data: Tensor.zeros([32, 1, 28, 28]))
/// ```
public struct IPGuardFingerprint: Sendable, Equatable {
    /// Number of fingerprint points.
    public var count: Int
    /// The logit margin k by which the point must cross into class j.
    public var margin: Float
    /// Largest L∞ distance from the starting input.
    public var epsilon: Float
    /// Optimisation steps.
    public var steps: Int
    /// Size of each signed step.
    public var stepSize: Float
    /// Seed of the starting inputs and target classes.
    public var seed: UInt64

    /// A recipe.
    public init(count: Int = 100, margin: Float = 0.5, epsilon: Float = 0.25, steps: Int = 40, stepSize: Float = 0.01, seed: UInt64 = 0) {
        self.count = count
        self.margin = margin
        self.epsilon = epsilon
        self.steps = steps
        self.stepSize = stepSize
        self.seed = seed
    }

    /// The recipe's settings as the key file's `parameters`.
    public var parameters: [String: String] {
        ["count": String(count), "margin": String(margin), "epsilon": String(epsilon), "steps": String(steps), "step_size": String(stepSize)]
    }

    /// Fingerprint points and the owner's labels for them.
    /// - Throws: ``ExtractionError`` for settings outside their ranges or data that does not fit.
    public func make(owner: any DifferentiableClassifier, data: Tensor) throws(ExtractionError) -> (inputs: Tensor, labels: [Int]) {
        try FingerprintChecks.check(count: count, epsilon: epsilon, steps: steps, stepSize: stepSize, owner: owner, data: data)
        var rng = SeededGenerator(seed: seed)
        let start = data.gatherRows(FingerprintChecks.sample(count, from: data.shape[0], rng: &rng))
        let own = owner.predictions(start)
        let classes = owner.classCount
        let other = own.map { i in (i + 1 + Int(rng.next() % UInt64(classes - 1))) % classes }
        let margin = self.margin
        let points = InputPerturbation.signedGradientSteps(inputs: start, epsilon: epsilon, stepSize: stepSize, steps: steps,
                                                           randomStart: false, rng: &rng) { x, rows in
            let tape = Tape()
            let v = tape.variable(x)
            let logits = owner.logits(v)
            var weights = [Float](repeating: 0, count: logits.value.count)
            for (r, row) in rows.enumerated() {
                let (i, j) = (own[row], other[row])
                let g = Array(logits.value.scalars[(r * classes)..<((r + 1) * classes)])
                if g[i] - g[j] + margin > 0 { weights[r * classes + i] += 1; weights[r * classes + j] -= 1 }
                var best = -Float.infinity, bestIndex = -1
                for t in 0..<classes where t != i && t != j && g[t] > best { best = g[t]; bestIndex = t }
                if bestIndex >= 0, best - g[i] > 0 { weights[r * classes + bestIndex] += 1; weights[r * classes + i] -= 1 }
            }
            let gradient = tape.gradients(of: logits, seed: Tensor(shape: logits.value.shape, scalars: weights), wrt: [v])[0]
            return Tensor(shape: gradient.shape, scalars: gradient.scalars.map { -$0 })  // descend on the loss
        }
        return (points, owner.predictions(points))
    }
}

/// Conferrable adversarial examples (Lukas, Zhang and Kerschbaum 2021, ICLR, "Deep neural
/// network fingerprinting by conferrable adversarial examples"): targeted adversarial examples
/// that transfer to surrogates of the owner's model (copies made by distillation or extraction)
/// but not to reference models trained independently.
///
/// From `candidates` × `count` training inputs with random targets t ≠ the owner's label,
/// signed-gradient steps in an L∞ ball of `epsilon` descend on
/// `CE(owner, t) + mean CE(surrogates, t) − mean CE(references, t)`. Each candidate's
/// conferrability is `mean_surrogates P(t) · (1 − mean_references P(t))` (Lukas et al.'s score);
/// the `count` most conferrable that the owner labels t are kept (then the next best), labelled
/// by the owner's model.
public struct ConferrableFingerprint: Sendable, Equatable {
    /// Number of fingerprint examples.
    public var count: Int
    /// Candidates made per example kept.
    public var candidates: Int
    /// L∞ budget.
    public var epsilon: Float
    /// Optimisation steps.
    public var steps: Int
    /// Size of each signed step.
    public var stepSize: Float
    /// Seed of the starting inputs and targets.
    public var seed: UInt64

    /// A recipe.
    public init(count: Int = 100, candidates: Int = 3, epsilon: Float = 0.15, steps: Int = 30, stepSize: Float = 0.01, seed: UInt64 = 0) {
        self.count = count
        self.candidates = candidates
        self.epsilon = epsilon
        self.steps = steps
        self.stepSize = stepSize
        self.seed = seed
    }

    /// The recipe's settings as the key file's `parameters`.
    public var parameters: [String: String] {
        ["count": String(count), "candidates": String(candidates), "epsilon": String(epsilon), "steps": String(steps), "step_size": String(stepSize)]
    }

    /// Fingerprint examples, the owner's labels and each one's conferrability score.
    /// - Throws: ``ExtractionError`` for settings outside their ranges, no surrogate or
    ///   reference, or models and data that do not fit together.
    public func make(owner: any DifferentiableClassifier, surrogates: [any DifferentiableClassifier], references: [any DifferentiableClassifier],
                     data: Tensor) throws(ExtractionError) -> (inputs: Tensor, labels: [Int], scores: [Double]) {
        try FingerprintChecks.check(count: count, epsilon: epsilon, steps: steps, stepSize: stepSize, owner: owner, data: data)
        guard candidates >= 1, candidates <= 100 else { throw ExtractionError(.invalidParameter, "--candidates must be in 1…100, got \(candidates)") }
        guard !surrogates.isEmpty, !references.isEmpty else {
            throw ExtractionError(.invalidParameter, "conferrable examples need at least one surrogate and one reference model")
        }
        for m in surrogates + references where m.inputShape != owner.inputShape || m.classCount != owner.classCount {
            throw ExtractionError(.shapeMismatch, "a surrogate or reference model takes \(m.inputShape) → \(m.classCount), the owner \(owner.inputShape) → \(owner.classCount)")
        }
        var rng = SeededGenerator(seed: seed)
        let n = min(data.shape[0], count * candidates)
        let start = data.gatherRows(FingerprintChecks.sample(n, from: data.shape[0], rng: &rng))
        let classes = owner.classCount
        let targets = owner.predictions(start).map { i in (i + 1 + Int(rng.next() % UInt64(classes - 1))) % classes }
        let (s, r) = (Float(surrogates.count), Float(references.count))
        let examples = InputPerturbation.signedGradientSteps(inputs: start, epsilon: epsilon, stepSize: stepSize, steps: steps,
                                                             rng: &rng) { x, rows in
            let t = Array(targets[rows])
            var total = owner.lossAndInputGradient(x, labels: t).gradient.scalars
            for m in surrogates { for (k, g) in m.lossAndInputGradient(x, labels: t).gradient.scalars.enumerated() { total[k] += g / s } }
            for m in references { for (k, g) in m.lossAndInputGradient(x, labels: t).gradient.scalars.enumerated() { total[k] -= g / r } }
            return Tensor(shape: x.shape, scalars: total.map { -$0 })
        }
        func meanProbability(_ models: [any DifferentiableClassifier]) -> [Double] {
            var out = [Double](repeating: 0, count: n)
            for m in models {
                let p = m.logits(examples).softmax()
                for row in 0..<n { out[row] += Double(p.scalars[row * classes + targets[row]]) / Double(models.count) }
            }
            return out
        }
        let (ps, pr) = (meanProbability(surrogates), meanProbability(references))
        let ownerLabels = owner.predictions(examples)
        let scores = (0..<n).map { ps[$0] * (1 - pr[$0]) }
        let order = (0..<n).sorted {
            let (a, b) = (ownerLabels[$0] == targets[$0], ownerLabels[$1] == targets[$1])
            return a != b ? a : (scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1)
        }
        let kept = Array(order.prefix(count))
        return (examples.gatherRows(kept), kept.map { ownerLabels[$0] }, kept.map { scores[$0] })
    }
}

/// Keys of fingerprints: p0 measured on held-out reference models.
public enum Fingerprint {
    /// The key for fingerprint `points` labelled by the owner, with p0 measured on `references`
    /// — independently trained models **not** used to make the fingerprint — floored at 1/classes.
    public static func key(method: OwnershipMethod, points: (inputs: Tensor, labels: [Int]), classCount: Int, seed: UInt64,
                           references: [any DifferentiableClassifier], parameters: [String: String]) -> OwnershipKey {
        let floor = 1 / Double(classCount)
        let (rates, p0) = ChanceAgreement.measure(references: references, inputs: points.inputs, labels: points.labels, floor: floor)
        return OwnershipKey(method: method, inputs: points.inputs, labels: points.labels, classCount: classCount, seed: seed,
                            chanceAgreement: p0, chanceFloor: floor, referenceAgreements: rates, parameters: parameters)
    }
}

/// Checks shared by the fingerprint recipes.
enum FingerprintChecks {
    static func check(count: Int, epsilon: Float, steps: Int, stepSize: Float, owner: any DifferentiableClassifier, data: Tensor) throws(ExtractionError) {
        guard count >= 1, count <= 100_000 else { throw ExtractionError(.invalidParameter, "--count must be in 1…100000, got \(count)") }
        guard epsilon > 0, epsilon <= 1, epsilon.isFinite else { throw ExtractionError(.invalidParameter, "--eps must be in (0, 1], got \(epsilon)") }
        guard steps >= 1, steps <= 100_000 else { throw ExtractionError(.invalidParameter, "--steps must be in 1…100000, got \(steps)") }
        guard stepSize > 0, stepSize.isFinite else { throw ExtractionError(.invalidParameter, "--step-size must be positive, got \(stepSize)") }
        guard owner.classCount >= 2 else { throw ExtractionError(.invalidParameter, "a fingerprint needs at least 2 classes") }
        guard data.shape.count >= 2, Array(data.shape.dropFirst()) == owner.inputShape, data.shape[0] >= 1 else {
            throw ExtractionError(.shapeMismatch, "fingerprint data of shape \(data.shape) does not fit the model's input \(owner.inputShape)")
        }
    }

    /// `k` distinct row indices of `n` (all of them, shuffled, when k ≥ n).
    static func sample(_ k: Int, from n: Int, rng: inout SeededGenerator) -> [Int] {
        var all = Array(0..<n)
        all.shuffle(using: &rng)
        return Array(all.prefix(k))
    }
}
