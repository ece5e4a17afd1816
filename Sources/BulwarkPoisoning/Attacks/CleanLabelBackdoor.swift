public import BulwarkModels
public import BulwarkTensor

/// Clean-label backdoor (Turner, Tsipras & Madry 2019, "Label-Consistent Backdoor Attacks"):
/// poison only examples that already belong to the target class, so every label stays correct
/// and a human audit of labels finds nothing.
///
/// The chosen target-class examples are first made *hard* — an untargeted L∞ PGD perturbation
/// of radius `epsilon` against `model` (trained on clean data) pushes them away from their
/// class, so a model trained on them cannot rely on their natural features — and then stamped
/// with the trigger, which becomes the easiest feature to learn for the target class.
///
/// `rate` is the fraction of the **target-class** examples poisoned. Labels are returned
/// unchanged. The paper's reduced-amplitude trigger is not applied; pass a dimmer pattern to get it.
///
/// ```swift
/// var rng = SeededGenerator(seed: 0)
/// let (x, y) = (Tensor.uniform([40, 1, 28, 28], using: &rng), (0..<40).map { $0 % 10 })
/// let cleanModel = ZooArchitecture.mlp.makeModel(seed: 0)      // train it on clean data first
/// let poisoned = try CleanLabelBackdoor.poison(inputs: x, labels: y, model: cleanModel,
///     trigger: .whiteSquare(size: 3), targetClass: 0, rate: 0.5, epsilon: 16.0 / 255, steps: 10, seed: 3)
/// ```
public enum CleanLabelBackdoor {
    /// The poisoned set with unchanged labels; ``PoisonedData/objective`` records the model's
    /// cross-entropy on the true labels of the poisons before and after the perturbation
    /// (before the trigger is stamped), which the attack raises.
    /// - Throws: ``PoisoningError`` for inputs not matching the model, a trigger that does not
    ///   fit, a target outside the classes, a bad rate, `epsilon` outside (0, 1] or `steps`
    ///   outside 1…100000.
    public static func poison(inputs: Tensor, labels: [Int], model: some DifferentiableClassifier, trigger: Trigger, targetClass: Int,
                              rate: Double, epsilon: Float, steps: Int, stepSize: Float? = nil, seed: UInt64) throws(PoisoningError) -> PoisonedData {
        try ModelInputs.check(inputs: inputs, model: model)
        try PoisonSelection.check(inputs: inputs, labels: labels, classCount: model.classCount, rate: rate)
        try PoisonSelection.check(targetClass: targetClass, classCount: model.classCount)
        try Perturbation.check(epsilon: epsilon, steps: steps)
        guard inputs.rank == 4 else {
            throw PoisoningError(.shapeMismatch, "a trigger stamps images N×C×H×W, got inputs of shape \(inputs.shape)")
        }
        _ = try trigger.resolved(channels: inputs.shape[1], height: inputs.shape[2], width: inputs.shape[3])
        var rng = SeededGenerator(seed: seed)
        let pool = labels.indices.filter { labels[$0] == targetClass }
        let chosen = try PoisonSelection.choose(rate: rate, from: pool, what: "examples of the target class \(targetClass)", rng: &rng)
        guard !chosen.isEmpty else { return PoisonedData(inputs: inputs, labels: labels, poisonIndices: [], trigger: trigger) }
        let base = inputs.gatherRows(chosen)
        let y = chosen.map { labels[$0] }
        let hard = InputPerturbation.projectedGradientAscent(model: model, inputs: base, labels: y, epsilon: epsilon,
                                                        stepSize: stepSize ?? max(epsilon / 4, 1e-4), steps: steps, rng: &rng)
        let objective = PoisoningObjective(name: "cross-entropy on the true label (raised)",
                                           before: ModelInputs.meanLoss(model, base, y), after: ModelInputs.meanLoss(model, hard, y))
        let stamped = try trigger.apply(to: hard)
        return PoisonedData(inputs: PoisonSelection.replacingRows(inputs, at: chosen, with: stamped), labels: labels,
                            poisonIndices: chosen, trigger: trigger, objective: objective)
    }
}

/// Checks between inputs and a model shared by the attacks that need one.
package enum ModelInputs {
    /// Throws unless `inputs` is `N × model.inputShape`.
    package static func check(inputs: Tensor, model: some DifferentiableClassifier) throws(PoisoningError) {
        guard Array(inputs.shape.dropFirst()) == model.inputShape else {
            throw PoisoningError(.shapeMismatch, "examples are \(inputs.shape.dropFirst().map(String.init).joined(separator: "×")), the model expects \(model.inputShape.map(String.init).joined(separator: "×"))")
        }
    }

    /// Mean cross-entropy of `model` on `inputs` with `labels`, in batches.
    package static func meanLoss(_ model: some DifferentiableClassifier, _ inputs: Tensor, _ labels: [Int], batchSize: Int = 256) -> Double {
        let n = labels.count
        guard n > 0 else { return 0 }
        var total = 0.0
        for start in stride(from: 0, to: n, by: batchSize) {
            let range = start..<min(n, start + batchSize)
            let tape = Tape()
            let loss = softmaxCrossEntropy(logits: model.logits(tape.constant(inputs.rows(range))), labels: Array(labels[range]))
            total += Double(loss.value.scalar) * Double(range.count)
        }
        return total / Double(n)
    }
}
