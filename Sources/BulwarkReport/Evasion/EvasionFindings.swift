public import BulwarkEvasion
import Foundation

/// One evaluation to put in a report, with how to reproduce it.
///
/// Several runs in one report (say white-box attacks on 1000 examples and a black-box attack on
/// the first 100) must evaluate prefixes of the same data: example `i` is the same input in
/// every run. The cross-run sanity checks rely on that.
public struct EvaluationRun: Sendable {
    /// Short name, e.g. `"white-box"`; used in finding ids and headings.
    public var name: String
    /// What the evaluation measured.
    public var result: EvaluationResult
    /// The command that reproduces it.
    public var reproduce: String
    /// The model file evaluated, when there is one.
    public var artifact: String?

    /// A run for a report.
    public init(name: String, result: EvaluationResult, reproduce: String, artifact: String? = nil) {
        self.name = name
        self.result = result
        self.reproduce = reproduce
        self.artifact = artifact
    }
}

/// Turns typed evasion evaluations (``EvaluationResult``) into findings and a report section.
///
/// One finding per attack (all its ε), one per norm for the worst case over the attacks, each
/// tagged with MITRE ATLAS (`AML.T0043.000` white-box / `AML.T0043.001` black-box optimisation,
/// `AML.T0043` for the ensemble) and OWASP ML01:2023 (input manipulation). Robust accuracy is
/// always presented as the accuracy under the attacks that ran, never as a guarantee.
///
/// Severity is judged at the ε where the attack did the most damage (the largest ε run, since
/// robust accuracy falls with ε), from the fraction of clean accuracy it removed: ≥ 50 % high,
/// ≥ 20 % medium, ≥ 5 % low, else info. The title lists the figure at every ε, so a reader can
/// judge the ε that matches their threat model.
///
/// Sanity checks (Carlini et al. 2019, "On Evaluating Adversarial Robustness") mark a finding
/// ``Reliability/unreliable(reasons:)`` when an iterative attack is weaker than FGSM at the same
/// ε, when an attack's robust accuracy rises with ε, or when a black-box attack beats every
/// gradient attack on the same examples (signs of gradient masking or a too-weak attack).
public enum EvasionFindings {
    /// The caveat every evasion finding and section carries.
    public static let caveat = "Robust accuracy is the accuracy under the attacks that were run, with the budgets shown; "
        + "it is not a guarantee: a stronger or adaptive attack can only lower it."

    /// A human name for an attack spec, e.g. `PGD (L∞, 10 steps)`.
    public static func techniqueName(_ spec: AttackSpec) -> String {
        let norm = spec.norm == .linf ? "L∞" : "L2"
        switch spec.kind {
        case .fgsm: return "FGSM (\(norm))"
        case .bim: return "BIM (\(norm), \(spec.maxIterations) steps)"
        case .pgd: return "PGD (\(norm), \(spec.maxIterations) steps" + (spec.restarts > 0 ? ", \(spec.restarts) restarts)" : ")")
        case .deepfool: return "DeepFool (\(norm), ≤ \(spec.maxIterations) steps, bounded by ε)"
        case .apgdCE: return "APGD-CE (\(norm), \(spec.maxIterations) steps)"
        case .apgdDLR: return "APGD-DLR (\(norm), \(spec.maxIterations) steps)"
        case .cw: return "Carlini–Wagner (L2, bounded by ε)"
        case .square: return "Square Attack (\(norm), \(spec.maxQueries ?? 1000) queries, black-box)"
        case .hsj: return "HopSkipJump (\(norm), \(spec.maxQueries ?? 5000) queries, decision-based)"
        }
    }

    /// Whether the attack sees only the model's outputs.
    public static func isBlackBox(_ kind: AttackSpec.Kind) -> Bool { kind == .square || kind == .hsj }

    /// The ATLAS technique of an attack: white-box or black-box optimisation.
    public static func atlasID(for kind: AttackSpec.Kind) -> String {
        isBlackBox(kind) ? ATLAS.blackBoxOptimization : ATLAS.whiteBoxOptimization
    }

    /// Severity from clean and robust accuracy (see the type's documentation).
    public static func severity(clean: Double, robust: Double) -> Severity {
        guard clean > 0 else { return .info }
        let loss = (clean - robust) / clean
        if loss >= 0.5 { return .high }
        if loss >= 0.2 { return .medium }
        if loss >= 0.05 { return .low }
        return .info
    }

    /// Findings for `runs`: one per attack spec per run, one per norm per run for the ensemble.
    public static func findings(_ runs: [EvaluationRun]) -> [Finding] {
        var out: [Finding] = []
        let masking = blackBoxWarnings(runs)
        for run in runs {
            let r = run.result
            var specs: [AttackSpec] = []
            for c in r.attacks where !specs.contains(c.spec) { specs.append(c.spec) }
            for spec in specs {
                let cells = r.attacks.filter { $0.spec == spec }.sorted { $0.epsilon < $1.epsilon }
                guard !cells.isEmpty else { continue }
                var reasons = risingWithEpsilon(cells)
                reasons += weakerThanFGSM(spec, in: r)
                if !isBlackBox(spec.kind) { reasons += masking[spec.norm] ?? [] }
                let name = techniqueName(spec)
                let figures = cells.map { "\(percent($0.metrics.robustAccuracy)) at ε = \(number(Double($0.epsilon)))" }
                let last = cells[cells.count - 1]
                var metrics = [Metric("examples", Double(r.examples)), Metric("clean_accuracy", r.cleanAccuracy, unit: "fraction")]
                for c in cells {
                    let e = number(Double(c.epsilon))
                    metrics.append(Metric("robust_accuracy@\(e)", c.metrics.robustAccuracy, unit: "fraction"))
                    metrics.append(Metric("success_rate@\(e)", c.metrics.attackSuccessRate, unit: "fraction"))
                    metrics.append(Metric(spec.norm == .linf ? "mean_linf@\(e)" : "mean_l2@\(e)",
                                          spec.norm == .linf ? c.metrics.meanLinf : c.metrics.meanL2))
                    if isBlackBox(spec.kind) { metrics.append(Metric("mean_queries@\(e)", c.metrics.meanQueries, unit: "queries")) }
                }
                let detail = "On \(r.examples) examples (clean accuracy \(percent(r.cleanAccuracy))), \(name) changed the prediction of "
                    + "\(percent(last.metrics.attackSuccessRate)) of the correctly classified ones at ε = \(number(Double(last.epsilon))) "
                    + "(\(spec.norm.rawValue) norm, clip range [\(number(Double(r.clipMin))), \(number(Double(r.clipMax)))], seed \(r.seed)). "
                    + caveat
                out.append(Finding(
                    id: "evasion.\(run.name).\(spec.label)", threat: .evasion, technique: name, atlasID: atlasID(for: spec.kind),
                    owaspID: OWASPML.inputManipulation,
                    severity: cells.map { severity(clean: r.cleanAccuracy, robust: $0.metrics.robustAccuracy) }.max() ?? .info,
                    title: "\(name): accuracy \(percent(r.cleanAccuracy)) clean → " + figures.joined(separator: ", "),
                    detail: detail, metrics: metrics, artifact: run.artifact, reproduce: run.reproduce,
                    reliability: reasons.isEmpty ? .reliable : .unreliable(reasons: reasons)))
            }
            for norm in PerturbationNorm.allCases {
                let points = r.curve.filter { $0.norm == norm }.sorted { $0.epsilon < $1.epsilon }
                let attackCount = Set(r.attacks.filter { $0.spec.norm == norm }.map(\.spec.label)).count
                guard !points.isEmpty, attackCount > 1 else { continue }
                let figures = points.map { "\(percent($0.robustAccuracy)) at ε = \(number(Double($0.epsilon)))" }
                out.append(Finding(
                    id: "evasion.\(run.name).ensemble-\(norm.rawValue)", threat: .evasion,
                    technique: "Worst case over \(attackCount) attacks (\(norm == .linf ? "L∞" : "L2"))",
                    atlasID: ATLAS.craftAdversarialData, owaspID: OWASPML.inputManipulation,
                    severity: points.map { severity(clean: r.cleanAccuracy, robust: $0.robustAccuracy) }.max() ?? .info,
                    title: "Per-example worst case over \(attackCount) attacks: accuracy \(percent(r.cleanAccuracy)) clean → " + figures.joined(separator: ", "),
                    detail: "An example counts as robust only if it is classified correctly and none of the \(attackCount) attacks "
                        + "(\(norm.rawValue)) succeeded on it at that ε or a smaller one, as AutoAttack reports it. " + caveat,
                    metrics: [Metric("examples", Double(r.examples)), Metric("clean_accuracy", r.cleanAccuracy, unit: "fraction")]
                        + points.map { Metric("robust_accuracy@\(number(Double($0.epsilon)))", $0.robustAccuracy, unit: "fraction") },
                    artifact: run.artifact, reproduce: run.reproduce,
                    reliability: (masking[norm] ?? []).isEmpty ? .reliable : .unreliable(reasons: masking[norm] ?? [])))
            }
        }
        return out
    }

    /// Tolerance of the sanity checks: one example or one percentage point, whichever is larger.
    static func tolerance(_ examples: Int) -> Double { max(0.01, 1 / Double(max(examples, 1))) + 1e-12 }

    /// An attack whose robust accuracy rises with ε is not optimising properly.
    static func risingWithEpsilon(_ cells: [AttackEvaluation]) -> [String] {
        var reasons: [String] = []
        for (a, b) in zip(cells, cells.dropFirst()) where b.metrics.robustAccuracy > a.metrics.robustAccuracy + tolerance(b.metrics.examples) {
            reasons.append("robust accuracy rises from \(percent(a.metrics.robustAccuracy)) at ε = \(number(Double(a.epsilon))) to "
                           + "\(percent(b.metrics.robustAccuracy)) at ε = \(number(Double(b.epsilon))): the attack is not converging")
        }
        return reasons
    }

    /// An iterative gradient attack weaker than single-step FGSM suggests masked gradients or too few steps.
    static func weakerThanFGSM(_ spec: AttackSpec, in r: EvaluationResult) -> [String] {
        guard [.bim, .pgd, .apgdCE, .apgdDLR].contains(spec.kind) else { return [] }
        var reasons: [String] = []
        for cell in r.attacks where cell.spec == spec {
            guard let fgsm = r.attacks.first(where: { $0.spec.kind == .fgsm && $0.spec.norm == spec.norm && $0.epsilon == cell.epsilon })
            else { continue }
            if cell.metrics.robustAccuracy > fgsm.metrics.robustAccuracy + tolerance(r.examples) {
                reasons.append("weaker than single-step FGSM at ε = \(number(Double(cell.epsilon))) (\(percent(cell.metrics.robustAccuracy)) vs "
                               + "\(percent(fgsm.metrics.robustAccuracy))): gradient masking or too few steps")
            }
        }
        return reasons
    }

    /// Per norm: reasons why a black-box attack that beats every gradient attack on the same
    /// examples casts doubt on the gradient attacks.
    static func blackBoxWarnings(_ runs: [EvaluationRun]) -> [PerturbationNorm: [String]] {
        var out: [PerturbationNorm: [String]] = [:]
        let whiteCells = runs.flatMap { $0.result.attacks }.filter { !isBlackBox($0.spec.kind) }
        for run in runs {
            for cell in run.result.attacks where isBlackBox(cell.spec.kind) {
                let gradient = whiteCells.filter { $0.spec.norm == cell.spec.norm && $0.epsilon <= cell.epsilon }
                guard !gradient.isEmpty else { continue }
                let n = min(cell.outcomes.count, gradient.map(\.outcomes.count).min() ?? 0)
                guard n > 0 else { continue }
                let black = ensembleRobustAccuracy([Array(cell.outcomes.prefix(n))])
                let white = ensembleRobustAccuracy(gradient.map { Array($0.outcomes.prefix(n)) })
                if black + tolerance(n) < white {
                    out[cell.spec.norm, default: []].append(
                        "the black-box \(cell.spec.kind.rawValue) attack leaves \(percent(black)) standing at ε = \(number(Double(cell.epsilon))) "
                        + "on the first \(n) examples, the gradient attacks \(percent(white)): gradients may be masked")
                }
            }
        }
        return out
    }

    /// `0.9123` → `91.2%`.
    static func percent(_ v: Double) -> String { String(format: "%.1f%%", v * 100) }

    /// A short decimal without trailing zeros (`0.1`, `0.03`, `1`).
    package static func number(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
        return String(format: "%g", Double(String(format: "%.4g", v)) ?? v)
    }
}
