public import BulwarkPoisoning
import Foundation

extension PoisoningFindings {
    /// The report's poisoning section: the attack's effect (clean vs poisoned model) when an
    /// evaluation is given, one row per detector (examined, flagged, precision and recall when
    /// the ground truth is known) with the fraction flagged per class as a chart, and the
    /// training-data profile and data-check measures. `notes` are appended to the prose (what
    /// ran, on how many examples, in how long).
    public static func section(evaluation: (result: PoisoningEvaluation, technique: String)? = nil, detections: [PoisonDetectionResult] = [],
                               poisonIndices: [Int]? = nil, profile: DatasetProfile? = nil, dataCheck: DataCheckReport? = nil,
                               notes: [String] = []) -> Section {
        var tables: [Table] = []
        var charts: [LineChart] = []
        if let (e, technique) = evaluation {
            func row(_ name: String, _ m: PoisoningMetrics) -> [String] {
                [name, percent(m.cleanAccuracy), m.attackSuccessRate.map(percent) ?? "—", m.victimTargetRate.map(percent) ?? "—"]
            }
            var rows = [row("poisoned (\(technique))", e.poisoned)]
            if let c = e.clean { rows.insert(row("clean (same architecture)", c), at: 0) }
            tables.append(Table(title: "Attack effect — target class \(e.targetClass), \(e.poisoned.cleanCount) test examples",
                                columns: ["model", "clean accuracy", "attack success", "victims → target"], rows: rows))
        }
        if !detections.isEmpty {
            var rows: [[String]] = []
            for r in detections {
                let examined = r.scores.count, flagged = r.flaggedIndices.count
                var cells = [methodName(r.method), String(examined), String(flagged), percent(Double(flagged) / Double(max(1, examined)))]
                if let truth = poisonIndices, r.unit == .example,
                   let q = try? DetectionQuality(flagged: r.flaggedIndices, poisonIndices: truth, count: examined) {
                    cells += [String(format: "%.3f", q.precision), String(format: "%.3f", q.recall)]
                } else {
                    cells += ["—", "—"]
                }
                cells.append(r.parameters.keys.sorted().map { "\($0)=\(r.parameters[$0] ?? "")" }.joined(separator: ", "))
                rows.append(cells)
            }
            tables.append(Table(title: "Poison detectors", columns: ["detector", "examined", "flagged", "flagged %", "precision", "recall", "settings"], rows: rows))
            let series = detections.filter { $0.unit == .example && !$0.classes.isEmpty }.map { r in
                LineChart.Series(name: methodName(r.method), points: r.classes.sorted { $0.label < $1.label }.map {
                    LineChart.Point(Double($0.label), $0.examples > 0 ? Double($0.flagged) / Double($0.examples) : 0)
                })
            }
            if !series.isEmpty {
                charts.append(LineChart(title: "Fraction of each class flagged", xLabel: "class", yLabel: "flagged fraction", series: series, yRange: 0...1))
            }
        }
        if let p = profile {
            let d = p.duplicates
            var rows = [["examples", String(p.count)], ["example shape", p.exampleShape.map(String.init).joined(separator: "×")],
                        ["non-finite records", String(p.corrupt.nonFinite.count)], ["records outside the valid range", String(p.corrupt.outOfRange.count)],
                        ["exact-duplicate copies", String(d.exactGroups.reduce(0) { $0 + $1.count - 1 })],
                        ["conflicting-label groups", String(d.conflictingLabelGroups.count)],
                        ["near-duplicate pairs (RMS ≤ \(number(p.nearDuplicateRMS)))", String(d.nearPairCount)]]
            if let t = p.testCount {
                rows += [["evaluation examples compared", String(t)], ["identical (train, evaluation) pairs", String(d.crossSplitExactCount)],
                         ["near-duplicate (train, evaluation) pairs", String(d.crossSplitNearCount)]]
            }
            rows.append(["label counts", p.labels.counts.map(String.init).joined(separator: " / ")])
            tables.append(Table(title: "Training-data profile", columns: ["measure", "value"], rows: rows))
        }
        if let r = dataCheck {
            tables.append(Table(title: "Data check — \(r.count) examples" + (r.comparedWithReference ? ", against the reference profile" : ""),
                                columns: ["measure", "value"], rows: r.scores.keys.sorted().map { [$0, number(r.scores[$0] ?? 0)] }))
        }
        let text = (notes + [caveat]).joined(separator: " ")
        return Section(title: "Poisoning (training data)", text: text, charts: charts, tables: tables)
    }
}
