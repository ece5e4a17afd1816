public import BulwarkModels
public import BulwarkTensor
import Foundation

/// What a membership attack sees of one example: the model's output on it, reduced to the
/// statistics the attacks in this folder use.
public struct ExampleStatistics: Sendable, Equatable {
    /// Cross-entropy loss −log p_y.
    public var loss: Double
    /// Confidence p_y of the true class.
    public var confidence: Double
    /// Logit-scaled confidence φ = log p_y − log(1 − p_y), computed stably as
    /// z_y − logsumexp_{j≠y} z_j (Carlini et al. 2022, section 4).
    public var scaledConfidence: Double
    /// Highest class probability.
    public var topProbability: Double
    /// Shannon entropy of the prediction (nats).
    public var entropy: Double

    /// Statistics of every example of a batch, evaluated in batches of `batchSize`.
    public static func of(_ model: any DifferentiableClassifier, inputs: Tensor, labels: [Int], batchSize: Int = 256) -> [ExampleStatistics] {
        let n = labels.count
        var out: [ExampleStatistics] = []
        out.reserveCapacity(n)
        var start = 0
        while start < n {
            let end = min(n, start + batchSize)
            let logits = model.logits(inputs.rows(start..<end))
            let c = logits.shape[1]
            for r in 0..<(end - start) {
                let z = Array(logits.scalars[(r * c)..<((r + 1) * c)]).map(Double.init)
                out.append(Self(logits: z, label: labels[start + r]))
            }
            start = end
        }
        return out
    }

    /// Statistics from one example's logits and label.
    public init(logits z: [Double], label y: Int) {
        let m = z.max() ?? 0
        let lse = m + log(z.reduce(0) { $0 + exp($1 - m) })
        let logp = z.map { $0 - lse }
        loss = -logp[y]
        confidence = exp(logp[y])
        let others = z.enumerated().filter { $0.offset != y }.map(\.element)
        if let om = others.max() {
            scaledConfidence = z[y] - (om + log(others.reduce(0) { $0 + exp($1 - om) }))
        } else {
            scaledConfidence = 0
        }
        topProbability = exp(logp.max() ?? 0)
        entropy = -logp.reduce(0) { $0 + exp($1) * $1 }
    }
}

/// The membership attacks Bulwark runs.
public enum MembershipAttackKind: String, Sendable, Codable, CaseIterable {
    /// Loss threshold (Yeom et al. 2018): members have lower loss.
    case loss
    /// Confidence threshold (Salem et al. 2019): members get a higher true-class confidence.
    case confidence
    /// Shadow-model attack (Shokri et al. 2017): a classifier trained on shadow models' in/out outputs.
    case shadow
    /// LiRA offline (Carlini et al. 2022): one-sided test against OUT shadow statistics.
    case liraOffline = "lira-offline"
    /// LiRA online: likelihood ratio of IN and OUT Gaussians per example.
    case liraOnline = "lira-online"

    /// Whether the attack trains shadow models.
    public var needsShadowModels: Bool { self == .shadow || self == .liraOffline || self == .liraOnline }
}

/// Threshold attacks: a score per example from the target model's output alone.
public enum ThresholdAttack {
    /// −loss per example (higher = member).
    public static func lossScores(_ stats: [ExampleStatistics]) -> [Double] { stats.map { -$0.loss } }
    /// True-class confidence per example (higher = member).
    public static func confidenceScores(_ stats: [ExampleStatistics]) -> [Double] { stats.map(\.confidence) }
}
