public import BulwarkPoisoning
import Foundation

/// Turns typed poisoning results into findings: an attack's measured effect
/// (``PoisoningEvaluation``), what poison detectors flagged (``PoisonDetectionResult``), and
/// what a training-data check found (``DataCheckReport`` or a ``DatasetProfile``).
///
/// Tags: a backdoor (an evaluation with an attack success rate) is ATLAS `AML.T0018.000`
/// (Backdoor ML Model: Poison ML Model) with OWASP ML10:2023; label flipping and clean-label
/// targeted poison, detector flags on training data, and data-check problems are `AML.T0020`
/// (Poison Training Data) with ML02:2023; Neural Cleanse, which inspects the model for a
/// trigger, is `AML.T0018` with ML10:2023.
///
/// Severity of an attack's effect: the increase of attack success (or victim target rate) over
/// the clean model, ≥ 50 % high, ≥ 20 % medium, ≥ 5 % low, else info; an accuracy drop of ≥ 10
/// points high, ≥ 3 medium, ≥ 1 low. A detector that flags nothing yields an `info` finding that
/// says so and never reads as "clean": detectors miss clean-label poison and poison below their
/// thresholds.
///
/// ```swift
/// let model = ZooArchitecture.cnn.makeModel(seed: 0)
/// let (x, y) = (Tensor.zeros([20, 1, 28, 28]), (0..<20).map { $0 % 10 })
/// let result = try SpectralSignatures().detect(model: model, inputs: x, labels: y)
/// let findings = PoisoningFindings.findings(detections: [result], reproduce: "bulwark data detect …")
/// ```
public enum PoisoningFindings {
    /// The caveat every detection finding and the section carry.
    public static let caveat = "A detector that flags nothing does not show the data is clean: activation clustering and spectral "
        + "signatures look for backdoor poison that forms its own group in the model's features, and miss clean-label poison "
        + "and poison rates below their thresholds."

    /// Severity of an attack-success (or victim-target) increase over the clean model.
    public static func severity(successIncrease d: Double) -> Severity {
        if d >= 0.5 { return .high }
        if d >= 0.2 { return .medium }
        if d >= 0.05 { return .low }
        return .info
    }

    /// Severity of a clean-accuracy drop (a positive fraction: 0.1 is ten points).
    public static func severity(accuracyDrop d: Double) -> Severity {
        if d >= 0.1 { return .high }
        if d >= 0.03 { return .medium }
        if d >= 0.01 { return .low }
        return .info
    }

    /// A human name for a detector's method string (`activation-clustering` → `Activation clustering`).
    public static func methodName(_ method: String) -> String {
        switch method {
        case "activation-clustering": "Activation clustering"
        case "spectral-signatures": "Spectral signatures"
        case "loss-outlier": "Loss outliers"
        case "strip": "STRIP"
        case "neural-cleanse": "Neural Cleanse"
        default: method
        }
    }

    // MARK: - Attack evaluation

    /// Findings for a measured attack: a backdoor finding when the evaluation has an attack
    /// success rate, a targeted-poison finding when it has victims, and a clean-accuracy finding
    /// (label flipping's effect, or a backdoor's side effect) when a clean model was measured.
    /// `technique` names the attack (e.g. `BadNets backdoor`).
    public static func findings(evaluation e: PoisoningEvaluation, technique: String, reproduce: String, artifact: String? = nil) -> [Finding] {
        var out: [Finding] = []
        let p = e.poisoned
        let base = [Metric("clean_accuracy", p.cleanAccuracy, unit: "fraction"), Metric("test_examples", Double(p.cleanCount))]
            + (e.clean.map { [Metric("clean_model_accuracy", $0.cleanAccuracy, unit: "fraction")] } ?? [])
        if let asr = p.attackSuccessRate {
            let natural = e.clean?.attackSuccessRate
            let increase = e.attackSuccessDelta ?? asr
            var detail = "\(percent(asr)) of \(p.triggeredCount ?? 0) triggered test inputs outside class \(e.targetClass) are classified as class \(e.targetClass)"
            detail += natural.map { " (the clean model: \(percent($0)), the trigger's natural effect)." } ?? " (no clean model was measured, so the trigger's natural effect is not subtracted)."
            detail += " Clean accuracy stays \(percent(p.cleanAccuracy))"
            detail += e.cleanAccuracyDelta.map { " (\(signedPoints($0)) against the clean model)" } ?? ""
            detail += ": the backdoor is invisible to an accuracy check. Inspect the training data (bulwark data detect) and retrain on a verified set."
            out.append(Finding(
                id: "poisoning.backdoor.target-\(e.targetClass)", threat: .poisoning, technique: technique,
                atlasID: ATLAS.poisonModel, owaspID: OWASPML.modelPoisoning, severity: severity(successIncrease: increase),
                title: "\(technique): attack success \(percent(asr))" + (natural.map { " (clean model \(percent($0)))" } ?? "")
                    + ", clean accuracy \(percent(p.cleanAccuracy))",
                detail: detail,
                metrics: base + [Metric("attack_success_rate", asr, unit: "fraction"), Metric("triggered_examples", Double(p.triggeredCount ?? 0))]
                    + (natural.map { [Metric("clean_model_attack_success_rate", $0, unit: "fraction")] } ?? []),
                artifact: artifact, reproduce: reproduce))
        }
        if let v = p.victimTargetRate {
            let natural = e.clean?.victimTargetRate
            let increase = e.victimTargetDelta ?? v
            out.append(Finding(
                id: "poisoning.targeted.target-\(e.targetClass)", threat: .poisoning, technique: technique,
                atlasID: ATLAS.poisonTrainingData, owaspID: OWASPML.dataPoisoning, severity: severity(successIncrease: increase),
                title: "\(technique): \(percent(v)) of \(p.victimCount ?? 0) victims classified as class \(e.targetClass)"
                    + (natural.map { " (clean model \(percent($0)))" } ?? ""),
                detail: "Poison with correct labels moved the chosen victims into class \(e.targetClass); clean accuracy is \(percent(p.cleanAccuracy))"
                    + (e.cleanAccuracyDelta.map { " (\(signedPoints($0)) against the clean model)" } ?? "")
                    + ". Clean-label poison passes label audits; check the data's provenance (bulwark data manifest).",
                metrics: base + [Metric("victim_target_rate", v, unit: "fraction"), Metric("victims", Double(p.victimCount ?? 0))]
                    + (natural.map { [Metric("clean_model_victim_target_rate", $0, unit: "fraction")] } ?? []),
                artifact: artifact, reproduce: reproduce))
        }
        if let delta = e.cleanAccuracyDelta, let clean = e.clean, p.attackSuccessRate == nil, p.victimTargetRate == nil {
            let drop = max(0, -delta)
            out.append(Finding(
                id: "poisoning.availability", threat: .poisoning, technique: technique,
                atlasID: ATLAS.poisonTrainingData, owaspID: OWASPML.dataPoisoning, severity: severity(accuracyDrop: drop),
                title: "\(technique): clean accuracy \(percent(clean.cleanAccuracy)) → \(percent(p.cleanAccuracy)) (\(signedPoints(delta)))",
                detail: "Training on the poisoned data changed test accuracy by \(signedPoints(delta)) on \(p.cleanCount) test examples, "
                    + "against the same architecture trained on clean data. Validate labels before training (bulwark data check).",
                metrics: base + [Metric("clean_accuracy_delta", delta, unit: "fraction")], artifact: artifact, reproduce: reproduce))
        }
        return out
    }

    // MARK: - Detection

    /// One finding per detector result. `examples` is how many examples (or classes) were
    /// examined; `poisonIndices`, when the ground truth is known, adds precision and recall.
    public static func findings(detections: [PoisonDetectionResult], poisonIndices: [Int]? = nil, reproduce: String,
                                artifact: String? = nil) -> [Finding] {
        detections.map { finding(detection: $0, poisonIndices: poisonIndices, reproduce: reproduce, artifact: artifact) }
    }

    static func finding(detection r: PoisonDetectionResult, poisonIndices: [Int]?, reproduce: String, artifact: String?) -> Finding {
        let name = methodName(r.method)
        let examined = r.scores.count
        let flagged = r.flaggedIndices.count
        let isClass = r.unit == .class
        let noun = isClass ? "classes" : "training examples"
        let (atlas, owasp) = isClass ? (ATLAS.backdoorModel, OWASPML.modelPoisoning) : (ATLAS.poisonTrainingData, OWASPML.dataPoisoning)
        var metrics = [Metric("examined", Double(examined)), Metric("flagged", Double(flagged)),
                       Metric("flagged_fraction", examined > 0 ? Double(flagged) / Double(examined) : 0, unit: "fraction")]
        var qualityText = ""
        if let truth = poisonIndices, !isClass, let q = try? DetectionQuality(flagged: r.flaggedIndices, poisonIndices: truth, count: examined) {
            metrics += [Metric("precision", q.precision, unit: "fraction"), Metric("recall", q.recall, unit: "fraction"), Metric("f1", q.f1),
                        Metric("true_positives", Double(q.truePositives)), Metric("known_poison", Double(Set(truth).count))]
            qualityText = String(format: "; precision %.3f, recall %.3f against %d known poison", q.precision, q.recall, Set(truth).count)
        }
        let settings = r.parameters.keys.sorted().map { "\($0) \(r.parameters[$0] ?? "")" }.joined(separator: ", ")
        let settingsText = settings.isEmpty ? "" : " Settings: \(settings)."
        let fixedFraction = r.method == "spectral-signatures"
        guard flagged > 0 else {
            return Finding(
                id: "poisoning.detect.\(r.method)", threat: .poisoning, technique: name, atlasID: atlas, owaspID: owasp, severity: .info,
                title: "No poison flagged by \(name) in \(examined) \(noun)" + qualityText,
                detail: "\(name) flagged none of the \(examined) \(noun) it examined.\(settingsText) " + caveat,
                metrics: metrics, artifact: artifact, reproduce: reproduce)
        }
        let listed = r.flaggedIndices.prefix(10).map(String.init).joined(separator: ", ") + (flagged > 10 ? ", …" : "")
        var detail = "\(name) flagged \(flagged) of \(examined) \(noun) (\(isClass ? "classes" : "indices") \(listed)).\(settingsText) "
        if fixedFraction {
            detail += "Spectral signatures removes a fixed fraction of every class by construction, so a flag is a candidate to inspect, not evidence of poison. "
        } else {
            detail += "Inspect the flagged \(noun) before trusting the data; retraining without them (bulwark poison repair) shows whether they carried a backdoor. "
        }
        let severity: Severity
        if let truth = poisonIndices, !truth.isEmpty, !isClass {
            severity = .medium  // poison is known to be present
        } else if isClass {
            severity = .medium  // a class whose reverse-engineered trigger is anomalously small: a likely backdoor target
        } else {
            severity = fixedFraction ? .info : .low
        }
        return Finding(
            id: "poisoning.detect.\(r.method)", threat: .poisoning, technique: name, atlasID: atlas, owaspID: owasp, severity: severity,
            title: "\(name) flagged \(flagged) of \(examined) \(noun) (\(percent(Double(flagged) / Double(max(1, examined)))))" + qualityText,
            detail: detail + caveat, metrics: metrics, artifact: artifact, reproduce: reproduce)
    }

    // MARK: - Data check

    /// The Bulwark severity of a data-check severity (the same four levels).
    public static func severity(_ s: ValidationFinding.Severity) -> Severity {
        switch s {
        case .info: .info
        case .low: .low
        case .medium: .medium
        case .high: .high
        }
    }

    /// A human name for a data-check finding's kind.
    public static func kindName(_ k: ValidationFinding.Kind) -> String {
        switch k {
        case .distributionShift: "Distribution shift"
        case .labelSkew: "Label skew"
        case .outOfRange: "Values outside the reference range"
        case .invalidValue: "Values outside the valid range"
        case .nonFinite: "Non-finite values"
        case .conflictingLabels: "Identical examples with conflicting labels"
        case .exactDuplicate: "Exact duplicates"
        case .nearDuplicate: "Near-duplicates"
        case .shapeMismatch: "Shape mismatch"
        }
    }

    /// One finding per problem of a data check; one `info` finding saying what was checked
    /// when it found nothing (which is not proof the data is unpoisoned).
    public static func findings(dataCheck r: DataCheckReport, reproduce: String, artifact: String? = nil) -> [Finding] {
        guard !r.findings.isEmpty else {
            return [Finding(
                id: "poisoning.data.no-findings", threat: .poisoning, technique: "Training-data validation",
                atlasID: ATLAS.poisonTrainingData, owaspID: OWASPML.dataPoisoning, severity: .info,
                title: "Data check found no problem in \(r.count) examples" + (r.comparedWithReference ? " against the reference profile" : ""),
                detail: "No corrupt records, duplicates or conflicting labels" + (r.comparedWithReference ? ", and no shift, label skew or out-of-range values against the reference" : "")
                    + ". This is a check of the data's form, not proof that it carries no poison: well-made poison looks like clean data.",
                metrics: summaryMetrics(r), artifact: artifact, reproduce: reproduce)]
        }
        var seen: [ValidationFinding.Kind: Int] = [:]
        return r.findings.map { v in
            let n = seen[v.kind, default: 0]
            seen[v.kind] = n + 1
            var metrics = [Metric("examples", Double(r.count))]
            if !v.indices.isEmpty { metrics.append(Metric("affected_examples", Double(v.indices.count))) }
            if !v.features.isEmpty { metrics.append(Metric("affected_features", Double(v.features.count))) }
            if let s = v.score { metrics.append(Metric(v.kind.rawValue + "_score", s)) }
            return Finding(
                id: "poisoning.data.\(v.kind.rawValue)" + (n > 0 ? ".\(n)" : ""), threat: .poisoning, technique: "Training-data validation (\(kindName(v.kind).lowercased()))",
                atlasID: ATLAS.poisonTrainingData, owaspID: OWASPML.dataPoisoning, severity: severity(v.severity),
                title: "\(kindName(v.kind)): " + v.message,
                detail: advice(v.kind), metrics: metrics, artifact: artifact, reproduce: reproduce)
        }
    }

    static func summaryMetrics(_ r: DataCheckReport) -> [Metric] {
        [Metric("examples", Double(r.count))] + r.scores.keys.sorted().map { Metric($0, r.scores[$0] ?? 0) }
    }

    static func advice(_ k: ValidationFinding.Kind) -> String {
        switch k {
        case .distributionShift, .outOfRange:
            "The data no longer looks like the reference it was profiled from: find where the new records came from before training on them; injected poison often shifts the input distribution."
        case .labelSkew:
            "The label proportions moved away from the reference; label flipping and injected poison both skew labels. Audit the labels of the over-represented classes."
        case .invalidValue, .nonFinite:
            "Corrupt records: drop or repair them before training (a single NaN can ruin a training run, and malformed records are a cheap injection vector)."
        case .conflictingLabels:
            "Identical inputs carry different labels: a sign of label noise or of label flipping. Keep one label per input after an audit."
        case .exactDuplicate, .nearDuplicate:
            "Repeated examples weigh more in training; an attacker repeats poison to strengthen it. Deduplicate, and check where the copies came from."
        case .shapeMismatch:
            "The data has another shape than the reference; nothing was compared."
        }
    }

    /// Findings from a training-set profile: corrupt records, exact and near-duplicates,
    /// conflicting labels, and duplicates shared with the evaluation set (which inflate measured
    /// accuracy and leak test data into training). Severities follow ``DataCheck``'s: corrupt
    /// records high, conflicting labels and cross-split duplicates medium, duplicates low; one
    /// `info` finding when the profile shows none of these.
    public static func findings(profile p: DatasetProfile, reproduce: String, artifact: String? = nil) -> [Finding] {
        var out: [Finding] = []
        func add(_ kind: String, _ severity: Severity, _ title: String, _ detail: String, _ metrics: [Metric]) {
            out.append(Finding(id: "poisoning.profile.\(kind)", threat: .poisoning, technique: "Training-data validation (\(kind.replacingOccurrences(of: "-", with: " ")))",
                               atlasID: ATLAS.poisonTrainingData, owaspID: OWASPML.dataPoisoning, severity: severity, title: title,
                               detail: detail, metrics: [Metric("examples", Double(p.count))] + metrics, artifact: artifact, reproduce: reproduce))
        }
        let c = p.corrupt, d = p.duplicates
        if !c.nonFinite.isEmpty {
            add("non-finite", .high, "\(c.nonFinite.count) of \(p.count) training examples hold NaN or infinity", advice(.nonFinite),
                [Metric("non_finite", Double(c.nonFinite.count))])
        }
        if !c.outOfRange.isEmpty {
            let range = p.validRange.map { "[\(number($0.first ?? 0)), \(number($0.last ?? 0))]" } ?? "the valid range"
            add("invalid-value", .high, "\(c.outOfRange.count) of \(p.count) training examples hold values outside \(range)", advice(.invalidValue),
                [Metric("invalid_value", Double(c.outOfRange.count))])
        }
        if !d.conflictingLabelGroups.isEmpty {
            add("conflicting-labels", .medium, "\(d.conflictingLabelGroups.count) group(s) of identical training examples carry different labels",
                advice(.conflictingLabels), [Metric("conflicting_groups", Double(d.conflictingLabelGroups.count))])
        }
        let copies = d.exactGroups.reduce(0) { $0 + $1.count - 1 }
        if copies > 0 {
            add("exact-duplicates", .low, "\(copies) training example(s) duplicate an earlier one exactly (\(d.exactGroups.count) group(s))",
                advice(.exactDuplicate), [Metric("exact_duplicates", Double(copies))])
        }
        if d.nearPairCount > 0 {
            add("near-duplicates", .low, "\(d.nearPairCount) near-duplicate pair(s) within RMS \(number(p.nearDuplicateRMS)) in the training data",
                advice(.nearDuplicate), [Metric("near_duplicate_pairs", Double(d.nearPairCount))])
        }
        if let tests = p.testCount, d.crossSplitExactCount + d.crossSplitNearCount > 0 {
            let pairs = d.crossSplitPairs.prefix(3).map { "train \($0.first) ~ test \($0.second)" }.joined(separator: ", ")
            add("cross-split-duplicates", .medium,
                "\(d.crossSplitExactCount) identical and \(d.crossSplitNearCount) near-duplicate (training, evaluation) pair(s) across \(p.count) training and \(tests) evaluation examples",
                "Evaluation examples that also sit in the training data inflate every measured accuracy and leak the test set into training (e.g. \(pairs)). Remove them from one side before trusting the figures.",
                [Metric("cross_split_exact", Double(d.crossSplitExactCount)), Metric("cross_split_near", Double(d.crossSplitNearCount)),
                 Metric("evaluation_examples", Double(tests))])
        }
        if out.isEmpty {
            add("no-findings", .info,
                "Training-data profile of \(p.count) examples: no corrupt records or duplicates" + (p.testCount.map { ", none shared with the \($0) evaluation examples" } ?? ""),
                "This is a check of the data's form, not proof that it carries no poison: well-made poison looks like clean data.",
                [Metric("exact_duplicates", 0), Metric("near_duplicate_pairs", 0)])
        }
        return out
    }

    // MARK: - Formatting

    /// A fraction as a percentage with one decimal (`0.123` → `12.3%`).
    package static func percent(_ v: Double) -> String { String(format: "%.1f%%", v * 100) }

    /// A signed difference of fractions in percentage points (`-0.02` → `-2.0 pts`).
    package static func signedPoints(_ v: Double) -> String { String(format: "%+.1f pts", v * 100) }

    /// A short decimal without trailing zeros.
    package static func number(_ v: Double) -> String { EvasionFindings.number(v) }
}
