/// A point of a detector's ROC curve.
public struct ROCPoint: Codable, Sendable, Equatable {
    /// False-positive rate (benign inputs flagged).
    public var falsePositiveRate: Double
    /// True-positive rate (adversarial inputs flagged).
    public var truePositiveRate: Double
    /// Flag inputs scoring strictly above this.
    public var threshold: Double
    /// A point.
    public init(falsePositiveRate: Double, truePositiveRate: Double, threshold: Double) {
        self.falsePositiveRate = falsePositiveRate
        self.truePositiveRate = truePositiveRate
        self.threshold = threshold
    }
}

extension DetectionMetrics {
    /// The empirical ROC curve, from (0, 0) (threshold above every score) to (1, 1), one point per
    /// distinct score, FPR ascending. O((m + n) log(m + n)).
    public static func rocCurve(benign: [Double], adversarial: [Double]) -> [ROCPoint] {
        let all = (benign.map { ($0, false) } + adversarial.map { ($0, true) }).sorted { $0.0 > $1.0 }
        let m = Double(max(benign.count, 1)), n = Double(max(adversarial.count, 1))
        var points = [ROCPoint(falsePositiveRate: 0, truePositiveRate: 0, threshold: all.first.map { $0.0 } ?? 0)]
        var fp = 0, tp = 0, i = 0
        while i < all.count {
            let value = all[i].0
            while i < all.count && all[i].0 == value {
                if all[i].1 { tp += 1 } else { fp += 1 }
                i += 1
            }
            // Flagging scores ≥ value is flagging scores strictly above value.nextDown (always finite for finite scores).
            points.append(ROCPoint(falsePositiveRate: Double(fp) / m, truePositiveRate: Double(tp) / n, threshold: value.nextDown))
        }
        return points
    }
}
