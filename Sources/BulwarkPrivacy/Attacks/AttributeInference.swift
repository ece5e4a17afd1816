public import BulwarkModels
public import BulwarkTensor
import Foundation

/// What an attribute-inference attack (``AttributeInference``) recovered, on members and on
/// non-members.
public struct AttributeInferenceResult: Sendable, Codable, Equatable {
    /// Index of the feature in the flattened input.
    public var featureIndex: Int
    /// Candidate values tried.
    public var candidates: [Float]
    /// Fraction of members whose feature was recovered (nearest candidate to the true value).
    public var memberAccuracy: Double
    /// The same on non-members.
    public var nonMemberAccuracy: Double
    /// Accuracy of always guessing the most common true value among all records.
    public var baselineAccuracy: Double
    /// memberAccuracy − nonMemberAccuracy.
    public var advantage: Double { memberAccuracy - nonMemberAccuracy }
}

/// Attribute inference: recover a hidden input feature of a record from the model, given the
/// record's other features and its label (Fredrikson et al. 2014; the loss-minimising adversary
/// of Yeom et al. 2018).
///
/// For each record the feature is set to each candidate value in turn and the value with the
/// lowest loss on the true label is the guess. Run on members and on non-members: a higher
/// accuracy on members than on non-members is leakage of the training set beyond what the
/// population distribution explains.
public enum AttributeInference {
    /// Runs the attack on members and non-members.
    public static func run(_ model: any DifferentiableClassifier, members: (Tensor, [Int]), nonMembers: (Tensor, [Int]),
                           featureIndex: Int, candidates: [Float]) throws(PrivacyError) -> AttributeInferenceResult {
        let d = model.inputShape.reduce(1, *)
        guard featureIndex >= 0, featureIndex < d else {
            throw PrivacyError(parameter: "attributeFeature", message: "expected an index in 0..<\(d), got \(featureIndex)")
        }
        guard candidates.count >= 2, candidates.allSatisfy(\.isFinite) else {
            throw PrivacyError(parameter: "attributeValues", message: "expected at least two finite candidate values")
        }
        let (mHits, mTruth) = guesses(model, members.0, members.1, featureIndex, candidates)
        let (nHits, nTruth) = guesses(model, nonMembers.0, nonMembers.1, featureIndex, candidates)
        var counts = [Int](repeating: 0, count: candidates.count)
        for t in mTruth + nTruth { counts[t] += 1 }
        let total = max(1, mTruth.count + nTruth.count)
        return AttributeInferenceResult(
            featureIndex: featureIndex, candidates: candidates,
            memberAccuracy: Double(mHits) / Double(max(1, mTruth.count)),
            nonMemberAccuracy: Double(nHits) / Double(max(1, nTruth.count)),
            baselineAccuracy: Double(counts.max() ?? 0) / Double(total))
    }

    /// Correct guesses and the true candidate index of each record.
    static func guesses(_ model: any DifferentiableClassifier, _ x: Tensor, _ y: [Int], _ f: Int, _ values: [Float]) -> (Int, [Int]) {
        let n = y.count
        if n == 0 { return (0, []) }
        let d = x.count / n
        let truth = (0..<n).map { i -> Int in
            let v = x.scalars[i * d + f]
            return values.indices.min { abs(values[$0] - v) < abs(values[$1] - v) } ?? 0
        }
        var bestLoss = [Double](repeating: .infinity, count: n), best = [Int](repeating: 0, count: n)
        for (k, v) in values.enumerated() {
            var xv = x
            for i in 0..<n { xv.scalars[i * d + f] = v }
            let stats = ExampleStatistics.of(model, inputs: xv, labels: y)
            for i in 0..<n where stats[i].loss < bestLoss[i] {
                bestLoss[i] = stats[i].loss
                best[i] = k
            }
        }
        return (zip(best, truth).filter { $0 == $1 }.count, truth)
    }
}
