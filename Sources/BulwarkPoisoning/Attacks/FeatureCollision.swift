public import BulwarkModels
public import BulwarkTensor

/// Feature-collision clean-label poisoning (Shafahi et al. 2018, "Poison Frogs! Targeted
/// Clean-Label Poisoning Attacks on Neural Networks").
///
/// Each poison starts from a *base* image of the target class and is optimised so that its
/// feature representation collides with that of a chosen *victim* (a test image of another
/// class), while staying close to the base in input space:
///
///     minimise  ‖f(x) − f(victim)‖² + β‖x − base‖²
///
/// by the paper's forward–backward splitting: a gradient step on the feature term, then the
/// proximal step of the β term, `x ← (x̂ + λβ·base) / (1 + λβ)`, then clipping to [0, 1]
/// (and, when `epsilon` is given, to the L∞ ball around the base). The step size `λ` starts so
/// that the first step moves a pixel by at most 0.1, and is halved whenever the objective rises.
/// The poison keeps its correct (target-class) label; a model fine-tuned on it learns to put the
/// victim in the target class.
///
/// **Feature space.** The paper collides penultimate-layer features. The
/// ``DifferentiableClassifier`` seam exposes only logits, so `features` is any differentiable
/// map whose "logits" are the features: ``penultimateFeatures(of:)`` cuts the last dense layer
/// off a ``Sequential``; for any other model (an ONNX graph) pass the model itself and the
/// attack collides **logits** instead, a weaker but still working surrogate.
///
/// `rate` is the fraction of the target-class examples used as bases; victims are assigned to
/// the bases in turn. β defaults to the paper's `β₀·(feature dim / input dim)²` with β₀ = 0.25.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let (x, y) = (Tensor.uniform([40, 1, 28, 28], using: &rng), (0..<40).map { $0 % 10 })
/// let model = ZooArchitecture.cnn.makeModel(seed: 0)           // trained on clean data
/// let victim = Tensor.uniform([1, 1, 28, 28], using: &rng)        // a test image of another class
/// let features = FeatureCollision.penultimateFeatures(of: model) ?? model
/// let poisoned = try FeatureCollision.poison(inputs: x, labels: y, features: features, classCount: 10,
///     victims: victim, targetClass: 2, rate: 0.5, steps: 200, seed: 0)
/// ```
public enum FeatureCollision {
    /// `model` without its last layer when that is a dense layer producing the logits; nil otherwise.
    public static func penultimateFeatures(of model: Sequential) -> Sequential? {
        guard model.layers.count >= 2, model.layers.last is Dense else { return nil }
        return try? Sequential(inputShape: model.inputShape, layers: Array(model.layers.dropLast()))
    }

    /// The poisoned set with unchanged labels; ``PoisonedData/objective`` records the mean
    /// squared feature distance between the poisons and their victims before and after.
    /// - Throws: ``PoisoningError`` for inputs or victims not matching `features`, no victim,
    ///   a target outside the classes, a bad rate, steps outside 1…100000, a negative β or an
    ///   `epsilon` outside (0, 1].
    public static func poison(inputs: Tensor, labels: [Int], features: some DifferentiableClassifier, classCount: Int,
                              victims: Tensor, targetClass: Int, rate: Double, steps: Int, beta: Float? = nil,
                              epsilon: Float? = nil, seed: UInt64) throws(PoisoningError) -> PoisonedData {
        try ModelInputs.check(inputs: inputs, model: features)
        try PoisonSelection.check(inputs: inputs, labels: labels, classCount: classCount, rate: rate)
        try PoisonSelection.check(targetClass: targetClass, classCount: classCount)
        try Perturbation.check(epsilon: epsilon ?? 1, steps: steps)
        guard victims.rank >= 1, victims.shape[0] > 0 else { throw PoisoningError(.invalidParameter, "feature collision needs at least one victim (--victims)") }
        guard Array(victims.shape.dropFirst()) == features.inputShape else {
            throw PoisoningError(.shapeMismatch, "victims have shape \(victims.shape), the model expects N×\(features.inputShape.map(String.init).joined(separator: "×"))")
        }
        let inputDim = features.inputShape.reduce(1, *)
        let beta = beta ?? 0.25 * Float(features.classCount * features.classCount) / Float(inputDim * inputDim)
        guard beta >= 0, beta.isFinite else { throw PoisoningError(.invalidParameter, "beta must be a non-negative number, got \(beta)") }

        var rng = SeededGenerator(seed: seed)
        let pool = labels.indices.filter { labels[$0] == targetClass }
        let chosen = try PoisonSelection.choose(rate: rate, from: pool, what: "examples of the target class \(targetClass)", rng: &rng)
        guard !chosen.isEmpty else { return PoisonedData(inputs: inputs, labels: labels, poisonIndices: []) }
        let base = inputs.gatherRows(chosen)
        let victimFeatures = features.logits(victims)
        let width = features.classCount
        var goal = [Float]()
        goal.reserveCapacity(chosen.count * width)
        for k in chosen.indices {
            let v = k % victims.shape[0]
            goal += victimFeatures.scalars[(v * width)..<((v + 1) * width)]
        }
        let goalTensor = Tensor(shape: [chosen.count, width], scalars: goal)

        // J(x) = Σᵢ ‖f(xᵢ) − φᵢ‖² + β‖xᵢ − bᵢ‖²; the gradient is of the feature term only.
        func featureTerm(_ x: Tensor, gradient: Bool) -> (value: Double, gradient: Tensor?) {
            let tape = Tape()
            let v = gradient ? tape.variable(x) : tape.constant(x)
            let d = features.logits(v) - tape.constant(goalTensor)
            let s = (d * d).sum()
            return (Double(s.value.scalar), gradient ? tape.gradients(of: s, wrt: [v])[0] : nil)
        }
        func objective(_ x: Tensor) -> Double {
            var prox = 0.0
            for i in x.scalars.indices { let e = Double(x.scalars[i] - base.scalars[i]); prox += e * e }
            return featureTerm(x, gradient: false).value + Double(beta) * prox
        }

        var x = base
        var current = objective(x)
        var lambda: Float = 0
        let bounds = epsilon
        for _ in 0..<steps {
            guard let g = featureTerm(x, gradient: true).gradient else { break }
            if lambda == 0 {
                let largest = g.scalars.reduce(0) { max($0, abs($1)) }
                guard largest > 0 else { break }
                lambda = 0.1 / largest
            }
            var next = x.scalars
            let shrink = 1 + lambda * beta
            for i in next.indices {
                let forward = next[i] - lambda * g.scalars[i]
                next[i] = (forward + lambda * beta * base.scalars[i]) / shrink
            }
            if let bounds { InputPerturbation.project(&next, center: base.scalars, epsilon: bounds) } else {
                for i in next.indices { next[i] = min(max(next[i], 0), 1) }
            }
            let candidate = Tensor(shape: x.shape, scalars: next)
            let value = objective(candidate)
            if value <= current {
                x = candidate
                current = value
            } else {
                lambda /= 2
                if lambda < 1e-12 { break }
            }
        }
        let count = Double(chosen.count)
        let result = PoisoningObjective(name: "squared feature distance to the victim",
                                        before: featureTerm(base, gradient: false).value / count,
                                        after: featureTerm(x, gradient: false).value / count)
        return PoisonedData(inputs: PoisonSelection.replacingRows(inputs, at: chosen, with: x), labels: labels,
                            poisonIndices: chosen, objective: result)
    }
}
