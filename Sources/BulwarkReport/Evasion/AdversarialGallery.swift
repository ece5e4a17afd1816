public import BulwarkEvasion
public import BulwarkTensor
import Foundation

/// A grid of original / adversarial / amplified-difference images with the model's predictions,
/// for image-shaped inputs (`1×H×W` or `H×W`, grayscale).
///
/// The adversarial images are the ones the evaluation itself made and measured
/// (``AttackEvaluation/adversarialExamples``, kept for the first examples when the evaluation's
/// ``Evaluation/keptExamples`` is set); no attack is run again. The grid shows the correctly
/// classified examples among the first `4 × count`, the flipped ones first, and its title says how
/// many flipped. The labels under each image are the evaluation's predictions on exactly that
/// image. The difference image shows `0.5 + δ · k` (grey = unchanged, light = brighter, dark =
/// darker) with `k = 0.5 / max|δ|`, so even a tiny perturbation is visible.
public enum AdversarialGallery {
    /// Whether inputs of this per-example shape can be drawn as grayscale images; returns (height, width).
    public static func imageSize(_ inputShape: [Int]) -> (height: Int, width: Int)? {
        switch inputShape.count {
        case 2 where inputShape[0] > 1 && inputShape[1] > 1: return (inputShape[0], inputShape[1])
        case 3 where inputShape[0] == 1 && inputShape[1] > 1 && inputShape[2] > 1: return (inputShape[1], inputShape[2])
        default: return nil
        }
    }

    /// Examples an evaluation should keep (``Evaluation/keptExamples``) for a grid of `count` rows.
    public static func examplesToKeep(count: Int) -> Int { 4 * max(0, count) }

    /// The cell a gallery should show: the attack with the lowest robust accuracy at the middle
    /// ε of the evaluation (ties go to the one listed last, usually the iterative one).
    public static func pick(_ result: EvaluationResult) -> AttackEvaluation? {
        let eps = result.epsilons.sorted()
        guard !eps.isEmpty else { return nil }
        let middle = eps[(eps.count - 1) / 2]
        let cells = result.attacks.filter { $0.epsilon == middle }
        return cells.reversed().min(by: { $0.metrics.robustAccuracy < $1.metrics.robustAccuracy })
    }

    /// Builds the grid from `cell`'s kept adversarial examples, or `nil` when inputs are not
    /// image-shaped, the cell kept no examples, or none of them is classified correctly.
    /// - Parameters:
    ///   - inputs: the evaluated inputs (the first rows are the originals of the kept examples).
    ///   - labels: their true labels.
    ///   - inputShape: the model's per-example input shape.
    ///   - count: rows (examples) at most; candidates are the first `4 × count` kept examples.
    ///   - classNames: names by label; numbers are shown when `nil` or too short.
    public static func make(cell: AttackEvaluation, inputs: Tensor, labels: [Int], inputShape: [Int],
                            clipMin: Float = 0, clipMax: Float = 1, count: Int = 8, classNames: [String]? = nil) -> ImageGrid? {
        guard let (h, w) = imageSize(inputShape), count > 0, let adversarialRows = cell.adversarialExamples,
              let kept = adversarialRows.shape.first, kept > 0, inputs.shape.first == labels.count else { return nil }
        let d = h * w
        let candidates = min(kept, 4 * count, labels.count, cell.outcomes.count)
        guard adversarialRows.count == kept * d, inputs.count == labels.count * d else { return nil }
        let outcomes = Array(cell.outcomes.prefix(candidates))
        let correct = (0..<candidates).filter { outcomes[$0].cleanPrediction == labels[$0] }
        guard !correct.isEmpty else { return nil }
        let flippedAll = correct.filter { outcomes[$0].adversarialPrediction != labels[$0] }
        // flipped examples first (in data order), then survivors, so the grid shows what the attack does
        let chosen = Array((flippedAll + correct.filter { !flippedAll.contains($0) }).prefix(count))
        let clean = inputs.scalars, adversarial = adversarialRows.scalars
        func name(_ label: Int) -> String {
            if let classNames, label >= 0, label < classNames.count { return classNames[label] }
            return String(label)
        }
        var rows: [ImageGrid.Row] = []
        for index in chosen {
            let original = Array(clean[(index * d)..<((index + 1) * d)])
            let changed = Array(adversarial[(index * d)..<((index + 1) * d)])
            let delta = zip(changed, original).map { $0 - $1 }
            let largest = delta.map(abs).max() ?? 0
            let gain = largest > 0 ? 0.5 / largest : 0
            let predicted = outcomes[index].adversarialPrediction
            let flipped = predicted != labels[index]
            rows.append(.init(images: [
                GrayImage(width: w, height: h, values: original, low: clipMin, high: clipMax,
                          caption: "#\(index) \(name(labels[index])) → \(name(outcomes[index].cleanPrediction))"),
                GrayImage(width: w, height: h, values: changed, low: clipMin, high: clipMax,
                          caption: flipped ? "→ \(name(predicted))" : "→ \(name(predicted)) (attack failed)"),
                GrayImage(width: w, height: h, values: delta.map { 0.5 + $0 * gain }, low: 0, high: 1,
                          caption: largest > 0 ? String(format: "|δ|∞ %.3f, ×%.0f", largest, gain * 2) : "no change"),
            ]))
        }
        return ImageGrid(title: "\(EvasionFindings.techniqueName(cell.spec)) at ε = \(EvasionFindings.number(Double(cell.epsilon))): "
                             + "\(flippedAll.count) of the \(correct.count) correctly classified examples among the first \(candidates) flipped; "
                             + "\(chosen.count) shown, flipped ones first (true label → prediction)",
                         columns: ["original", "adversarial", "difference (amplified)"], rows: rows)
    }
}
