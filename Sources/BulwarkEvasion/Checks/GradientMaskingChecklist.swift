import Foundation

/// One check of the gradient-masking checklist (Athalye, Carlini & Wagner 2018, §7; Carlini et
/// al., "On Evaluating Adversarial Robustness", 2019; Tramèr et al. 2020).
public enum MaskingCheck: String, Codable, Sendable, CaseIterable {
    /// Iterative attacks are at least as strong as a single step (PGD ≤ FGSM robust accuracy).
    case iterativeBeatsSingleStep = "iterative-at-least-single-step"
    /// White-box is at least as strong as black-box (PGD ≤ Square robust accuracy).
    case whiteBoxBeatsBlackBox = "white-box-at-least-black-box"
    /// White-box is at least as strong as transfer from a source model.
    case whiteBoxBeatsTransfer = "white-box-at-least-transfer"
    /// Robust accuracy reaches about zero at a large ε.
    case largeEpsilonReachesZero = "large-epsilon-reaches-zero"
    /// Attack success grows with ε (robust accuracy falls, monotonically).
    case successGrowsWithEpsilon = "success-grows-with-epsilon"
    /// Input gradients are finite and not identically zero.
    case gradientsHealthy = "gradients-finite-and-nonzero"
    /// Random restarts do not break examples the primary attack missed.
    case restartsFindNothingNew = "restarts-find-nothing-new"
    /// A gradient-free attack does not break examples the gradient attack missed.
    case gradientFreeFindsNothingNew = "gradient-free-finds-nothing-new"
    /// The adaptive (BPDA/EOT) attack is not much stronger than the plain one.
    case adaptiveNotMuchStronger = "adaptive-not-much-stronger"
}

/// Outcome of one check.
public enum CheckStatus: String, Codable, Sendable {
    /// The evidence is consistent with a sound evaluation.
    case passed
    /// The evidence shows the figure is not trustworthy.
    case failed
    /// The evidence for this check was not measured.
    case notRun = "not-run"
}

/// A check's verdict with the numbers behind it.
public struct CheckVerdict: Codable, Sendable, Equatable {
    /// Which check.
    public var check: MaskingCheck
    /// Its outcome.
    public var status: CheckStatus
    /// The measured quantity the check compares (its meaning is in `detail`).
    public var observed: Double?
    /// The limit it is compared with.
    public var limit: Double?
    /// One sentence: what was compared and why it passed or failed.
    public var detail: String
}

/// The checklist's result: one verdict per check and an overall judgement of the figure.
public struct ChecklistReport: Codable, Sendable, Equatable {
    /// The attack and ε of the figure under test.
    public var primaryAttack: String
    /// Threat-model norm.
    public var norm: PerturbationNorm
    /// ε.
    public var epsilon: Float
    /// The robust accuracy the primary attack measured (the claim being checked).
    public var claimedRobustAccuracy: Double
    /// Per-example worst case over every attack in the evidence — an upper bound on the true
    /// robust accuracy that the evaluation actually supports.
    public var worstCaseRobustAccuracy: Double
    /// All verdicts, in ``MaskingCheck`` order.
    public var verdicts: [CheckVerdict]
    /// Checks that failed.
    public var failedChecks: [MaskingCheck]
    /// Checks whose evidence was missing.
    public var notRunChecks: [MaskingCheck]
    /// True when no check failed and the core checks (single-step, large ε, ε growth, gradients)
    /// all ran. Only then may `claimedRobustAccuracy` be reported as a robustness figure.
    public var reliable: Bool

    /// `"reliable"` or `"unreliable"`.
    public var label: String { reliable ? "reliable" : "unreliable" }

    /// The robustness figure to print, or `nil` when the checklist does not support it.
    public var reportableRobustAccuracy: Double? { reliable ? claimedRobustAccuracy : nil }

    /// One line for a terminal, naming failed checks, quoting the checklist's own figure
    /// (``claimedRobustAccuracy``, on the checklist's examples).
    public var summary: String {
        summary(quoting: "\(primaryAttack) robust accuracy", claimedRobustAccuracy, examples: nil)
    }

    /// One line for a terminal with this checklist's verdict on a figure measured elsewhere —
    /// for instance the evaluation table's robust accuracy for the same attack and ε, on all
    /// the evaluated examples — so that a summary never quotes a number the table does not show.
    /// - Parameters:
    ///   - figureName: what the figure is (`"pgd-linf robust accuracy"`).
    ///   - figure: the robust accuracy, in [0, 1].
    ///   - examples: how many examples it was measured on, when worth saying.
    public func summary(quoting figureName: String, _ figure: Double, examples: Int?) -> String {
        let value = String(format: "%.1f%%", figure * 100) + (examples.map { " on \($0) examples" } ?? "")
        if reliable { return "\(figureName) \(value) at ε=\(epsilon): reliable (\(verdicts.filter { $0.status == .passed }.count) checks passed)" }
        let why = failedChecks.isEmpty ? "core checks not run: " + notRunChecks.map(\.rawValue).joined(separator: ", ")
            : "failed: " + failedChecks.map(\.rawValue).joined(separator: ", ")
        return "\(figureName) \(value) at ε=\(epsilon) is UNRELIABLE (\(why)); worst case the checklist found \(String(format: "%.1f%%", worstCaseRobustAccuracy * 100))"
    }
}

/// Judges a robustness evaluation for gradient masking and other signs of a false robustness
/// figure. ``assess(_:)`` is a pure function of the ``MaskingEvidence``; ``ChecklistRunner``
/// gathers that evidence by running the attacks.
///
/// Every comparison allows `tolerance` (absolute, in robust-accuracy units) for sampling noise.
public struct GradientMaskingChecklist: Codable, Sendable, Equatable {
    /// Allowed slack in robust-accuracy comparisons (default 0.03).
    public var tolerance: Double
    /// Robust accuracy at the largest ε must not exceed this (default 0.10).
    public var largeEpsilonLimit: Double
    /// Largest tolerated fraction of zero or non-finite gradients (default 0.05).
    public var badGradientLimit: Double

    /// The checklist with its thresholds.
    public init(tolerance: Double = 0.03, largeEpsilonLimit: Double = 0.10, badGradientLimit: Double = 0.05) {
        self.tolerance = tolerance
        self.largeEpsilonLimit = largeEpsilonLimit
        self.badGradientLimit = badGradientLimit
    }

    /// Checks that must have run for a figure to be called reliable.
    public static let coreChecks: [MaskingCheck] = [.iterativeBeatsSingleStep, .largeEpsilonReachesZero, .successGrowsWithEpsilon, .gradientsHealthy]

    /// Robust accuracy of outcomes (correct when clean and not broken).
    static func robust(_ o: [ExampleOutcome]) -> Double { AttackMetrics(outcomes: o).robustAccuracy }

    /// Fraction of all examples that `other` breaks although `primary` left them robust.
    static func newlyBroken(primary: [ExampleOutcome], other: [ExampleOutcome]) -> Double {
        guard !primary.isEmpty else { return 0 }
        var k = 0
        for (p, q) in zip(primary, other) where p.cleanPrediction == p.label && !p.success && q.success { k += 1 }
        return Double(k) / Double(primary.count)
    }

    /// Verdicts for `evidence`.
    public func assess(_ e: MaskingEvidence) -> ChecklistReport {
        let claimed = Self.robust(e.primary)
        let t = tolerance
        func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        func notRun(_ c: MaskingCheck, _ what: String) -> CheckVerdict {
            CheckVerdict(check: c, status: .notRun, observed: nil, limit: nil, detail: "\(what) was not measured")
        }
        func atMost(_ c: MaskingCheck, _ value: Double, _ limit: Double, _ detail: String) -> CheckVerdict {
            CheckVerdict(check: c, status: value <= limit + 1e-12 ? .passed : .failed, observed: value, limit: limit, detail: detail)
        }
        var v: [CheckVerdict] = []

        if let s = e.singleStep {
            let r = Self.robust(s)
            v.append(atMost(.iterativeBeatsSingleStep, claimed, r + t,
                            "\(e.primaryAttack) leaves \(pct(claimed)) robust, single-step \(pct(r)) (iterative must be ≤ single-step + \(pct(t)))"))
        } else { v.append(notRun(.iterativeBeatsSingleStep, "a single-step attack")) }

        if let b = e.blackBox {
            let r = Self.robust(b)
            v.append(atMost(.whiteBoxBeatsBlackBox, claimed, r + t,
                            "white-box leaves \(pct(claimed)) robust, black-box \(pct(r)) (white-box must be ≤ black-box + \(pct(t)))"))
        } else { v.append(notRun(.whiteBoxBeatsBlackBox, "a black-box attack")) }

        if let tr = e.transfer {
            let r = Self.robust(tr)
            v.append(atMost(.whiteBoxBeatsTransfer, claimed, r + t,
                            "white-box leaves \(pct(claimed)) robust, transfer \(pct(r)) (white-box must be ≤ transfer + \(pct(t)))"))
        } else { v.append(notRun(.whiteBoxBeatsTransfer, "a transfer attack")) }

        if let last = e.sweep.last, e.sweep.count >= 1 {
            v.append(atMost(.largeEpsilonReachesZero, last.robustAccuracy, largeEpsilonLimit,
                            "at ε=\(last.epsilon) robust accuracy is \(pct(last.robustAccuracy)) (must reach ≤ \(pct(largeEpsilonLimit)))"))
        } else { v.append(notRun(.largeEpsilonReachesZero, "a large-ε attack")) }

        if e.sweep.count >= 2 {
            // Largest rise between consecutive ε, and whether accuracy fell at all from the clean value.
            var rise = 0.0
            for (a, b) in zip(e.sweep, e.sweep.dropFirst()) { rise = max(rise, b.robustAccuracy - a.robustAccuracy) }
            let clean = AttackMetrics(outcomes: e.primary).cleanAccuracy
            let drop = clean - (e.sweep.last?.robustAccuracy ?? clean)
            let ok = rise <= t && drop > t
            v.append(CheckVerdict(check: .successGrowsWithEpsilon, status: ok ? .passed : .failed, observed: rise, limit: t,
                                  detail: "largest rise of robust accuracy between consecutive ε is \(pct(rise)) (limit \(pct(t))); "
                                    + "accuracy falls \(pct(drop)) from clean to the largest ε (must fall > \(pct(t)))"))
        } else { v.append(notRun(.successGrowsWithEpsilon, "an ε sweep of two or more points")) }

        if let g = e.gradients {
            let bad = g.zeroFraction + g.nonFiniteFraction
            v.append(atMost(.gradientsHealthy, bad, badGradientLimit,
                            "\(pct(g.zeroFraction)) of examples have an all-zero gradient, \(pct(g.nonFiniteFraction)) a NaN/∞ one (limit \(pct(badGradientLimit)) together)"))
        } else { v.append(notRun(.gradientsHealthy, "gradient health")) }

        if let r = e.restarts {
            let k = Self.newlyBroken(primary: e.primary, other: r)
            v.append(atMost(.restartsFindNothingNew, k, t, "random restarts break \(pct(k)) of examples the primary attack missed (limit \(pct(t)))"))
        } else { v.append(notRun(.restartsFindNothingNew, "a restarted attack")) }

        if let b = e.blackBox {
            let k = Self.newlyBroken(primary: e.primary, other: b)
            v.append(atMost(.gradientFreeFindsNothingNew, k, t, "the gradient-free attack breaks \(pct(k)) of examples the gradient attack missed (limit \(pct(t)))"))
        } else { v.append(notRun(.gradientFreeFindsNothingNew, "a gradient-free attack")) }

        if let a = e.adaptive {
            let r = Self.robust(a)
            v.append(atMost(.adaptiveNotMuchStronger, claimed - r, t,
                            "adaptive (BPDA/EOT) leaves \(pct(r)) robust vs \(pct(claimed)) plain (gap must be ≤ \(pct(t)))"))
        } else { v.append(notRun(.adaptiveNotMuchStronger, "an adaptive (BPDA/EOT) attack")) }

        let failed = v.filter { $0.status == .failed }.map(\.check)
        let missing = v.filter { $0.status == .notRun }.map(\.check)
        let sets = [e.primary] + [e.singleStep, e.restarts, e.blackBox, e.transfer, e.adaptive].compactMap { $0 }
        let reliable = failed.isEmpty && !Self.coreChecks.contains { missing.contains($0) }
        return ChecklistReport(primaryAttack: e.primaryAttack, norm: e.norm, epsilon: e.epsilon, claimedRobustAccuracy: claimed,
                               worstCaseRobustAccuracy: ensembleRobustAccuracy(sets), verdicts: v, failedChecks: failed,
                               notRunChecks: missing, reliable: reliable)
    }
}
