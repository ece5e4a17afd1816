import Testing
import BulwarkModels

struct ROCCurveTests {
    @Test func curveOfKnownScores() {
        let roc = ROCCurve(positives: [2, 3], negatives: [0, 1])
        #expect(roc.points.map(\.falsePositiveRate) == [0, 0, 0, 0.5, 1])
        #expect(roc.points.map(\.truePositiveRate) == [0, 0.5, 1, 1, 1])
        #expect(roc.points.map(\.threshold) == [3, 3.0.nextDown, 2.0.nextDown, 1.0.nextDown, 0.0.nextDown])
        #expect(roc.positiveCount == 2 && roc.negativeCount == 2)
    }

    @Test func aucOfKnownScores() {
        #expect(ROCCurve(positives: [3, 4], negatives: [0, 1, 2]).auc == 1)
        #expect(ROCCurve(positives: [0, 1, 2], negatives: [3, 4]).auc == 0)
        #expect(ROCCurve(positives: [1, 1], negatives: [1, 1]).auc == 0.5)
        // pairs (positive > negative): 2 > 1 yes, 2 > 3 no, 4 > 1, 4 > 3 → 3 of 4
        #expect(ROCCurve(positives: [2, 4], negatives: [1, 3]).auc == 0.75)
        // 9 pairs; 3 > 1, 3 > 2, 4 > all, 5 > all → 8 of 9
        #expect(abs(ROCCurve(positives: [3, 4, 5], negatives: [1, 2, 3.5]).auc - 8.0 / 9.0) < 1e-12)
        #expect(ROCCurve(positives: [], negatives: [1]).auc == 0.5)
    }

    /// Hand-computed: positives {1, 2, 2}, negatives {1, 1, 2}. Pairs (9): the 1 ties two negatives
    /// (2 × ½) and loses to none counted; each 2 beats the two 1s and ties the 2 (2 × (2 + ½)).
    /// U = 1 + 5 = 6 → AUC 6/9. The curve flags the whole group of 2s at once (TPR 2/3, FPR 1/3),
    /// then the 1s (1, 1); a threshold between equal scores does not exist.
    @Test func tiesCountOneHalfAndAreNeverSplit() {
        let roc = ROCCurve(positives: [1, 2, 2], negatives: [1, 1, 2])
        #expect(abs(roc.auc - 6.0 / 9.0) < 1e-15)
        #expect(roc.points.map(\.falsePositiveRate) == [0, 1.0 / 3, 1])
        #expect(roc.points.map(\.truePositiveRate) == [0, 2.0 / 3, 1])
        // The trapezoid area under those points is the same number: ties count one half either way.
        var area = 0.0
        for k in 1..<roc.points.count {
            area += (roc.points[k].falsePositiveRate - roc.points[k - 1].falsePositiveRate)
                * (roc.points[k].truePositiveRate + roc.points[k - 1].truePositiveRate) / 2
        }
        #expect(abs(area - roc.auc) < 1e-15)
        // FPR ≤ 0.2 cannot take the tied 2s (that would flag a negative): TPR 0, not 2/3.
        #expect(roc.truePositiveRate(atFalsePositiveRate: 0.2) == 0)
        #expect(roc.truePositiveRate(atFalsePositiveRate: 0.5) == 2.0 / 3)
    }

    @Test func truePositiveRateAtABoundedFalsePositiveRate() {
        let negatives = (0..<100).map(Double.init)
        #expect(ROCCurve(positives: [50, 100], negatives: negatives).truePositiveRate(atFalsePositiveRate: 0) == 0.5)
        let perfect = ROCCurve(positives: [2, 3], negatives: [0, 1])
        #expect(perfect.truePositiveRate(atFalsePositiveRate: 0.001) == 1 && perfect.maximumAdvantage == 1)
        // threshold 4 of {3, 4, 5} vs {1, 2, 3.5}: TPR 2/3 at FPR 0
        #expect(abs(ROCCurve(positives: [3, 4, 5], negatives: [1, 2, 3.5]).maximumAdvantage - 2.0 / 3.0) < 1e-12)
        #expect(ROCCurve(positives: [1, 1], negatives: [1, 1]).maximumAdvantage == 0)
    }

    /// Where Evasion's old `truePositiveRate(atFalsePositiveRate:)` (a threshold picked among the
    /// benign scores with floor(f × m) allowed above it) and Privacy's (the best curve point with
    /// FPR ≤ f) parted, hand-computed. The curve's answer is the right one.
    @Test func theCurveAnswerWhereTheBenignThresholdRuleFellShort() {
        // Negatives 0…99, one positive at 70.5. Flagging > 70 flags 71…99: 29 of 100 negatives,
        // FPR 0.29 ≤ 0.29, and the positive: TPR 1. floor(0.29 × 100) is 28 in floating point,
        // which the old rule turned into threshold 71 and TPR 0.
        let negatives = (0..<100).map(Double.init)
        #expect((0.29 * 100).rounded(.down) == 28)
        #expect(ROCCurve(positives: [70.5], negatives: negatives).truePositiveRate(atFalsePositiveRate: 0.29) == 1)
        // FPR ≤ 1 allows flagging everything; the old rule could only flag above the lowest benign score.
        #expect(ROCCurve(positives: [0], negatives: [0, 1]).truePositiveRate(atFalsePositiveRate: 1) == 1)
    }

    @Test func nanScoresNeitherTrapNorHang() {
        let roc = ROCCurve(positives: [.nan, 1, .nan], negatives: [.nan, 0, .infinity, -.infinity])
        #expect(roc.points.count <= 8 && roc.points.last?.truePositiveRate == 1 && roc.points.last?.falsePositiveRate == 1)
        #expect(roc.auc >= 0 && roc.auc <= 1)
    }
}
