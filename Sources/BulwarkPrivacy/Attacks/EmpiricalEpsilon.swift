import BulwarkTensor
import Foundation

/// A statistically valid lower bound on the ε a membership attack demonstrates
/// (Jagielski, Ullman & Oprea 2020, "Auditing Differentially Private Machine Learning").
///
/// An (ε, δ)-DP mechanism forces every test to satisfy FPR + e^ε·FNR ≥ 1 − δ and
/// FNR + e^ε·FPR ≥ 1 − δ, so ε ≥ max(log((1 − δ − FNR)/FPR), log((1 − δ − FPR)/FNR)). The rates
/// are replaced by Clopper–Pearson upper confidence bounds (each one-sided at (1 − confidence)/2,
/// so both hold jointly with probability ≥ `confidence`). The threshold is chosen on one random
/// half of the examples and the bound is computed on the other half, so choosing the best
/// threshold does not inflate it.
public struct EmpiricalEpsilon: Sendable, Codable, Equatable {
    /// The lower bound on ε (0 when the attack demonstrates nothing).
    public var epsilonLowerBound: Double
    /// Joint confidence of the Clopper–Pearson bounds.
    public var confidence: Double
    /// δ assumed.
    public var delta: Double
    /// Threshold picked on the selection half.
    public var threshold: Double
    /// Observed rates on the evaluation half at that threshold.
    public var falsePositiveRate: Double, falseNegativeRate: Double
    /// Clopper–Pearson upper bounds of those rates.
    public var falsePositiveRateUpper: Double, falseNegativeRateUpper: Double
    /// Examples in the evaluation half.
    public var evaluationMembers: Int, evaluationNonMembers: Int

    /// Computes the bound from membership scores (higher = member).
    public init(memberScores: [Double], nonMemberScores: [Double], delta: Double = 1e-5, confidence: Double = 0.95,
                seed: UInt64 = 0) throws(PrivacyError) {
        guard memberScores.count >= 2, nonMemberScores.count >= 2 else {
            throw PrivacyError(parameter: "scores", message: "need at least two members and two non-members for a split audit")
        }
        guard confidence > 0, confidence < 1 else { throw PrivacyError(parameter: "confidence", message: "expected (0, 1), got \(confidence)") }
        guard delta >= 0, delta < 1 else { throw PrivacyError(parameter: "delta", message: "expected [0, 1), got \(delta)") }
        var rng = SplitMix(seed: seed)
        let (mSelect, mEval) = Self.halves(memberScores, &rng)
        let (nSelect, nEval) = Self.halves(nonMemberScores, &rng)
        let alpha = (1 - confidence) / 2
        // choose the threshold that maximises the bound on the selection half
        var best = (bound: -Double.infinity, threshold: Double.infinity)
        for t in Set(mSelect + nSelect) {
            let b = Self.bound(members: mSelect, nonMembers: nSelect, threshold: t, delta: delta, alpha: alpha).epsilon
            if b > best.bound || (b == best.bound && t < best.threshold) { best = (b, t) }
        }
        let r = Self.bound(members: mEval, nonMembers: nEval, threshold: best.threshold, delta: delta, alpha: alpha)
        epsilonLowerBound = max(0, r.epsilon)
        self.confidence = confidence
        self.delta = delta
        threshold = best.threshold
        falsePositiveRate = r.fpr
        falseNegativeRate = r.fnr
        falsePositiveRateUpper = r.fprUpper
        falseNegativeRateUpper = r.fnrUpper
        evaluationMembers = mEval.count
        evaluationNonMembers = nEval.count
    }

    static func halves(_ xs: [Double], _ rng: inout SplitMix) -> ([Double], [Double]) {
        var s = xs
        for i in stride(from: s.count - 1, to: 0, by: -1) { s.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        let h = s.count / 2
        return (Array(s[..<h]), Array(s[h...]))
    }

    static func bound(members: [Double], nonMembers: [Double], threshold t: Double, delta: Double, alpha: Double)
        -> (epsilon: Double, fpr: Double, fnr: Double, fprUpper: Double, fnrUpper: Double) {
        let fp = nonMembers.filter { $0 >= t }.count
        let fn = members.filter { $0 < t }.count
        let fprU = BetaDistribution.clopperPearsonUpper(successes: fp, trials: nonMembers.count, alpha: alpha)
        let fnrU = BetaDistribution.clopperPearsonUpper(successes: fn, trials: members.count, alpha: alpha)
        func safeLog(_ a: Double, _ b: Double) -> Double { a > 0 && b > 0 ? log(a / b) : -.infinity }
        let eps = max(safeLog(1 - delta - fnrU, fprU), safeLog(1 - delta - fprU, fnrU))
        return (eps, Double(fp) / Double(nonMembers.count), Double(fn) / Double(members.count), fprU, fnrU)
    }
}

/// SplitMix64, for the audit's seeded splits (not for noise).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
