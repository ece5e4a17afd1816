import BulwarkEvasion
import BulwarkModels
import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkReport

/// Defence evidence → findings and the defences section, on real (tiny) runs.
@Suite struct DefenceReportTests {
    /// A checked evaluation behind 1-bit rounding attacked with the plain gradient (the checklist
    /// must fail), a certification and a detector evaluation, all on the linear 1×6×6 fixture.
    static func evidence() throws -> (DefenceEvidence, EvaluationResult) {
        let (model, x, y) = try EvasionReportTests.fixture()
        let plan = Evaluation(specs: [AttackSpec(.fgsm), AttackSpec(.pgd, maxIterations: 10)], epsilons: [0.05, 0.2], batchSize: 20, seed: 5)
        let checked = try CheckedEvaluation(evaluation: plan, checklist: ChecklistSettings(examples: 30, squareQueries: 60))
            .run(model: model, defence: TransformDefence(transform: BitDepthReduction(bits: 1)), gradient: .plain, inputs: x, labels: y)
        let smoothing = try RandomizedSmoothing(base: model, sigma: 0.25, n0: 10, n: 60, alpha: 0.01, batchSize: 60)
        let certification = try smoothing.certify(inputs: x.rows(0..<10), labels: Array(y[0..<10]), radii: [0, 0.1, 0.25], seed: 1)
        let detector = FeatureSqueezingDetector(model: model, squeezers: [BitDepthReduction(bits: 2)])
        let detection = try DetectorEvaluation(epsilon: 0.2, iterations: 10, seed: 2)
            .run(model: model, detector: detector, calibration: x.rows(0..<20), inputs: x.rows(20..<40), labels: Array(y[20..<40]))
        let plainRun = try plan.run(model: model, inputs: x, labels: y)
        return (DefenceEvidence(name: "m + bit-depth-1", checked: checked, certification: certification, detector: detection,
                                reproduce: "bulwark evaluate --defense bit-depth:1 --gradient plain", artifact: "m.safetensors"), plainRun)
    }

    @Test func findingsCarryTheChecklistVerdictAndTheMeasuredFigures() throws {
        let (e, _) = try Self.evidence()
        let checked = try #require(e.checked)
        #expect(checked.reliable == false)
        let findings = DefenceFindings.findings(e)
        #expect(findings.count == 4)
        let checklist = try #require(findings.first { $0.id.hasPrefix("evasion.checklist.") })
        #expect(checklist.severity == .high && checklist.title.contains("UNRELIABLE"))
        guard case .unreliable(let reasons) = checklist.reliability else { Issue.record("checklist finding is not unreliable"); return }
        #expect(reasons.contains { $0.hasPrefix("gradients-finite-and-nonzero") })

        let comparison = try #require(findings.first { $0.id.hasPrefix("evasion.defence.") })
        let before = try #require(checked.undefended)
        #expect(comparison.metrics.first { $0.name == "clean_accuracy_before" }?.value == before.cleanAccuracy)
        let after = try #require(checked.evaluation.attacks.first { $0.spec.kind == .pgd && $0.epsilon == 0.2 })  // PGD is preferred
        #expect(comparison.metrics.first { $0.name == "robust_accuracy_after" }?.value == after.metrics.robustAccuracy)
        #expect(comparison.reliability != .reliable && comparison.title.hasSuffix("(unreliable)"))

        let cert = try #require(findings.first { $0.id.hasPrefix("evasion.certified.") })
        let curve = try #require(e.certification?.curve)
        #expect(cert.metrics.filter { $0.name.hasPrefix("certified_accuracy@") }.map(\.value) == curve.map(\.certifiedAccuracy))
        let det = try #require(findings.first { $0.id.hasPrefix("evasion.detector.") })
        #expect(det.metrics.first { $0.name == "roc_auc" }?.value == e.detector?.detection.rocAUC)
        #expect(det.atlasID == ATLAS.evadeModel)
    }

    @Test func aFailedChecklistMarksEveryEvasionFigureUnreliable() throws {
        let (e, plainRun) = try Self.evidence()
        let checked = try #require(e.checked)
        let evasion = EvasionFindings.findings([EvaluationRun(name: "t", result: plainRun, reproduce: "r")])
        let marked = DefenceFindings.applyChecklist(checked, to: evasion)
        #expect(marked.count == evasion.count)
        for f in marked {
            guard case .unreliable(let reasons) = f.reliability else { Issue.record("\(f.id) left reliable"); continue }
            #expect(reasons.contains { $0.contains("gradients-finite-and-nonzero") })
        }
        // A skipped checklist leaves the figures shown but marked "not checked".
        var skipped = checked
        skipped.checklist = nil
        let unchecked = DefenceFindings.applyChecklist(skipped, to: evasion)
        #expect(unchecked.map(\.id) == evasion.map(\.id))
        #expect(unchecked.allSatisfy { $0.reliability.label == "not checked" })
    }

    @Test func sectionRendersSelfContainedWithEveryPart() throws {
        let (e, _) = try Self.evidence()
        let findings = DefenceFindings.findings(e)
        let report = Report(title: "d", toolVersion: "0.1.0", command: e.reproduce, seed: 5, findings: findings, sections: [DefenceFindings.section(e)])
        let html = HTML.render(report)
        #expect(html.components(separatedBy: "<svg").count - 1 == 3)  // before/after, certified accuracy, ROC
        #expect(html.contains("Certified accuracy vs L2 radius") && html.contains("Detector ROC"))
        #expect(html.contains("before: undefended") && html.contains("Gradient-masking checklist"))
        #expect(html.contains("<td>FAILED</td>") && html.contains("<td>PASSED</td>"))
        #expect(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("<link"))
        let decoded = try JSONDecoder().decode(Report.self, from: ReportWriter.json(report))
        #expect(decoded.findings == findings)
        let sarif = String(decoding: try SARIF.render(report), as: UTF8.self)
        #expect(sarif.contains("UNRELIABLE") && sarif.contains("gradients-finite-and-nonzero"))
        #expect(SARIF.log(report).runs.first?.results.count == findings.count)
    }

    @Test func evaluationSummaryCarriesTheTablesFiguresAndSaysNotChecked() throws {
        let (e, _) = try Self.evidence()
        let checked = try #require(e.checked)
        let summary = EvaluationSummary(checked, out: "eval/evaluation.json", report: ["eval/index.html"])
        #expect(summary.results.map(\.robustAccuracy) == checked.evaluation.attacks.map(\.metrics.robustAccuracy))
        #expect(summary.verdict == "unreliable" && summary.results.allSatisfy { $0.verdict == "unreliable" })
        #expect(summary.checklist?.summary == checked.summary)
        var skipped = checked
        skipped.checklist = nil
        let unchecked = EvaluationSummary(skipped, out: nil, report: [])
        let text = String(decoding: try JSONEncoder().encode(unchecked), as: UTF8.self)
        #expect(text.contains("\"reliable\":null") && text.contains("\"verdict\":\"not checked\""))
        #expect(try JSONDecoder().decode(EvaluationSummary.self, from: Data(text.utf8)) == unchecked)
    }
}
