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
        let fprU = ClopperPearson.upper(successes: fp, trials: nonMembers.count, alpha: alpha)
        let fnrU = ClopperPearson.upper(successes: fn, trials: members.count, alpha: alpha)
        func safeLog(_ a: Double, _ b: Double) -> Double { a > 0 && b > 0 ? log(a / b) : -.infinity }
        let eps = max(safeLog(1 - delta - fnrU, fprU), safeLog(1 - delta - fprU, fnrU))
        return (eps, Double(fp) / Double(nonMembers.count), Double(fn) / Double(members.count), fprU, fnrU)
    }
}

/// Clopper–Pearson (exact binomial) confidence bounds.
public enum ClopperPearson {
    /// The one-sided upper bound p with P(Binomial(n, p) ≤ k) = α, i.e. the (1 − α) quantile of
    /// Beta(k + 1, n − k); 1 when k = n. Bisection to 1e-12.
    public static func upper(successes k: Int, trials n: Int, alpha: Double) -> Double {
        precondition(n > 0 && k >= 0 && k <= n && alpha > 0 && alpha < 1, "Clopper–Pearson needs 0 ≤ k ≤ n, n > 0, α in (0, 1)")
        if k == n { return 1 }
        let a = Double(k + 1), b = Double(n - k)
        var lo = 0.0, hi = 1.0
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if IncompleteBeta.regularized(x: mid, a: a, b: b) < 1 - alpha { lo = mid } else { hi = mid }
            if hi - lo < 1e-12 { break }
        }
        return hi
    }

    /// The one-sided lower bound: the α quantile of Beta(k, n − k + 1); 0 when k = 0.
    public static func lower(successes k: Int, trials n: Int, alpha: Double) -> Double {
        if k == 0 { return 0 }
        return 1 - upper(successes: n - k, trials: n, alpha: alpha)
    }
}

/// The regularised incomplete beta function I_x(a, b), by its continued fraction (modified Lentz).
enum IncompleteBeta {
    static func regularized(x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x: x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * continuedFraction(x: 1 - x, a: b, b: a) / b
    }

    static func continuedFraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let dm = Double(m)
            var num = dm * (b - dm) * x / ((a + 2 * dm - 1) * (a + 2 * dm))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            num = -(a + dm) * (a + b + dm) * x / ((a + 2 * dm) * (a + 2 * dm + 1))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
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
