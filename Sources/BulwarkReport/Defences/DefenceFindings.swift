public import BulwarkEvasion
import Foundation

/// Turns defence evidence into findings: the checklist's verdict (an unreliable robustness
/// figure is a finding of its own, severity high), the defence's effect (clean and robust
/// accuracy before and after), certified accuracy, and the detector under non-adaptive and
/// adaptive attack.
public enum DefenceFindings {
    /// Findings for `evidence`.
    public static func findings(_ e: DefenceEvidence) -> [Finding] {
        var out: [Finding] = []
        if let c = e.checked {
            if let f = checklistFinding(c, evidence: e) { out.append(f) }
            if let f = comparisonFinding(c, evidence: e) { out.append(f) }
        }
        if let r = e.certification { out.append(certificationFinding(r, evidence: e)) }
        if let d = e.detector { out.append(detectorFinding(d, evidence: e)) }
        return out
    }

    /// `findings` with every robustness figure marked unreliable when the checklist failed
    /// (the reasons name each failed check), or not checked when the checklist did not run.
    /// Findings of other threats are left alone.
    public static func applyChecklist(_ checked: CheckedEvaluationResult, to findings: [Finding]) -> [Finding] {
        guard checked.checklist != nil else {
            return markNotChecked(findings, reason: "the gradient-masking checklist did not run (--no-checklist)")
        }
        let reasons = checked.unreliableReasons.map { "checklist: " + $0 }
        guard !reasons.isEmpty else { return findings }
        return findings.map { f in
            guard f.threat == .evasion else { return f }
            var g = f
            switch f.reliability {
            case .reliable, .notChecked: g.reliability = .unreliable(reasons: reasons)
            case .unreliable(let old): g.reliability = .unreliable(reasons: old + reasons.filter { !old.contains($0) })
            }
            return g
        }
    }

    /// `findings` with every evasion figure that is still `reliable` marked ``Reliability/notChecked(reason:)``:
    /// for evaluations that ran without the gradient-masking checklist. Unreliable figures stay
    /// unreliable; findings of other threats are left alone.
    public static func markNotChecked(_ findings: [Finding], reason: String) -> [Finding] {
        findings.map { f in
            guard f.threat == .evasion, f.reliability == .reliable else { return f }
            var g = f
            g.reliability = .notChecked(reason: reason)
            return g
        }
    }

    static func checklistFinding(_ c: CheckedEvaluationResult, evidence e: DefenceEvidence) -> Finding? {
        guard let r = c.checklist else { return nil }
        let eps = EvasionFindings.number(Double(r.epsilon))
        var metrics = [Metric("examples", Double(c.checklistExamples)),
                       Metric("claimed_robust_accuracy", r.claimedRobustAccuracy, unit: "fraction"),
                       Metric("worst_case_robust_accuracy", r.worstCaseRobustAccuracy, unit: "fraction"),
                       Metric("failed_checks", Double(r.failedChecks.count)), Metric("seconds", c.checklistSeconds, unit: "seconds")]
        for v in r.verdicts { if let o = v.observed { metrics.append(Metric("\(v.check.rawValue).observed", o)) } }
        let target = c.defence.map { "the defended model (\($0.transform), \($0.gradient) gradient)" } ?? "the model"
        if r.reliable {
            return Finding(id: "evasion.checklist.\(r.primaryAttack).\(eps)", threat: .evasion, technique: "Gradient-masking checklist",
                           atlasID: ATLAS.craftAdversarialData, owaspID: OWASPML.inputManipulation, severity: .info,
                           title: "Gradient-masking checklist passed for \(target) at ε = \(eps): \(r.verdicts.filter { $0.status == .passed }.count) checks passed",
                           detail: "On \(c.checklistExamples) examples, \(r.primaryAttack) leaves \(EvasionFindings.percent(r.claimedRobustAccuracy)) robust; "
                               + "no sign of gradient masking or a too-weak attack was found. " + EvasionFindings.caveat,
                           metrics: metrics, artifact: e.artifact, reproduce: e.reproduce)
        }
        let failed = r.failedChecks.map(\.rawValue)
        let why = failed.isEmpty ? "core checks not run (" + r.notRunChecks.map(\.rawValue).joined(separator: ", ") + ")"
            : "\(failed.count) check\(failed.count == 1 ? "" : "s") failed (" + failed.joined(separator: ", ") + ")"
        return Finding(id: "evasion.checklist.\(r.primaryAttack).\(eps)", threat: .evasion, technique: "Gradient-masking checklist",
                       atlasID: ATLAS.craftAdversarialData, owaspID: OWASPML.inputManipulation, severity: .high,
                       title: "Robustness figure of \(target) at ε = \(eps) is UNRELIABLE: \(why)",
                       detail: "The evaluation shows signs of gradient masking or a too-weak attack, so its robust accuracy is not a result. "
                           + "The worst case over every attack the checklist ran leaves \(EvasionFindings.percent(r.worstCaseRobustAccuracy)) robust "
                           + "on \(c.checklistExamples) examples (an upper bound on the true robust accuracy). Evaluate with an adaptive attack (BPDA/EOT) "
                           + "and stronger budgets before relying on the defence.",
                       metrics: metrics, artifact: e.artifact, reproduce: e.reproduce, reliability: .unreliable(reasons: c.unreliableReasons))
    }

    /// The attack cell used to compare before and after: the strongest kind of white-box attack
    /// run (PGD, then APGD, BIM, then any other), at the largest ε.
    static func headline(_ r: EvaluationResult) -> AttackEvaluation? {
        let white = r.attacks.filter { !EvasionFindings.isBlackBox($0.spec.kind) }
        let pool = white.isEmpty ? r.attacks : white
        let preference: [AttackSpec.Kind] = [.pgd, .apgdCE, .apgdDLR, .bim]
        let preferred = preference.lazy.compactMap { kind in pool.first { $0.spec.kind == kind } }.first
        guard let spec = (preferred ?? pool.first)?.spec else { return nil }
        return pool.filter { $0.spec == spec }.max { $0.epsilon < $1.epsilon }
    }

    static func comparisonFinding(_ c: CheckedEvaluationResult, evidence e: DefenceEvidence) -> Finding? {
        guard let before = c.undefended, let cell = headline(c.evaluation),
              let base = before.attacks.first(where: { $0.spec == cell.spec && $0.epsilon == cell.epsilon }) else { return nil }
        let p = EvasionFindings.percent
        let eps = EvasionFindings.number(Double(cell.epsilon))
        let attack = EvasionFindings.techniqueName(cell.spec)
        let defence = c.defence.map { "\($0.transform) (attacked with the \($0.gradient) gradient)" } ?? e.name
        let reasons = c.unreliableReasons
        return Finding(id: "evasion.defence.\(e.name).\(cell.spec.label).\(eps)", threat: .evasion, technique: "Defence: \(defence)",
                       atlasID: ATLAS.craftAdversarialData, owaspID: OWASPML.inputManipulation,
                       severity: EvasionFindings.severity(clean: c.evaluation.cleanAccuracy, robust: cell.metrics.robustAccuracy),
                       title: "\(defence): clean accuracy \(p(before.cleanAccuracy)) → \(p(c.evaluation.cleanAccuracy)); under \(attack) at ε = \(eps) "
                           + "\(p(base.metrics.robustAccuracy)) → \(p(cell.metrics.robustAccuracy))" + (reasons.isEmpty ? "" : " (unreliable)"),
                       detail: "Before: the model without the defence; after: with it, same attack, ε, examples and seed "
                           + "(\(c.evaluation.examples) examples). " + (c.checklist == nil ? "The gradient-masking checklist was skipped. " : "")
                           + EvasionFindings.caveat,
                       metrics: [Metric("clean_accuracy_before", before.cleanAccuracy, unit: "fraction"),
                                 Metric("clean_accuracy_after", c.evaluation.cleanAccuracy, unit: "fraction"),
                                 Metric("robust_accuracy_before", base.metrics.robustAccuracy, unit: "fraction"),
                                 Metric("robust_accuracy_after", cell.metrics.robustAccuracy, unit: "fraction")],
                       artifact: e.artifact, reproduce: e.reproduce,
                       reliability: reasons.isEmpty ? .reliable : .unreliable(reasons: reasons))
    }

    static func certificationFinding(_ r: CertificationResult, evidence e: DefenceEvidence) -> Finding {
        let p = EvasionFindings.percent
        let figures = r.curve.map { "\(p($0.certifiedAccuracy)) at r = \(EvasionFindings.number($0.radius))" }
        var metrics = [Metric("examples", Double(r.examples.count)), Metric("sigma", Double(r.sigma)), Metric("n0", Double(r.n0)),
                       Metric("n", Double(r.n)), Metric("alpha", r.alpha), Metric("abstention_rate", r.abstentionRate, unit: "fraction")]
        metrics += r.curve.map { Metric("certified_accuracy@\(EvasionFindings.number($0.radius))", $0.certifiedAccuracy, unit: "fraction") }
        return Finding(id: "evasion.certified.sigma-\(EvasionFindings.number(Double(r.sigma)))", threat: .evasion,
                       technique: "Randomized smoothing (Cohen et al. 2019), σ = \(EvasionFindings.number(Double(r.sigma)))",
                       atlasID: ATLAS.craftAdversarialData, owaspID: OWASPML.inputManipulation, severity: .info,
                       title: "Certified L2 accuracy of the smoothed classifier: " + figures.joined(separator: ", "),
                       detail: "On \(r.examples.count) examples, the smoothed classifier's prediction is certified not to change within the L2 radius, "
                           + "each certificate with probability ≥ \(1 - r.alpha) over the sampling noise (\(r.n0) selection and \(r.n) estimation draws, "
                           + "Clopper–Pearson bound, seed \(r.seed)); it abstained on \(p(r.abstentionRate)). This is a guarantee for the smoothed "
                           + "classifier, not for the base model.",
                       metrics: metrics, artifact: e.artifact, reproduce: e.reproduce)
    }

    static func detectorFinding(_ d: DetectorEvaluationResult, evidence e: DefenceEvidence) -> Finding {
        let p = EvasionFindings.percent
        let eps = EvasionFindings.number(Double(d.epsilon))
        let a = d.adaptive, n = d.nonAdaptive
        return Finding(id: "evasion.detector.\(d.detector)", threat: .evasion, technique: "Detector: \(d.detector)", atlasID: ATLAS.evadeModel,
                       owaspID: OWASPML.inputManipulation,
                       severity: EvasionFindings.severity(clean: d.cleanAccuracy, robust: min(a.pipelineRobustAccuracy, n.pipelineRobustAccuracy)),
                       title: "\(d.detector): ROC AUC \(String(format: "%.3f", d.detection.rocAUC)), TPR \(p(d.truePositiveRate)) at FPR \(p(d.falsePositiveRate)); "
                           + "adaptive attack at ε = \(eps): detection \(p(n.detectionRate)) → \(p(a.detectionRate)), model + detector robust accuracy "
                           + "\(p(n.pipelineRobustAccuracy)) → \(p(a.pipelineRobustAccuracy))",
                       detail: "Threshold \(String(format: "%.4g", d.threshold)) chosen on \(d.calibrationExamples) clean calibration inputs for a "
                           + "\(p(d.targetFalsePositiveRate)) false-alarm rate; \(d.examples) other examples attacked (\(d.norm.rawValue), \(d.iterations) steps, seed \(d.seed)). "
                           + "Non-adaptive: PGD on the model alone. Adaptive: PGD on model + detector (margin loss + λ·score/threshold, λ = "
                           + "\(EvasionFindings.number(Double(d.detectorWeight)))). An attack succeeds against the pipeline only if the input is misclassified and not flagged. "
                           + "A detector that only stops non-adaptive attacks offers little protection against an attacker who knows it.",
                       metrics: [Metric("roc_auc", d.detection.rocAUC), Metric("threshold", d.threshold),
                                 Metric("false_positive_rate", d.falsePositiveRate, unit: "fraction"),
                                 Metric("true_positive_rate", d.truePositiveRate, unit: "fraction"),
                                 Metric("detection_rate_nonadaptive", n.detectionRate, unit: "fraction"),
                                 Metric("detection_rate_adaptive", a.detectionRate, unit: "fraction"),
                                 Metric("pipeline_robust_accuracy_nonadaptive", n.pipelineRobustAccuracy, unit: "fraction"),
                                 Metric("pipeline_robust_accuracy_adaptive", a.pipelineRobustAccuracy, unit: "fraction")],
                       artifact: e.artifact, reproduce: e.reproduce)
    }
}
