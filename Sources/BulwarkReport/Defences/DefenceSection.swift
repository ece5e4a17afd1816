import BulwarkEvasion
import BulwarkModels
import Foundation

extension DefenceFindings {
    /// The report's defences section: clean vs robust accuracy before and after the defence
    /// (table and accuracy-vs-ε chart), the checklist's verdicts with their evidence, the
    /// certified-accuracy curve and the detector's ROC curve with its operating point, each
    /// when the evidence holds it.
    public static func section(_ e: DefenceEvidence) -> Section {
        var charts: [LineChart] = []
        var tables: [Table] = []
        var text: [String] = []
        let p = EvasionFindings.percent
        if let c = e.checked {
            let verdict: String
            switch c.reliable {
            case .some(true): verdict = "reliable"
            case .some(false): verdict = "UNRELIABLE"
            case .none: verdict = "not checked"
            }
            if let before = c.undefended {
                let after = c.evaluation
                let label = c.defence.map { "with \($0.transform) (\($0.gradient) gradient)" } ?? "defended (\(e.name))"
                var rows: [[String]] = []
                for cell in after.attacks {
                    guard let b = before.attacks.first(where: { $0.spec == cell.spec && $0.epsilon == cell.epsilon }) else { continue }
                    let eps = EvasionFindings.number(Double(cell.epsilon))
                    rows.append(["before: undefended", p(before.cleanAccuracy), EvasionFindings.techniqueName(cell.spec), eps, p(b.metrics.robustAccuracy), "—"])
                    rows.append(["after: \(label)", p(after.cleanAccuracy), EvasionFindings.techniqueName(cell.spec), eps,
                                 p(cell.metrics.robustAccuracy) + (c.reliable == false ? " (unreliable)" : ""), verdict])
                }
                tables.append(Table(title: "Clean and robust accuracy before and after the defence — \(after.examples) examples, same attacks and seed",
                                    columns: ["model", "clean accuracy", "attack", "ε", "robust accuracy", "checklist"], rows: rows))
                var series: [LineChart.Series] = []
                if let h = headline(after) {
                    let afterName = "after (\(c.defence?.transform ?? e.name))" + (c.reliable == false ? " — UNRELIABLE" : "")
                    for (name, r) in [("before (undefended)", before), (afterName, after)] {
                        let cells = r.attacks.filter { $0.spec == h.spec }.sorted { $0.epsilon < $1.epsilon }
                        series.append(.init(name: name, points: [.init(0, r.cleanAccuracy)] + cells.map { .init(Double($0.epsilon), $0.metrics.robustAccuracy) }))
                    }
                    charts.append(LineChart(title: "\(EvasionFindings.techniqueName(h.spec)): accuracy before and after the defence",
                                            xLabel: "ε (\(h.spec.norm.rawValue))", yLabel: "accuracy", series: series, yRange: 0...1))
                }
            }
            if let r = c.checklist {
                tables.append(Table(title: "Gradient-masking checklist — \(r.primaryAttack) at ε = \(EvasionFindings.number(Double(r.epsilon))), "
                                        + "\(c.checklistExamples) examples: \(r.label.uppercased())",
                                    columns: ["check", "verdict", "observed", "limit", "evidence"],
                                    rows: r.verdicts.map { v in
                                        [v.check.rawValue, v.status.rawValue.uppercased(), v.observed.map { String(format: "%.4g", $0) } ?? "—",
                                         v.limit.map { String(format: "%.4g", $0) } ?? "—", v.detail]
                                    }))
                text.append((c.summary ?? r.summary) + ".")
                if !r.reliable {
                    text.append("Because the checklist failed, the robustness figures of this evaluation are not results; they are marked unreliable throughout the report.")
                }
            } else {
                text.append("The gradient-masking checklist was skipped (--no-checklist): the robustness figures carry no verdict.")
            }
        }
        if let r = e.certification {
            charts.append(LineChart(title: "Certified accuracy vs L2 radius (σ = \(EvasionFindings.number(Double(r.sigma))))", xLabel: "L2 radius",
                                    yLabel: "certified accuracy", series: [.init(name: "smoothed classifier", points: r.curve.map { .init($0.radius, $0.certifiedAccuracy) })],
                                    yRange: 0...1))
            tables.append(Table(title: "Randomized smoothing — \(r.examples.count) examples, n0 = \(r.n0), n = \(r.n), α = \(r.alpha), seed \(r.seed)",
                                columns: ["L2 radius", "certified accuracy"],
                                rows: r.curve.map { [EvasionFindings.number($0.radius), p($0.certifiedAccuracy)] }))
            text.append("Certified accuracy at radius r: fraction of examples whose smoothed prediction is correct with a certified radius ≥ r "
                        + "(abstained on \(p(r.abstentionRate))).")
        }
        if let d = e.detector {
            let diagonal = LineChart.Series(name: "chance", points: [.init(0, 0), .init(1, 1)])
            // At most about 200 points are drawn (the full curve is in the JSON).
            let stride = max(1, d.roc.count / 200)
            let drawn = d.roc.enumerated().filter { $0.offset % stride == 0 || $0.offset == d.roc.count - 1 }.map(\.element)
            let roc = LineChart.Series(name: "\(d.detector) vs PGD", points: drawn.map { .init($0.falsePositiveRate, $0.truePositiveRate) })
            let op = LineChart.Series(name: "operating point (threshold \(String(format: "%.3g", d.threshold)))",
                                      points: [.init(d.falsePositiveRate, d.truePositiveRate)])
            charts.append(LineChart(title: "Detector ROC (AUC \(String(format: "%.3f", d.detection.rocAUC)))", xLabel: "false-positive rate",
                                    yLabel: "true-positive rate", series: [roc, op, diagonal], yRange: 0...1))
            tables.append(Table(title: "Detector \(d.detector) — calibrated on \(d.calibrationExamples) clean inputs, evaluated on \(d.examples)",
                                columns: ["ROC AUC", "threshold", "target FPR", "FPR", "TPR at threshold", "TPR at target FPR (eval benign)"],
                                rows: [[String(format: "%.3f", d.detection.rocAUC), String(format: "%.4g", d.threshold), p(d.targetFalsePositiveRate),
                                        p(d.falsePositiveRate), p(d.truePositiveRate), p(d.detection.atTarget.truePositiveRate)]]))
            tables.append(Table(title: "Model + detector under attack (\(d.norm.rawValue) ε = \(EvasionFindings.number(Double(d.epsilon))), \(d.iterations) steps)",
                                columns: ["attack", "model robust accuracy", "fooled the model", "detection rate", "model + detector robust accuracy",
                                          "undetected success rate", "ROC AUC", "seconds"],
                                rows: [d.nonAdaptive, d.adaptive].map { m in
                                    [m.attack, p(m.modelRobustAccuracy), String(m.fooledModel), p(m.detectionRate), p(m.pipelineRobustAccuracy),
                                     p(m.undetectedSuccessRate), String(format: "%.3f", m.rocAUC), String(format: "%.1f", m.seconds)]
                                }))
            text.append("The detector is judged against the non-adaptive attack and against an adaptive one that also lowers the detector's score; "
                        + "only the adaptive figure says what the detector does against an attacker who knows it.")
        }
        return Section(title: "Defences (\(e.name))", text: text.joined(separator: " "), charts: charts, tables: tables)
    }
}
