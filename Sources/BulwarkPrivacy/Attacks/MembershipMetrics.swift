public import BulwarkModels

/// How well membership scores separate members from non-members (higher score = "member").
///
/// The curve sweeps every distinct score as a threshold (ties move both rates at once), so the
/// AUC is the Mann–Whitney probability that a random member outscores a random non-member, ties
/// counting one half. Cost: O((m + n) log(m + n)).
public struct MembershipMetrics: Sendable, Codable, Equatable {
    /// Area under the ROC curve (0.5 = guessing).
    public var auc: Double
    /// Highest TPR with FPR ≤ 0.1 %.
    public var tprAtFPR0_1Percent: Double
    /// Highest TPR with FPR ≤ 1 %.
    public var tprAtFPR1Percent: Double
    /// Membership advantage max(TPR − FPR) (Yeom et al. 2018); 0 = no leakage measured.
    public var advantage: Double
    /// Balanced accuracy at the best threshold, (1 + advantage) / 2.
    public var bestAccuracy: Double
    /// The ROC curve, at most ~200 points (every point kept for small sets).
    public var roc: [ROCPoint]
    /// Member and non-member scores measured.
    public var members: Int, nonMembers: Int

    /// Metrics of `memberScores` against `nonMemberScores` (both non-empty, finite).
    public init(memberScores: [Double], nonMemberScores: [Double]) throws(PrivacyError) {
        guard !memberScores.isEmpty, !nonMemberScores.isEmpty else {
            throw PrivacyError(parameter: "scores", message: "need at least one member and one non-member")
        }
        guard memberScores.allSatisfy(\.isFinite), nonMemberScores.allSatisfy(\.isFinite) else {
            throw PrivacyError(parameter: "scores", message: "membership scores must be finite")
        }
        let curve = ROCCurve(positives: memberScores, negatives: nonMemberScores)
        auc = curve.auc
        tprAtFPR0_1Percent = curve.truePositiveRate(atFalsePositiveRate: 0.001)
        tprAtFPR1Percent = curve.truePositiveRate(atFalsePositiveRate: 0.01)
        advantage = curve.maximumAdvantage
        bestAccuracy = (1 + advantage) / 2
        roc = Self.thin(curve.points, to: 200)
        members = memberScores.count
        nonMembers = nonMemberScores.count
    }

    /// Keeps the ends, the low-FPR region and about `count` evenly spaced points.
    static func thin(_ curve: [ROCPoint], to count: Int) -> [ROCPoint] {
        if curve.count <= count { return curve }
        var out: [ROCPoint] = []
        var lastFPR = -1.0
        for (k, p) in curve.enumerated() {
            let keep = k == 0 || k == curve.count - 1 || p.falsePositiveRate - lastFPR >= 1.0 / Double(count)
                || p.falsePositiveRate <= 0.01
            if keep && out.count < 4 * count {
                out.append(p)
                lastFPR = p.falsePositiveRate
            }
        }
        if out.last != curve.last, let l = curve.last { out.append(l) }
        return out
    }
}
