import BulwarkModels
public import BulwarkPrivacy
import Foundation

/// Turns a privacy audit (``PrivacyAuditResult``) into findings and report sections, beside the
/// evasion and scan findings.
///
/// One finding per membership attack (ATLAS `AML.T0024.000`, OWASP ML04:2023), severity from the
/// attack's advantage and low-FPR true-positive rate, raised to critical when its ε lower bound
/// exceeds the ε the model claims (the DP claim is then false); one for attribute inference and
/// one for model inversion when they ran. Sections: the ROC curves, the attack table, and the
/// inversion images for single-channel inputs.
///
/// ```swift
/// let model = try ModelFile.load(path: "mlp.safetensors").model
/// let (members, others) = (try FashionMNIST.load(.train, limit: 500), try FashionMNIST.load(.test, limit: 500))
/// let result = try PrivacyAudit().run(model, members: (members.inputs, members.labels),
///                                     nonMembers: (others.inputs, others.labels))
/// let report = PrivacyFindings.report(result, model: "mlp.safetensors", command: "bulwark privacy audit …",
///                                     inputShape: [1, 28, 28], toolVersion: BulwarkVersion.current)
/// try ReportWriter.write(report, to: URL(fileURLWithPath: "audit"))
/// ```
public enum PrivacyFindings {
    /// The technique name of a membership attack.
    public static func technique(_ k: MembershipAttackKind) -> String {
        switch k {
        case .loss: "Membership inference (loss threshold)"
        case .confidence: "Membership inference (confidence threshold)"
        case .shadow: "Membership inference (shadow models)"
        case .liraOffline: "Membership inference (LiRA offline)"
        case .liraOnline: "Membership inference (LiRA online)"
        }
    }

    /// Severity of a membership attack's figures: high from advantage 0.2 or 5 % TPR at 0.1 % FPR,
    /// medium from advantage 0.05 or 5 % TPR at 1 % FPR, low from advantage 0.02, else info.
    public static func severity(_ m: MembershipMetrics) -> Severity {
        if m.advantage >= 0.2 || m.tprAtFPR0_1Percent >= 0.05 { return .high }
        if m.advantage >= 0.05 || m.tprAtFPR1Percent >= 0.05 { return .medium }
        if m.advantage >= 0.02 { return .low }
        return .info
    }

    /// The report of an audit of `model` (its path), reproduced by `command`; `inputShape` (the
    /// model's per-example shape) places the inversion images.
    public static func report(_ r: PrivacyAuditResult, model: String, command: String, inputShape: [Int], toolVersion: String) -> Report {
        var findings: [Finding] = []
        for a in r.attacks {
            let m = a.metrics, e = a.empiricalEpsilon
            var sev = severity(m)
            var detail = String(format: "On %d members and %d non-members the attack reaches AUC %.3f, TPR %.3f at 0.1%% FPR and %.3f at 1%% FPR (advantage %.3f). ",
                                r.members, r.nonMembers, m.auc, m.tprAtFPR0_1Percent, m.tprAtFPR1Percent, m.advantage)
            detail += String(format: "Its error rates prove ε ≥ %.3f (δ = %g, %.0f%% Clopper–Pearson confidence, threshold chosen on a disjoint half). ",
                             e.epsilonLowerBound, e.delta, e.confidence * 100)
            if let c = r.claimedEpsilon {
                if e.epsilonLowerBound > c {
                    sev = .critical
                    detail += String(format: "This exceeds the ε = %.3f the model claims: the DP claim is false.", c)
                } else {
                    detail += String(format: "Consistent with the claimed ε = %.3f (a lower bound below the claim does not prove the claim).", c)
                }
            } else {
                detail += "The model claims no differential privacy; DP-SGD (bulwark train --dp) bounds this leakage."
            }
            findings.append(Finding(
                id: "privacy.mia.\(a.attack.rawValue)", threat: .privacy, technique: technique(a.attack),
                atlasID: ATLAS.membershipInference, owaspID: OWASPML.membershipInference, severity: sev,
                title: String(format: "%@: AUC %.3f, advantage %.3f", technique(a.attack), m.auc, m.advantage), detail: detail,
                metrics: [Metric("auc", m.auc), Metric("tpr_at_fpr_0.1%", m.tprAtFPR0_1Percent, unit: "fraction"),
                          Metric("tpr_at_fpr_1%", m.tprAtFPR1Percent, unit: "fraction"), Metric("advantage", m.advantage, unit: "fraction"),
                          Metric("epsilon_lower_bound", e.epsilonLowerBound)],
                artifact: model, reproduce: command))
        }
        if let a = r.attributeInference {
            findings.append(Finding(
                id: "privacy.attribute-inference", threat: .privacy, technique: "Attribute inference (loss-minimising)",
                atlasID: ATLAS.modelInversion, owaspID: OWASPML.modelInversion,
                severity: a.advantage >= 0.05 ? .medium : (a.advantage > 0.01 ? .low : .info),
                title: String(format: "Attribute inference on feature %d: members %.3f vs non-members %.3f", a.featureIndex, a.memberAccuracy, a.nonMemberAccuracy),
                detail: String(format: "Guessing the hidden feature from the model recovers it for %.1f%% of members and %.1f%% of non-members (baseline %.1f%%).",
                               a.memberAccuracy * 100, a.nonMemberAccuracy * 100, a.baselineAccuracy * 100),
                metrics: [Metric("member_accuracy", a.memberAccuracy, unit: "fraction"), Metric("non_member_accuracy", a.nonMemberAccuracy, unit: "fraction"),
                          Metric("baseline_accuracy", a.baselineAccuracy, unit: "fraction")],
                artifact: model, reproduce: command))
        }
        var sections: [Section] = []
        var series = r.attacks.map { a in
            LineChart.Series(name: a.attack.rawValue, points: a.metrics.roc.map { LineChart.Point($0.falsePositiveRate, $0.truePositiveRate) })
        }
        series.append(LineChart.Series(name: "chance", points: [LineChart.Point(0, 0), LineChart.Point(1, 1)], reference: true))
        let rows = r.attacks.map { a in
            [a.attack.rawValue, String(format: "%.4f", a.metrics.auc), String(format: "%.4f", a.metrics.tprAtFPR0_1Percent),
             String(format: "%.4f", a.metrics.tprAtFPR1Percent), String(format: "%.4f", a.metrics.advantage),
             String(format: "%.4f", a.empiricalEpsilon.epsilonLowerBound)]
        }
        sections.append(Section(
            title: "Membership inference",
            text: "Members: \(r.members), non-members: \(r.nonMembers), shadow models: \(r.shadowModels), seed \(r.seed)." + (r.claimedEpsilon.map { String(format: " Claimed ε: %.4f.", $0) } ?? ""),
            charts: [LineChart(title: "ROC curve", xLabel: "false-positive rate", yLabel: "true-positive rate", series: series, yRange: 0...1)],
            tables: [Table(title: "Attacks", columns: ["attack", "AUC", "TPR@0.1%FPR", "TPR@1%FPR", "advantage", "ε lower bound (95%)"], rows: rows)]))
        if let inv = r.inversion, !inv.isEmpty {
            let w = inputShape.last ?? 1, h = inputShape.count >= 2 ? inputShape[inputShape.count - 2] : 1
            let images = inv.compactMap { i -> GrayImage? in
                guard i.pixels.count == w * h else { return nil }  // only single-channel images are drawn
                return GrayImage(width: w, height: h, values: i.pixels, caption: String(format: "class %d, p=%.2f", i.classIndex, i.confidence))
            }
            if !images.isEmpty {
                sections.append(Section(title: "Model inversion (Fredrikson et al. 2015)",
                                        text: "One class-representative reconstruction per class, by gradient descent on the input.",
                                        imageGrids: [ImageGrid(title: "Reconstructions", columns: images.map(\.caption), rows: [ImageGrid.Row(images: images)])]))
            }
            let meanSimilarity = inv.compactMap(\.similarityToClassMean).reduce(0, +) / Double(max(1, inv.compactMap(\.similarityToClassMean).count))
            findings.append(Finding(
                id: "privacy.model-inversion", threat: .privacy, technique: "Model inversion (MI-Face)", atlasID: ATLAS.modelInversion,
                owaspID: OWASPML.modelInversion, severity: .info,
                title: String(format: "Model inversion: %d class representatives, mean cosine similarity to member class means %.3f", inv.count, meanSimilarity),
                detail: "Class-representative inputs reconstructed from the model's gradients (see the images). Similarity to the members' class means shows how much of the training distribution they reveal.",
                metrics: [Metric("mean_similarity_to_member_class_mean", meanSimilarity)], artifact: model, reproduce: command))
        }
        var report = Report(title: "Privacy audit: \(model)", toolVersion: toolVersion, command: command, seed: r.seed,
                      parameters: ["members": String(r.members), "non_members": String(r.nonMembers), "shadow_models": String(r.shadowModels),
                                   "delta": String(r.delta)],
                      findings: findings, sections: sections)
        report.environment["bulwark"] = toolVersion
        return report
    }
}
