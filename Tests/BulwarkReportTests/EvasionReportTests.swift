import BulwarkEvasion
import BulwarkModels
import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkReport

/// Evaluation → findings → HTML / JSON / SARIF, on a real (tiny) evaluation.
@Suite struct EvasionReportTests {
    /// A seeded linear model on 1×6×6 images, 40 inputs it classifies perfectly (labels are its own predictions).
    static func fixture() throws -> (model: Sequential, inputs: Tensor, labels: [Int]) {
        var rng = SeededGenerator(seed: 3)
        let model = try Sequential(inputShape: [1, 6, 6], layers: [Flatten(), Dense(36, 4, rng: &rng)])
        let values = (0..<(40 * 36)).map { _ in Float.random(in: 0...1, using: &rng) }
        let x = Tensor(shape: [40, 1, 6, 6], scalars: values)
        return (model, x, model.predictions(x))
    }

    static func evaluation() throws -> (EvaluationResult, Sequential, Tensor, [Int]) {
        let (model, x, y) = try fixture()
        var plan = Evaluation(specs: [AttackSpec(.fgsm), AttackSpec(.pgd, maxIterations: 10)], epsilons: [0.02, 0.3], batchSize: 16, seed: 5)
        plan.keptExamples = AdversarialGallery.examplesToKeep(count: 3)
        return (try plan.run(model: model, inputs: x, labels: y), model, x, y)
    }

    static func report() throws -> Report {
        let (result, model, x, y) = try evaluation()
        let runs = [EvaluationRun(name: "test", result: result, reproduce: "bulwark evaluate --seed 5", artifact: "m.safetensors")]
        let cell = try #require(AdversarialGallery.pick(result))
        let grid = try #require(AdversarialGallery.make(cell: cell, inputs: x, labels: y, inputShape: model.inputShape, count: 3))
        return Report(title: "t", toolVersion: "0.1.0", command: "bulwark evaluate --seed 5", seed: 5,
                      findings: EvasionFindings.findings(runs), sections: [EvasionFindings.section(runs, imageGrids: [grid])])
    }

    @Test func findingsCarryTaxonomyAndCaveat() throws {
        let (result, _, _, _) = try Self.evaluation()
        #expect(result.cleanAccuracy == 1)
        let findings = EvasionFindings.findings([EvaluationRun(name: "t", result: result, reproduce: "bulwark evaluate")])
        #expect(findings.map(\.id) == ["evasion.t.fgsm-linf", "evasion.t.pgd-linf", "evasion.t.ensemble-linf"])
        #expect(findings.map(\.atlasID) == [ATLAS.whiteBoxOptimization, ATLAS.whiteBoxOptimization, ATLAS.craftAdversarialData])
        for f in findings {
            #expect(f.owaspID == OWASPML.inputManipulation)
            #expect(f.detail.contains("not a guarantee"))
            #expect(f.reproduce == "bulwark evaluate")
        }
        // the metrics are the evaluation's, not invented
        let pgd = try #require(result.attacks.first { $0.spec.kind == .pgd && $0.epsilon == 0.3 })
        #expect(findings[1].metrics.first { $0.name == "robust_accuracy@0.3" }?.value == pgd.metrics.robustAccuracy)
        // severity is the worst over ε: PGD at ε = 0.3 removes more than half the accuracy
        #expect(pgd.metrics.robustAccuracy < 0.5)
        #expect(findings[1].severity == .high)
    }

    @Test func severityThresholds() {
        #expect(EvasionFindings.severity(clean: 0.9, robust: 0.1) == .high)
        #expect(EvasionFindings.severity(clean: 0.9, robust: 0.6) == .medium)
        #expect(EvasionFindings.severity(clean: 0.9, robust: 0.84) == .low)
        #expect(EvasionFindings.severity(clean: 0.9, robust: 0.89) == .info)
        #expect(EvasionFindings.severity(clean: 0, robust: 0) == .info)
    }

    /// An iterative attack weaker than FGSM, or an attack that gets weaker with ε, is flagged.
    @Test func sanityChecksMarkFindingsUnreliable() throws {
        let (result, _, _, _) = try Self.evaluation()
        func robust(_ kind: AttackSpec.Kind, _ eps: Float) -> Double? {
            result.attacks.first { $0.spec.kind == kind && $0.epsilon == eps }?.metrics.robustAccuracy
        }
        // both attacks really work at ε = 0.3 on this model, PGD leaves some standing at 0.02
        #expect(try #require(robust(.fgsm, 0.3)) < 0.9)
        #expect(try #require(robust(.pgd, 0.02)) < 0.98)
        // make PGD at ε = 0.3 look as if it failed everywhere, by editing the JSON form of the real result
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as? [String: Any])
        var attacks = try #require(object["attacks"] as? [[String: Any]])
        let index = try #require(attacks.firstIndex {
            ($0["spec"] as? [String: Any])?["kind"] as? String == "pgd" && abs(($0["epsilon"] as? Double ?? 0) - 0.3) < 1e-6
        })
        var metrics = try #require(attacks[index]["metrics"] as? [String: Any])
        metrics["robustAccuracy"] = 1.0
        attacks[index]["metrics"] = metrics
        object["attacks"] = attacks
        let edited = try JSONDecoder().decode(EvaluationResult.self, from: JSONSerialization.data(withJSONObject: object))
        let findings = EvasionFindings.findings([EvaluationRun(name: "t", result: edited, reproduce: "r")])
        let pgd = try #require(findings.first { $0.id == "evasion.t.pgd-linf" })
        guard case .unreliable(let reasons) = pgd.reliability else { Issue.record("PGD should be unreliable"); return }
        #expect(reasons.contains { $0.contains("weaker than single-step FGSM at ε = 0.3") })
        #expect(reasons.contains { $0.contains("rises") })
        #expect(findings.first { $0.id == "evasion.t.fgsm-linf" }?.reliability == .reliable)
        // the unedited result passes
        let honest = EvasionFindings.findings([EvaluationRun(name: "t", result: result, reproduce: "r")])
        #expect(honest.allSatisfy { $0.reliability == .reliable })
    }

    @Test func htmlShowsChartGridAndTables() throws {
        let r = try Self.report()
        let html = HTML.render(r)
        #expect(html.contains("<svg"))
        #expect(html.contains("<polyline"))
        #expect(html.contains("Accuracy under attack vs ε"))
        #expect(html.contains("class=\"grid\""))
        #expect(html.components(separatedBy: "data:image/png;base64,").count - 1 == 9)  // 3 rows × 3 images
        #expect(html.contains("difference (amplified)"))
        #expect(html.contains("not a guarantee"))
        #expect(html.contains("AML.T0043.000") && html.contains("ML01:2023"))
        #expect(html.contains("PGD (L∞, 10 steps) — test, 40 examples"))
        #expect(!html.contains("<script") && !html.contains("src=\"http"))
    }

    @Test func galleryShowsTheEvaluationsOwnExamplesAndPredictions() throws {
        let (model, x, y) = try Self.fixture()
        var plan = Evaluation(specs: [AttackSpec(.pgd)], epsilons: [0.5], batchSize: 7, seed: 1)
        plan.keptExamples = AdversarialGallery.examplesToKeep(count: 4)
        let result = try plan.run(model: model, inputs: x, labels: y)
        let cell = try #require(AdversarialGallery.pick(result))
        // Kept across batches of 7: the first 16 examples, in data order, and only those.
        let kept = try #require(cell.adversarialExamples)
        #expect(kept.shape == [16, 1, 6, 6])
        // What the evaluation measured is what the grid shows: the model's predictions on the kept rows.
        #expect(model.predictions(kept) == cell.outcomes.prefix(16).map(\.adversarialPrediction))
        let grid = try #require(AdversarialGallery.make(cell: cell, inputs: x, labels: y, inputShape: model.inputShape,
                                                        count: 4, classNames: ["a", "b", "c", "d"]))
        #expect(grid.rows.count == 4)
        for row in grid.rows {
            #expect(row.images.count == 3)
            #expect(row.images.allSatisfy { $0.width == 6 && $0.height == 6 })
        }
        // at ε = 0.5 a linear model is always fooled: every adversarial caption names a new class
        #expect(grid.rows.allSatisfy { !$0.images[1].caption.contains("failed") })
        // The first row is example #0, drawn from the kept tensor's first row.
        #expect(grid.rows[0].images[1] == GrayImage(width: 6, height: 6, values: Array(kept.scalars[0..<36]), caption: grid.rows[0].images[1].caption))
        // Nothing kept → no grid; keeping changes no figure; the kept tensor is not encoded.
        var bare = plan
        bare.keptExamples = 0
        let plain = try bare.run(model: model, inputs: x, labels: y)
        #expect(plain.attacks[0].adversarialExamples == nil)
        #expect(AdversarialGallery.make(cell: plain.attacks[0], inputs: x, labels: y, inputShape: model.inputShape) == nil)
        #expect(plain.attacks[0].outcomes.map(\.adversarialPrediction) == cell.outcomes.map(\.adversarialPrediction))
        let decoded = try JSONDecoder().decode(AttackEvaluation.self, from: JSONEncoder().encode(cell))
        #expect(decoded.adversarialExamples == nil && decoded.outcomes == cell.outcomes)
        #expect(AdversarialGallery.imageSize([784]) == nil)
        #expect(AdversarialGallery.imageSize([3, 8, 8]) == nil)
        #expect(AdversarialGallery.imageSize([1, 28, 28])! == (28, 28))
    }

    @Test func reportJSONRoundTrips() throws {
        let r = try Self.report()
        let back = try JSONDecoder().decode(Report.self, from: ReportWriter.json(r))
        #expect(back.findings == r.findings)
        #expect(back.sections.count == 1)
        #expect(back.sections[0].tables.map(\.rows) == r.sections[0].tables.map(\.rows))
        #expect(back.sections[0].charts.map { $0.series.map(\.points) } == r.sections[0].charts.map { $0.series.map(\.points) })
        #expect(back.sections[0].imageGrids[0].rows.map(\.images) == r.sections[0].imageGrids[0].rows.map(\.images))
    }

    @Test func sarifHasRequiredFieldsAndOneResultPerFinding() throws {
        let r = try Self.report()
        let obj = try #require(try JSONSerialization.jsonObject(with: SARIF.render(r)) as? [String: Any])
        #expect(obj["version"] as? String == "2.1.0")
        #expect((obj["$schema"] as? String)?.contains("sarif") == true)
        let run = try #require((obj["runs"] as? [[String: Any]])?.first)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "bulwark")
        let rules = try #require(driver["rules"] as? [[String: Any]])
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == r.findings.count)
        let ruleIDs = Set(rules.compactMap { $0["id"] as? String })
        for result in results {
            let ruleID = try #require(result["ruleId"] as? String)
            #expect(ruleIDs.contains(ruleID))
            #expect(((result["message"] as? [String: Any])?["text"] as? String)?.isEmpty == false)
            #expect(["error", "warning", "note"].contains(result["level"] as? String ?? ""))
            #expect((result["properties"] as? [String: Any])?["reproduce"] as? String == "bulwark evaluate --seed 5")
        }
    }
}
