public import BulwarkExtraction
import Foundation

/// Turns typed model-stealing results into findings: how faithful a copy an extraction attack
/// made from the model's answers (``ExtractionReport``), and whether a query-pattern detector
/// noticed the attack while it ran.
///
/// Tags: ATLAS `AML.T0024.002` (Exfiltration via ML Inference API: Extract ML Model) with OWASP
/// ML05:2023 (Model Theft).
///
/// Severity of an extraction: the copy's fidelity (agreement with the model on held-out inputs)
/// ≥ 90 % high, ≥ 75 % medium, ≥ 50 % low, else info; one level lower when a query-pattern
/// detector alerted before the attack had spent a tenth of its queries. A run without held-out
/// data has no fidelity and is `info`: nothing was measured, so nothing is claimed either way.
///
/// ```swift
/// let run = ExtractionReport(attack: "knockoff", selection: "random", queryBudget: 2000, queriesUsed: 2000,
///                            transferSetSize: 2000, seconds: 4, testExamples: 1000, fidelity: 0.91, accuracy: 0.84)
/// let findings = ExtractionFindings.findings(extraction: run, reproduce: "bulwark extract …")
/// ```
public enum ExtractionFindings {
    /// Severity of a copy with this fidelity.
    public static func severity(fidelity f: Double) -> Severity {
        if f >= 0.9 { return .high }
        if f >= 0.75 { return .medium }
        if f >= 0.5 { return .low }
        return .info
    }

    /// A human name for an attack (`knockoff` + `adaptive` → `Knockoff Nets (adaptive selection)`).
    public static func attackName(_ attack: String, selection: String? = nil) -> String {
        let base = switch attack {
        case "copycat": "Copycat CNN"
        case "knockoff": "Knockoff Nets"
        case "jbda": "Jacobian-based dataset augmentation"
        case "equivalent": "Functionally-equivalent extraction"
        default: attack
        }
        return selection.map { "\(base) (\($0) selection)" } ?? base
    }

    /// What a query-pattern detector saw of an extraction run: its name and the number of
    /// queries the attack had sent when it first alerted (`nil`: it never alerted).
    public struct Detection: Sendable, Equatable {
        /// The detector (e.g. `prada`).
        public var detector: String
        /// Queries until the first alert, or `nil` when it did not alert.
        public var queriesUntilAlert: Int?
        /// A detection record.
        public init(detector: String, queriesUntilAlert: Int?) {
            self.detector = detector
            self.queriesUntilAlert = queriesUntilAlert
        }
    }

    /// One finding for an extraction run, with what each detector in `detections` saw of it.
    public static func findings(extraction r: ExtractionReport, detections: [Detection] = [], reproduce: String, artifact: String? = nil) -> [Finding] {
        let name = attackName(r.attack, selection: r.selection)
        var metrics = [Metric("queries_used", Double(r.queriesUsed)), Metric("query_budget", Double(r.queryBudget)),
                       Metric("transfer_set", Double(r.transferSetSize)), Metric("seconds", r.seconds, unit: "s"),
                       Metric("test_examples", Double(r.testExamples))]
        if let f = r.fidelity { metrics.append(Metric("fidelity", f, unit: "fraction")) }
        if let a = r.accuracy { metrics.append(Metric("substitute_accuracy", a, unit: "fraction")) }
        if let v = r.victimAccuracy { metrics.append(Metric("victim_accuracy", v, unit: "fraction")) }
        var severity = Severity.info
        var title: String
        var detail: String
        if let f = r.fidelity {
            severity = self.severity(fidelity: f)
            title = "\(name): a copy agreeing with the model on \(percent(f)) of \(r.testExamples) held-out inputs from \(r.queriesUsed) queries"
            detail = "An attacker who can send \(r.queriesUsed) queries trained a substitute that gives the model's answer on \(percent(f)) of held-out inputs"
            if let a = r.accuracy, let v = r.victimAccuracy {
                detail += " (substitute accuracy \(percent(a)) against the model's \(percent(v)))"
            }
            detail += "."
        } else {
            title = "\(name): \(r.queriesUsed) queries spent; fidelity not measured (no held-out data)"
            detail = "The run had no held-out inputs, so how faithful the copy is was not measured and no severity is claimed."
        }
        if let e = r.equivalent {
            metrics.append(Metric("neurons_recovered", Double(e.neuronsRecovered)))
            metrics.append(Metric("hidden_width", Double(e.hiddenWidth)))
            if let err = e.maxRelativeWeightError { metrics.append(Metric("max_relative_weight_error", err)) }
            detail += " The first layer's weights were recovered for \(e.neuronsRecovered) of \(e.hiddenWidth) hidden neurons"
                + (e.maxRelativeWeightError.map { String(format: " (max relative error %.2g)", $0) } ?? "") + "."
            if e.neuronsRecovered == e.hiddenWidth && e.hiddenWidth > 0 { severity = max(severity, .high) }
        }
        for d in detections {
            if let q = d.queriesUntilAlert {
                metrics.append(Metric("\(d.detector)_queries_until_alert", Double(q)))
                detail += " \(d.detector.uppercased() == d.detector ? d.detector : detectorName(d.detector)) alerted after \(q) queries."
                if r.queriesUsed > 0, q * 10 <= r.queriesUsed, let lower = Severity.allCases.last(where: { $0 < severity }) { severity = lower }
            } else {
                detail += " \(detectorName(d.detector)) did not alert."
            }
        }
        detail += " Limit what answers reveal (labels only, rounding, reverse sigmoid), monitor clients' query patterns, and watermark the model so a copy can be proven (bulwark watermark embed)."
        return [Finding(id: "extraction.\(r.attack)" + (r.selection.map { "-\($0)" } ?? ""), threat: .extraction, technique: name,
                        atlasID: ATLAS.extractModel, owaspID: OWASPML.modelTheft, severity: severity, title: title, detail: detail,
                        metrics: metrics, artifact: artifact, reproduce: reproduce)]
    }

    /// A human name for a detector (`prada` → `PRADA`, `coverage` → `The coverage detector`).
    public static func detectorName(_ detector: String) -> String {
        switch detector {
        case "prada": "PRADA"
        case "coverage": "The coverage detector"
        default: detector
        }
    }

    /// The report's extraction section: one row per run (attack, queries, fidelity, accuracy,
    /// seconds, detectors' delay) and, for runs with a curve, fidelity against the query budget.
    public static func section(runs: [(report: ExtractionReport, detections: [Detection])], notes: [String] = []) -> Section {
        let rows = runs.map { run -> [String] in
            let r = run.report
            return [attackName(r.attack, selection: r.selection), String(r.queriesUsed), r.fidelity.map(percent) ?? "—", r.accuracy.map(percent) ?? "—",
                    r.victimAccuracy.map(percent) ?? "—", String(format: "%.1f", r.seconds),
                    run.detections.isEmpty ? "—" : run.detections.map { "\(detectorName($0.detector)): " + ($0.queriesUntilAlert.map { "alert after \($0)" } ?? "no alert") }
                        .joined(separator: "; ")]
        }
        var charts: [LineChart] = []
        let series = runs.compactMap { run -> LineChart.Series? in
            guard let curve = run.report.curve, !curve.isEmpty else { return nil }
            return LineChart.Series(name: attackName(run.report.attack, selection: run.report.selection),
                                    points: curve.compactMap { p in p.fidelity.map { LineChart.Point(Double(p.queriesUsed), $0) } })
        }
        if !series.isEmpty {
            charts.append(LineChart(title: "Fidelity of the copy against queries", xLabel: "queries", yLabel: "fidelity", series: series, yRange: 0...1))
        }
        var text = "Extraction attacks queried the model as a black box (probabilities only) and trained a substitute on its answers. "
            + "Fidelity is the substitute's agreement with the model on held-out inputs; a detector's delay is the number of queries it needed to alert."
        if !notes.isEmpty { text += " " + notes.joined(separator: " ") }
        return Section(title: "Model extraction", text: text, charts: charts,
                       tables: [Table(title: "Extraction attacks", columns: ["attack", "queries", "fidelity", "substitute accuracy", "model accuracy", "seconds", "detection"], rows: rows)])
    }

    static func percent(_ v: Double) -> String { String(format: "%.1f%%", v * 100) }
}
