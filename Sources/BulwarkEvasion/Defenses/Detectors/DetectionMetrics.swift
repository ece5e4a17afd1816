import BulwarkModels

/// Operating point of a detector: threshold and the rates it gives.
public struct DetectorOperatingPoint: Codable, Sendable, Equatable {
    /// Inputs scoring strictly above this are flagged.
    public var threshold: Double
    /// Fraction of benign inputs flagged.
    public var falsePositiveRate: Double
    /// Fraction of adversarial inputs flagged.
    public var truePositiveRate: Double
}

/// How well a detector separates benign from adversarial inputs.
public struct DetectionMetrics: Codable, Sendable, Equatable {
    /// Area under the ROC curve (probability that a random adversarial input scores above a
    /// random benign one, ties counting one half).
    public var rocAUC: Double
    /// The operating point for the target false-alarm rate (threshold chosen on the benign scores).
    public var atTarget: DetectorOperatingPoint
    /// The target false-positive rate asked for.
    public var targetFalsePositiveRate: Double
    /// Benign and adversarial examples scored.
    public var benignCount: Int, adversarialCount: Int

    /// Metrics of scores (higher = more suspicious) at a target false-positive rate.
    public init(benign: [Double], adversarial: [Double], targetFalsePositiveRate: Double) {
        rocAUC = ROCCurve(positives: adversarial, negatives: benign).auc
        let t = Self.threshold(benign: benign, falsePositiveRate: targetFalsePositiveRate)
        atTarget = Self.operatingPoint(threshold: t, benign: benign, adversarial: adversarial)
        self.targetFalsePositiveRate = targetFalsePositiveRate
        benignCount = benign.count
        adversarialCount = adversarial.count
    }

    /// The smallest threshold among benign scores whose false-positive rate (benign scores
    /// strictly above it) is at most `falsePositiveRate`.
    public static func threshold(benign: [Double], falsePositiveRate: Double) -> Double {
        let s = benign.sorted()
        guard !s.isEmpty else { return .infinity }
        let allowed = Int((falsePositiveRate * Double(s.count)).rounded(.down))
        // Flag scores > s[count − 1 − allowed]: at most `allowed` benign scores are above it (ties stay below).
        return s[max(0, s.count - 1 - allowed)]
    }

    /// Rates at `threshold`.
    public static func operatingPoint(threshold: Double, benign: [Double], adversarial: [Double]) -> DetectorOperatingPoint {
        let fp = benign.filter { $0 > threshold }.count, tp = adversarial.filter { $0 > threshold }.count
        return DetectorOperatingPoint(threshold: threshold, falsePositiveRate: benign.isEmpty ? 0 : Double(fp) / Double(benign.count),
                                      truePositiveRate: adversarial.isEmpty ? 0 : Double(tp) / Double(adversarial.count))
    }}
