/// One point of an empirical ROC curve.
public struct ROCPoint: Codable, Sendable, Equatable {
    /// False-positive rate: negatives (benign inputs, non-members) flagged.
    public var falsePositiveRate: Double
    /// True-positive rate: positives (adversarial inputs, members) flagged.
    public var truePositiveRate: Double
    /// Flagging scores strictly above this gives the point's rates.
    public var threshold: Double

    /// A point.
    public init(falsePositiveRate: Double, truePositiveRate: Double, threshold: Double) {
        self.falsePositiveRate = falsePositiveRate
        self.truePositiveRate = truePositiveRate
        self.threshold = threshold
    }
}

/// The empirical ROC curve of a score that should be higher for positives than for negatives
/// (a detector's score of adversarial vs benign inputs, a membership score of members vs
/// non-members), with its AUC and its TPR at a bounded FPR.
///
/// Every distinct score is a threshold, and a tie moves both rates at once: the curve never
/// splits a group of equal scores, so a tie between a positive and a negative counts one half
/// in the AUC, which is the Mann–Whitney probability that a random positive outscores a random
/// negative. The AUC is summed from integer counts, so it is exact up to one final rounding.
/// Cost: O((m + n) log(m + n)) to build, O(points) per query.
///
/// Scores of ±∞ are ordinary scores; a NaN score leaves the order unspecified (never a trap or
/// a hang). An empty side counts as one example for the rates, and the AUC is then 0.5.
///
/// ```swift
/// let roc = ROCCurve(positives: [2, 3], negatives: [0, 1])
/// roc.auc                                        // 1
/// roc.truePositiveRate(atFalsePositiveRate: 0)   // 1
/// ```
public struct ROCCurve: Sendable, Equatable {
    /// The curve from (0, 0) (threshold: the highest score, nothing flagged) to (1, 1), one
    /// point per distinct score, FPR and TPR ascending.
    public let points: [ROCPoint]
    /// Area under the curve: P(positive > negative) + P(tie) / 2; 0.5 when a side is empty.
    public let auc: Double
    /// Positives and negatives scored.
    public let positiveCount: Int, negativeCount: Int

    /// The curve of `positives` against `negatives` (higher score = flagged as positive).
    public init(positives: [Double], negatives: [Double]) {
        let all = (positives.map { ($0, true) } + negatives.map { ($0, false) }).sorted { $0.0 > $1.0 }
        let m = Double(max(positives.count, 1)), n = Double(max(negatives.count, 1))
        var points = [ROCPoint(falsePositiveRate: 0, truePositiveRate: 0, threshold: all.first?.0 ?? 0)]
        points.reserveCapacity(all.count + 1)
        // Twice the Mann–Whitney U, in integers held exactly by a Double below 2^53.
        var twiceU = 0.0
        var tp = 0, fp = 0, i = 0
        while i < all.count {
            let value = all[i].0
            var groupTP = 0, groupFP = 0
            repeat {  // consumes at least one score, so a NaN cannot stall the sweep
                if all[i].1 { groupTP += 1 } else { groupFP += 1 }
                i += 1
            } while i < all.count && all[i].0 == value
            twiceU += Double(groupFP) * Double(2 * tp + groupTP)
            tp += groupTP
            fp += groupFP
            // Flagging scores ≥ value is flagging scores strictly above value.nextDown.
            points.append(ROCPoint(falsePositiveRate: Double(fp) / n, truePositiveRate: Double(tp) / m, threshold: value.nextDown))
        }
        self.points = points
        auc = positives.isEmpty || negatives.isEmpty ? 0.5 : twiceU / (2 * Double(positives.count) * Double(negatives.count))
        positiveCount = positives.count
        negativeCount = negatives.count
    }

    /// The highest true-positive rate among the curve's points whose false-positive rate is at
    /// most `falsePositiveRate` (0 when none is). Ties are never split, so the rate is one that a
    /// threshold really reaches.
    public func truePositiveRate(atFalsePositiveRate falsePositiveRate: Double) -> Double {
        var best = 0.0
        for p in points where p.falsePositiveRate <= falsePositiveRate { best = max(best, p.truePositiveRate) }
        return best
    }

    /// max(TPR − FPR) over the curve, never below 0: Youden's J, which for membership
    /// inference is the membership advantage of Yeom et al. (2018).
    public var maximumAdvantage: Double {
        max(0, points.map { $0.truePositiveRate - $0.falsePositiveRate }.max() ?? 0)
    }
}
