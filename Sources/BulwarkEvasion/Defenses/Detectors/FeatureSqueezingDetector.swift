public import BulwarkTensor
public import BulwarkModels

/// The feature-squeezing detector (Xu, Evans & Qi, NDSS 2018): the score of an input is the
/// largest L1 distance between the model's softmax on the input and on each squeezed version
/// of it. Benign inputs barely move under squeezing; many adversarial ones do.
///
/// Default squeezers are the paper's MNIST choice (1-bit depth, 2×2 median). Cost: one forward
/// pass per squeezer plus one (all in one batch).
public struct FeatureSqueezingDetector: AdversarialDetector {
    /// The protected model.
    public let model: any DifferentiableClassifier
    /// The squeezers.
    public let squeezers: [any InputTransform]
    /// `"feature-squeezing(<squeezers>)"` (made once: a server names the detector in every
    /// screened row's scores).
    public let name: String

    /// A detector for `model`.
    public init(model: any DifferentiableClassifier, squeezers: [any InputTransform] = [BitDepthReduction(bits: 1), MedianFilter(size: 2)]) {
        precondition(!squeezers.isEmpty, "feature squeezing needs at least one squeezer")
        self.model = model
        self.squeezers = squeezers
        name = "feature-squeezing(" + squeezers.map(\.name).joined(separator: ",") + ")"
    }

    /// Max over squeezers of ‖softmax(f(x)) − softmax(f(squeeze(x)))‖₁, per row. The inputs and
    /// their squeezed copies go through the model in one batch.
    public func scores(_ inputs: Tensor) -> [Double] {
        let n = inputs.shape.first ?? 0
        guard n > 0 else { return [] }
        let all = model.logits(Tensor.concatenateRows([inputs, squeezedInputs(inputs)])).softmax(axis: -1)
        return scores(probabilities: all.rows(0..<n), squeezedProbabilities: all.rows(n..<all.shape[0]))
    }

    /// The squeezed copies of `inputs` (`N × …`), squeezer after squeezer: `squeezers.count · N`
    /// rows, for a caller that runs the model itself (a server batching them with other work).
    public func squeezedInputs(_ inputs: Tensor) -> Tensor {
        Tensor.concatenateRows(squeezers.map { $0.apply(inputs, seed: 0) })
    }

    /// The scores from probabilities the caller computed: `probabilities` of the inputs (`N × C`)
    /// and `squeezedProbabilities` of ``squeezedInputs(_:)`` (`squeezers.count · N × C`, in its
    /// order). A row whose probabilities are not numbers scores NaN (a detector reads NaN as fired).
    public func scores(probabilities: Tensor, squeezedProbabilities: Tensor) -> [Double] {
        let n = probabilities.shape.first ?? 0, c = model.classCount
        precondition(probabilities.shape == [n, c] && squeezedProbabilities.shape == [squeezers.count * n, c],
                     "feature squeezing: probabilities \(probabilities.shape) and squeezed \(squeezedProbabilities.shape) for \(squeezers.count) squeezers")
        let p = probabilities.scalars, q = squeezedProbabilities.scalars
        var best = [Double](repeating: 0, count: n)
        for k in 0..<squeezers.count {
            for r in 0..<n {
                var d = 0.0
                let base = (k * n + r) * c
                for j in 0..<c { d += Double(abs(p[r * c + j] - q[base + j])) }
                best[r] = d.isNaN || best[r].isNaN ? .nan : max(best[r], d)
            }
        }
        return best
    }
}
