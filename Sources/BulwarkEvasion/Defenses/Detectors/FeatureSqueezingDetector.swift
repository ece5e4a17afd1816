public import BulwarkTensor
public import BulwarkModels

/// The feature-squeezing detector (Xu, Evans & Qi, NDSS 2018): the score of an input is the
/// largest L1 distance between the model's softmax on the input and on each squeezed version
/// of it. Benign inputs barely move under squeezing; many adversarial ones do.
///
/// Default squeezers are the paper's MNIST choice (1-bit depth, 2×2 median). Cost: one forward
/// pass per squeezer plus one.
public struct FeatureSqueezingDetector: AdversarialDetector {
    /// The protected model.
    public let model: any DifferentiableClassifier
    /// The squeezers.
    public let squeezers: [any InputTransform]

    /// A detector for `model`.
    public init(model: any DifferentiableClassifier, squeezers: [any InputTransform] = [BitDepthReduction(bits: 1), MedianFilter(size: 2)]) {
        precondition(!squeezers.isEmpty, "feature squeezing needs at least one squeezer")
        self.model = model
        self.squeezers = squeezers
    }

    /// `"feature-squeezing(<squeezers>)"`.
    public var name: String { "feature-squeezing(" + squeezers.map(\.name).joined(separator: ",") + ")" }

    /// Max over squeezers of ‖softmax(f(x)) − softmax(f(squeeze(x)))‖₁, per row.
    public func scores(_ inputs: Tensor) -> [Double] {
        let n = inputs.shape.first ?? 0
        guard n > 0 else { return [] }
        let c = model.classCount
        let p = model.logits(inputs).softmax(axis: -1).scalars
        var best = [Double](repeating: 0, count: n)
        for s in squeezers {
            let q = model.logits(s.apply(inputs, seed: 0)).softmax(axis: -1).scalars
            for r in 0..<n {
                var d = 0.0
                for j in 0..<c { d += Double(abs(p[r * c + j] - q[r * c + j])) }
                best[r] = max(best[r], d)
            }
        }
        return best
    }
}
