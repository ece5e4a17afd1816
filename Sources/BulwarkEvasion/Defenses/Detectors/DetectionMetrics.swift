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
        rocAUC = Self.auc(benign: benign, adversarial: adversarial)
        let t = Self.threshold(benign: benign, falsePositiveRate: targetFalsePositiveRate)
        atTarget = Self.operatingPoint(threshold: t, benign: benign, adversarial: adversarial)
        self.targetFalsePositiveRate = targetFalsePositiveRate
        benignCount = benign.count
        adversarialCount = adversarial.count
    }

    /// ROC AUC by the Mann–Whitney statistic, O((m + n) log(m + n)).
    public static func auc(benign: [Double], adversarial: [Double]) -> Double {
        guard !benign.isEmpty, !adversarial.isEmpty else { return 0.5 }
        let all = (benign.map { ($0, false) } + adversarial.map { ($0, true) }).sorted { $0.0 < $1.0 }
        // Mid-ranks handle ties.
        var rankSumAdversarial = 0.0
        var i = 0
        while i < all.count {
            var j = i
            while j + 1 < all.count && all[j + 1].0 == all[i].0 { j += 1 }
            let midRank = Double(i + j) / 2 + 1
            for k in i...j where all[k].1 { rankSumAdversarial += midRank }
            i = j + 1
        }
        let n = Double(adversarial.count), m = Double(benign.count)
        return (rankSumAdversarial - n * (n + 1) / 2) / (n * m)
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
    }

    /// True-positive rate at a fixed false-positive rate (threshold from the benign scores).
    public static func truePositiveRate(atFalsePositiveRate f: Double, benign: [Double], adversarial: [Double]) -> Double {
        operatingPoint(threshold: threshold(benign: benign, falsePositiveRate: f), benign: benign, adversarial: adversarial).truePositiveRate
    }
}
