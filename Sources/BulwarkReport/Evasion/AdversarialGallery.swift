public import BulwarkEvasion
public import BulwarkModels
public import BulwarkTensor
import Foundation

/// A grid of original / adversarial / amplified-difference images with the model's predictions,
/// for image-shaped inputs (`1×H×W` or `H×W`, grayscale).
///
/// The adversarial images are made by running the attack again, with the given seed, on the
/// correctly classified examples among the first `4 × count`; the grid shows the flipped ones
/// first and its title says how many flipped. The labels under each image are the model's
/// predictions on exactly that image. The difference image shows `0.5 + δ · k` (grey = unchanged, light =
/// brighter, dark = darker) with `k = 0.5 / max|δ|`, so even a tiny perturbation is visible.
public enum AdversarialGallery {
    /// Whether inputs of this per-example shape can be drawn as grayscale images; returns (height, width).
    public static func imageSize(_ inputShape: [Int]) -> (height: Int, width: Int)? {
        switch inputShape.count {
        case 2 where inputShape[0] > 1 && inputShape[1] > 1: return (inputShape[0], inputShape[1])
        case 3 where inputShape[0] == 1 && inputShape[1] > 1 && inputShape[2] > 1: return (inputShape[1], inputShape[2])
        default: return nil
        }
    }

    /// The attack and ε a gallery should show: the attack with the lowest robust accuracy at the
    /// middle ε of the evaluation (ties go to the one listed last, usually the iterative one).
    public static func pick(_ result: EvaluationResult) -> (spec: AttackSpec, epsilon: Float)? {
        let eps = result.epsilons.sorted()
        guard !eps.isEmpty else { return nil }
        let middle = eps[(eps.count - 1) / 2]
        let cells = result.attacks.filter { $0.epsilon == middle }
        guard let best = cells.reversed().min(by: { $0.metrics.robustAccuracy < $1.metrics.robustAccuracy }) else { return nil }
        return (best.spec, middle)
    }

    /// Builds the grid, or `nil` when inputs are not image-shaped or no example is classified correctly.
    /// - Parameters:
    ///   - count: rows (examples) at most; candidates are the first `4 × count` examples.
    ///   - classNames: names by label; numbers are shown when `nil` or too short.
    /// - Throws: ``EvasionError`` from the attack.
    public static func make(model: any DifferentiableClassifier, inputs: Tensor, labels: [Int], spec: AttackSpec, epsilon: Float,
                            clipMin: Float = 0, clipMax: Float = 1, count: Int = 8, seed: UInt64 = 0,
                            classNames: [String]? = nil) throws(EvasionError) -> ImageGrid? {
        guard let (h, w) = imageSize(model.inputShape), count > 0, inputs.shape.first == labels.count, !labels.isEmpty else { return nil }
        let candidates = min(labels.count, 4 * count)
        let predictions = model.predictions(inputs.rows(0..<candidates))
        let correct = (0..<candidates).filter { predictions[$0] == labels[$0] }
        guard !correct.isEmpty else { return nil }
        let config = AttackConfiguration(norm: spec.norm, epsilon: epsilon, clipMin: clipMin, clipMax: clipMax,
                                         maxIterations: spec.maxIterations, maxQueries: spec.maxQueries, seed: seed)
        let attacked = try spec.makeAttack().run(inputs: inputs.gatherRows(correct), labels: correct.map { labels[$0] },
                                                 model: .whiteBox(model), configuration: config)
        let allPredictions = model.predictions(attacked.adversarial)
        let flippedAll = (0..<correct.count).filter { allPredictions[$0] != labels[correct[$0]] }
        // flipped examples first (in data order), then survivors, so the grid shows what the attack does
        let order = Array((flippedAll + (0..<correct.count).filter { !flippedAll.contains($0) }).prefix(count))
        let chosen = order.map { correct[$0] }
        let x = inputs.gatherRows(chosen)
        let y = chosen.map { labels[$0] }
        let adversarialPredictions = order.map { allPredictions[$0] }
        let d = h * w
        let clean = x.scalars, adversarial = attacked.adversarial.gatherRows(order).scalars
        func name(_ label: Int) -> String {
            if let classNames, label >= 0, label < classNames.count { return classNames[label] }
            return String(label)
        }
        var rows: [ImageGrid.Row] = []
        for (k, index) in chosen.enumerated() {
            let original = Array(clean[(k * d)..<((k + 1) * d)])
            let changed = Array(adversarial[(k * d)..<((k + 1) * d)])
            let delta = zip(changed, original).map { $0 - $1 }
            let largest = delta.map(abs).max() ?? 0
            let gain = largest > 0 ? 0.5 / largest : 0
            let flipped = adversarialPredictions[k] != y[k]
            rows.append(.init(images: [
                GrayImage(width: w, height: h, values: original, low: clipMin, high: clipMax,
                          caption: "#\(index) \(name(y[k])) → \(name(predictions[index]))"),
                GrayImage(width: w, height: h, values: changed, low: clipMin, high: clipMax,
                          caption: flipped ? "→ \(name(adversarialPredictions[k]))" : "→ \(name(adversarialPredictions[k])) (attack failed)"),
                GrayImage(width: w, height: h, values: delta.map { 0.5 + $0 * gain }, low: 0, high: 1,
                          caption: largest > 0 ? String(format: "|δ|∞ %.3f, ×%.0f", largest, gain * 2) : "no change"),
            ]))
        }
        return ImageGrid(title: "\(EvasionFindings.techniqueName(spec)) at ε = \(EvasionFindings.number(Double(epsilon))): "
                             + "\(flippedAll.count) of the \(correct.count) correctly classified examples among the first \(candidates) flipped; "
                             + "\(chosen.count) shown, flipped ones first (true label → prediction)",
                         columns: ["original", "adversarial", "difference (amplified)"], rows: rows)
    }
}
