public import BulwarkFederated
import BulwarkDP
import Foundation

/// Turns simulated federations (``FederatedRunSummary``) into findings and the report's
/// federated section: what malicious clients did to each aggregation rule, and the ε a
/// DP-FedAvg run spent.
///
/// Tags: model poisoning by clients is ATLAS `AML.T0018.000` (Backdoor ML Model: Poison ML
/// Model) with OWASP ML10:2023 (Model Poisoning); a DP-FedAvg run is a privacy finding tagged
/// `AML.T0024.000` (membership inference, what its ε bounds) with OWASP ML04:2023.
///
/// Severity of an attacked run: the accuracy lost against the clean baseline (or, without one,
/// the best run of the same federation) — ≥ 20 points high, ≥ 5 medium, else low — raised to
/// high when a backdoor reaches ≥ 50 % success. Without a baseline to compare against, no
/// severity above `info` is claimed. A DP run with seeded noise is `medium`: its ε is not a
/// guarantee.
///
/// ```swift
/// let runs: [FederatedRunSummary] = []
/// let findings = FederatedFindings.findings(runs: runs, reproduce: "bulwark fl simulate …")
/// print(findings.count)  // 0
/// ```
public enum FederatedFindings {
    /// One finding per attacked run and per DP run of `runs` (a clean baseline is evidence, not a finding).
    public static func findings(runs: [FederatedRunSummary], reproduce: String) -> [Finding] {
        let baseline = runs.first { $0.attack == nil && $0.dp == nil }
        let reference = baseline?.finalAccuracy
        var out: [Finding] = []
        for run in runs {
            if let dp = run.dp, let last = run.rounds.last {
                out.append(privacyFinding(run, dp: dp, last: last, reproduce: reproduce))
            } else if let attack = run.attack {
                out.append(poisoningFinding(run, attack: attack, reference: reference ?? runs.filter { $0.attack != nil }.map(\.finalAccuracy).max(),
                                            referenceIsClean: reference != nil, reproduce: reproduce))
            }
        }
        return out
    }

    private static func poisoningFinding(_ run: FederatedRunSummary, attack: String, reference: Double?, referenceIsClean: Bool,
                                         reproduce: String) -> Finding {
        let accuracy = run.finalAccuracy
        let backdoor = run.rounds.last?.backdoorSuccess
        var severity = Severity.info
        var metrics = [Metric("final_accuracy", accuracy, unit: "fraction"), Metric("malicious_fraction", run.maliciousFraction, unit: "fraction"),
                       Metric("mean_malicious_weight", run.meanMaliciousWeight, unit: "fraction"), Metric("rounds", Double(run.rounds.count))]
        let share = "\(Int((run.maliciousFraction * 100).rounded()))% \(attack) clients"
        var title = "\(run.rule) under \(share): final accuracy \(percent(accuracy))"
        var detail = "In a simulated federation where \(share) attacked, the global model aggregated with \(run.rule) ended at \(percent(accuracy)) test accuracy; "
            + String(format: "malicious updates held %.1f%% of the aggregate on average.", run.meanMaliciousWeight * 100)
        if let reference {
            let drop = reference - accuracy
            metrics.append(Metric(referenceIsClean ? "clean_accuracy" : "best_run_accuracy", reference, unit: "fraction"))
            metrics.append(Metric("accuracy_drop", drop, unit: "fraction"))
            severity = drop >= 0.20 ? .high : drop >= 0.05 ? .medium : .low
            title += String(format: " (%+.1f points against %@)", -drop * 100, referenceIsClean ? "the clean federation" : "the best rule")
            detail += String(format: " That is %.1f points %@ %@ (%@).", abs(drop) * 100, drop >= 0 ? "below" : "above",
                             referenceIsClean ? "FedAvg without attackers" : "the best rule tried", percent(reference))
        }
        if let backdoor {
            metrics.append(Metric("backdoor_success", backdoor, unit: "fraction"))
            detail += " Triggered test inputs of other classes went to the target class \(percent(backdoor)) of the time."
            if backdoor >= 0.5 { severity = .high }
        }
        detail += severity >= .medium
            ? " Use a robust rule (median, trimmed mean, Krum, FLTrust with a clean root set), bound update norms, and authenticate clients."
            : " The rule withstood this attack in this simulation."
        return Finding(id: "federated.\(run.rule).\(attack)", threat: .poisoning, technique: "Federated model poisoning (\(attack))",
                       atlasID: ATLAS.poisonModel, owaspID: OWASPML.modelPoisoning, severity: severity, title: title, detail: detail,
                       metrics: metrics, reproduce: reproduce)
    }

    private static func privacyFinding(_ run: FederatedRunSummary, dp: DPFedAvg, last: FederatedRound, reproduce: String) -> Finding {
        let claim = run.privacyClaim ?? false
        let epsilon = last.epsilon ?? .infinity
        let metrics = [Metric("epsilon", epsilon), Metric("delta", dp.delta), Metric("noise_multiplier", dp.noiseMultiplier),
                       Metric("clip_norm", dp.clipNorm), Metric("client_sampling_rate", dp.samplingRate),
                       Metric("rounds", Double(run.rounds.count)), Metric("final_accuracy", run.finalAccuracy, unit: "fraction")]
        let title = claim
            ? String(format: "DP-FedAvg: user-level ε = %.3g at δ = %g after %d rounds, accuracy %@", epsilon, dp.delta, run.rounds.count, percent(run.finalAccuracy))
            : "DP-FedAvg ran with seeded noise: no privacy guarantee"
        let detail = String(format: "Each client joined a round with probability q = %g (Poisson sampling), its update clipped to S = %g, with Gaussian noise σ·S (σ = %.4g) on the sum; the %@ accountant composes %d such rounds for this sampler. ",
                            dp.samplingRate, dp.clipNorm, dp.noiseMultiplier, dp.accountant.rawValue.uppercased(), run.rounds.count)
            + (claim ? "The noise is added by the coordinator (central DP): clients must trust it to add the noise."
                     : "The noise was drawn from a seed, so anyone with the seed can remove it: rerun without --insecure-seeded-noise.")
        return Finding(id: "federated.dp-fedavg", threat: .privacy, technique: "DP-FedAvg (user-level DP)", atlasID: ATLAS.membershipInference,
                       owaspID: OWASPML.membershipInference, severity: claim ? .info : .medium, title: title, detail: detail, metrics: metrics,
                       reproduce: reproduce)
    }

    /// The report's federated section: test accuracy per round for every run (a chart), one row
    /// per run, and the per-client verdicts of each run's last round.
    public static func section(runs: [FederatedRunSummary], notes: [String] = []) -> Section {
        let series = runs.map { run in
            LineChart.Series(name: run.label, points: [LineChart.Point(0, run.initialAccuracy)] + run.rounds.map { LineChart.Point(Double($0.round), $0.testAccuracy) })
        }
        let rows = runs.map { run -> [String] in
            [run.label, run.attack.map { "\(Int((run.maliciousFraction * 100).rounded()))% \($0)" } ?? "none", percent(run.finalAccuracy),
             percent(run.rounds.map(\.testAccuracy).max() ?? run.initialAccuracy), String(format: "%.3f", run.meanMaliciousWeight),
             run.rounds.last?.backdoorSuccess.map(percent) ?? "—", run.rounds.last?.epsilon.map { String(format: "%.3f", $0) } ?? "—"]
        }
        var tables = [Table(title: "Federations", columns: ["run", "attackers", "final accuracy", "best accuracy", "malicious weight", "backdoor success", "ε"], rows: rows)]
        for run in runs where run.attack != nil {
            guard let last = run.rounds.last else { continue }
            let malicious = Set(run.maliciousClients)
            tables.append(Table(title: "\(run.label): verdicts of round \(last.round)", columns: ["client", "malicious", "weight", "update norm", "note"],
                                rows: last.verdicts.map { v in
                                    [String(v.client), malicious.contains(v.client) ? "yes" : "no", String(format: "%.3f", v.weight),
                                     String(format: "%.4g", v.norm), v.note ?? ""]
                                }))
        }
        var text = "Simulated federations: each round, sampled clients trained locally from the global model and sent their update; the coordinator "
            + "aggregated the updates with the rule named and evaluated the global model on held-out data. Malicious weight is the share of the "
            + "aggregate that came from malicious clients."
        if !notes.isEmpty { text += " " + notes.joined(separator: " ") }
        return Section(title: "Federated learning", text: text,
                       charts: [LineChart(title: "Test accuracy per round", xLabel: "round", yLabel: "accuracy", series: series, yRange: 0...1)],
                       tables: tables)
    }

    static func percent(_ v: Double) -> String { String(format: "%.1f%%", v * 100) }
}
