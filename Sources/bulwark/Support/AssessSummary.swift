import BulwarkAssessment
import BulwarkEvasion
import BulwarkExtraction
import BulwarkPoisoning
import BulwarkReport
import BulwarkSupplyChain
import Foundation

/// The text `bulwark assess` prints on stdout.
enum AssessSummary {
    static func text(_ o: AssessmentOutcome) -> String {
        var lines: [String] = []
        let m = o.model
        lines.append("model: \(m.path) (\(m.trainedNow ? "trained now" : "reused from the cache"), sha256 \(m.sha256.prefix(16))…)")
        lines.append("scan: \(m.scan.verdict.rawValue) [\(m.scan.format)], \(m.scan.findings.count) scanner findings")
        for (name, result) in [("white-box", o.whiteBox), ("black-box", o.blackBox)] {
            guard let r = result else { continue }
            lines.append("\(name): \(r.examples) examples, clean accuracy \(String(format: "%.4f", r.cleanAccuracy)), \(formatDuration(r.seconds))")
            lines.append("  attack     norm  eps      robust acc  success  mean L∞   queries  seconds")
            for cell in r.attacks {
                let s = cell.metrics
                let name = cell.spec.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                let norm = cell.spec.norm.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
                lines.append("  " + name + " " + norm + " " + String(format: "%-8.4g %10.4f %8.4f %9.4f %8.1f %8.2f", Double(cell.epsilon),
                                                                    s.robustAccuracy, s.attackSuccessRate, s.meanLinf, s.meanQueries,
                                                                    s.secondsPerExample * Double(s.examples)))
            }
            if Set(r.attacks.map(\.spec.label)).count > 1 {
                for p in r.curve {
                    lines.append("  worst case over the attacks \(p.norm.rawValue) " + String(format: "ε=%.4g: %.4f", Double(p.epsilon), p.robustAccuracy))
                }
            }
        }
        if let p = o.poisoning {
            let d = p.profile.duplicates
            lines.append("poisoning: \(p.trainingExamples) training examples profiled (\(d.exactGroups.count) exact-duplicate groups, "
                         + "\(d.nearPairCount) near pairs, \(d.crossSplitExactCount + d.crossSplitNearCount) shared with the evaluation set), "
                         + formatDuration(p.profileSeconds))
            let flagged = p.detections.map { "\($0.method) \($0.flaggedIndices.count)" }.joined(separator: ", ")
            lines.append("  detectors on \(p.detectionExamples) examples, flagged: \(flagged) (\(formatDuration(p.detectionSeconds)); "
                         + "candidates to inspect, not proof of poison; clean-label poison is not found this way)")
        }
        if let e = o.extraction {
            let r = e.report
            let fidelity = r.fidelity.map { String(format: "fidelity %.4f", $0) } ?? "fidelity not measured"
            let prada = e.detections.map { d in "\(ExtractionFindings.detectorName(d.detector)) " + (d.queriesUntilAlert.map { "alerted after \($0)" } ?? "did not alert") }
            lines.append("extraction: \(ExtractionFindings.attackName(r.attack, selection: r.selection)), \(r.queriesUsed) queries → \(fidelity) on \(e.fidelityExamples) held-out images"
                         + (r.accuracy.map { String(format: ", substitute accuracy %.4f", $0) } ?? "") + "; " + prada.joined(separator: ", ") + ", " + formatDuration(e.seconds))
        }
        var counts: [Severity: Int] = [:]
        for f in o.report.findings { counts[f.severity, default: 0] += 1 }
        lines.append("findings: " + Severity.allCases.reversed().map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
                     + " (robust accuracy is the accuracy under these attacks, not a guarantee)")
        for f in o.report.sortedFindings {
            let flag = f.reliability == .reliable ? "" : " [\(f.reliability.label)]"
            lines.append("  \(f.severity.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(f.atlasID) \(f.owaspID)  \(f.title)\(flag)")
        }
        if let r = o.report.findings.first?.reproduce { lines.append("reproduce: \(r)") }
        return lines.joined(separator: "\n")
    }
}
