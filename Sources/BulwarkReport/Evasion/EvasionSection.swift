import BulwarkEvasion
import Foundation

extension EvasionFindings {
    /// The report section for `runs`: the accuracy-vs-ε chart per norm (one series per attack
    /// plus the worst case, each starting at the clean accuracy at ε = 0), a table per attack, the
    /// worst-case table, the runs' parameters and any image grids.
    public static func section(_ runs: [EvaluationRun], imageGrids: [ImageGrid] = []) -> Section {
        var charts: [LineChart] = []
        for norm in PerturbationNorm.allCases {
            var series: [LineChart.Series] = []
            for run in runs {
                let r = run.result
                let suffix = runs.count > 1 ? " · \(run.name)" : ""
                var labels: [String] = []
                for c in r.attacks where c.spec.norm == norm && !labels.contains(c.spec.label) { labels.append(c.spec.label) }
                for label in labels {
                    let cells = r.attacks.filter { $0.spec.label == label }
                    let name = cells.first.map { shortName($0.spec) } ?? label
                    series.append(.init(name: name + suffix, points: [.init(0, r.cleanAccuracy)]
                        + cells.map { .init(Double($0.epsilon), $0.metrics.robustAccuracy) }))
                }
                let curve = r.curve.filter { $0.norm == norm }
                if labels.count > 1 {
                    series.append(.init(name: "worst case" + suffix, points: [.init(0, r.cleanAccuracy)]
                        + curve.map { .init(Double($0.epsilon), $0.robustAccuracy) }))
                }
            }
            if !series.isEmpty {
                charts.append(LineChart(title: "Accuracy under attack vs ε (\(norm == .linf ? "L∞" : "L2"))", xLabel: "ε (\(norm.rawValue))",
                                        yLabel: "accuracy", series: series, yRange: 0...1))
            }
        }

        var tables: [Table] = []
        tables.append(Table(title: "Runs", columns: ["run", "examples", "clean accuracy", "attacks", "ε", "batch", "seed", "seconds"],
                            rows: runs.map { run in
                                let r = run.result
                                var labels: [String] = []
                                for c in r.attacks where !labels.contains(c.spec.label) { labels.append(c.spec.label) }
                                return [run.name, String(r.examples), percent(r.cleanAccuracy), labels.joined(separator: ", "),
                                        r.epsilons.map { number(Double($0)) }.joined(separator: ", "), String(r.batchSize),
                                        String(r.seed), String(format: "%.1f", r.seconds)]
                            }))
        for run in runs {
            let r = run.result
            var specs: [AttackSpec] = []
            for c in r.attacks where !specs.contains(c.spec) { specs.append(c.spec) }
            for spec in specs {
                let rows = r.attacks.filter { $0.spec == spec }.sorted { $0.epsilon < $1.epsilon }.map { c -> [String] in
                    let m = c.metrics
                    return [number(Double(c.epsilon)), percent(m.robustAccuracy), percent(m.attackSuccessRate),
                            String(format: "%.4f", m.meanL2), String(format: "%.4f", m.medianL2), String(format: "%.4f", m.meanLinf),
                            String(format: "%.1f", m.meanQueries), String(format: "%.1f", m.meanIterations),
                            String(format: "%.4f", m.secondsPerExample)]
                }
                var title = techniqueName(spec) + " — \(run.name), \(r.examples) examples"
                if let q = spec.maxQueries { title += ", ≤ \(q) queries" }
                tables.append(Table(title: title,
                                    columns: ["ε", "robust accuracy", "success rate", "mean L2", "median L2", "mean L∞", "queries / example",
                                              "iterations / example", "seconds / example"],
                                    rows: rows))
            }
            let curve = r.curve.sorted { ($0.norm.rawValue, $0.epsilon) < ($1.norm.rawValue, $1.epsilon) }
            if Set(r.attacks.map(\.spec.label)).count > 1, !curve.isEmpty {
                tables.append(Table(title: "Worst case over the attacks — \(run.name)", columns: ["norm", "ε", "robust accuracy"],
                                    rows: curve.map { [$0.norm.rawValue, number(Double($0.epsilon)), percent($0.robustAccuracy)] }))
            }
        }
        let text = caveat + " Success rate and perturbation sizes are over the examples classified correctly before the attack; "
            + "perturbation sizes are those of successful attacks. Each curve starts at the clean accuracy (ε = 0)."
        return Section(title: "Evasion (inference-time adversarial examples)", text: text, charts: charts, tables: tables, imageGrids: imageGrids)
    }

    /// A legend name: the attack without its budget details.
    static func shortName(_ spec: AttackSpec) -> String {
        switch spec.kind {
        case .fgsm: "FGSM"
        case .bim: "BIM"
        case .pgd: "PGD"
        case .deepfool: "DeepFool"
        case .apgdCE: "APGD-CE"
        case .apgdDLR: "APGD-DLR"
        case .cw: "C&W"
        case .square: "Square"
        case .hsj: "HopSkipJump"
        }
    }
}
