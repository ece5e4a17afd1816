import BulwarkPoisoning
import Foundation
import Testing
@testable import BulwarkReport

/// Poisoning results → findings (tags, severities, formatted evidence) and the report section.
@Suite struct PoisoningFindingsTests {
    static let reproduce = "bulwark data detect --model m.safetensors --data x.npy --labels y.npy"

    @Test func backdoorEvaluationIsPoisonModelAndModelPoisoning() throws {
        let e = PoisoningEvaluation(targetClass: 0,
                                    poisoned: PoisoningMetrics(cleanAccuracy: 0.85, cleanCount: 200, attackSuccessRate: 0.92, triggeredCount: 180),
                                    clean: PoisoningMetrics(cleanAccuracy: 0.86, cleanCount: 200, attackSuccessRate: 0.03, triggeredCount: 180))
        let f = PoisoningFindings.findings(evaluation: e, technique: "BadNets backdoor", reproduce: Self.reproduce, artifact: "m.safetensors")
        #expect(f.count == 1)  // a backdoor's accuracy side effect is in its own finding, not a separate one
        let b = try #require(f.first)
        #expect(b.id == "poisoning.backdoor.target-0")
        #expect(b.threat == .poisoning)
        #expect(b.atlasID == "AML.T0018.000")
        #expect(b.owaspID == "ML10:2023")
        #expect(b.severity == .high)  // +89 points of attack success
        #expect(b.title == "BadNets backdoor: attack success 92.0% (clean model 3.0%), clean accuracy 85.0%")
        #expect(b.detail.contains("-1.0 pts against the clean model"))
        #expect(b.reproduce == Self.reproduce)
        #expect(b.metrics.first { $0.name == "attack_success_rate" }?.value == 0.92)

        // the trigger's natural effect is subtracted: a 12 % success that the clean model also shows is info
        let natural = PoisoningEvaluation(targetClass: 3,
                                          poisoned: PoisoningMetrics(cleanAccuracy: 0.8, cleanCount: 10, attackSuccessRate: 0.12, triggeredCount: 9),
                                          clean: PoisoningMetrics(cleanAccuracy: 0.8, cleanCount: 10, attackSuccessRate: 0.10, triggeredCount: 9))
        #expect(PoisoningFindings.findings(evaluation: natural, technique: "Blend", reproduce: "r").first?.severity == .info)
    }

    @Test func labelFlipAndCleanLabelArePoisonTrainingData() throws {
        let flip = PoisoningEvaluation(targetClass: 0, poisoned: PoisoningMetrics(cleanAccuracy: 0.70, cleanCount: 1000),
                                       clean: PoisoningMetrics(cleanAccuracy: 0.86, cleanCount: 1000))
        let a = try #require(PoisoningFindings.findings(evaluation: flip, technique: "Label flipping", reproduce: "r").first)
        #expect(a.id == "poisoning.availability")
        #expect(a.atlasID == ATLAS.poisonTrainingData)
        #expect(a.owaspID == OWASPML.dataPoisoning)
        #expect(a.severity == .high)
        #expect(a.title == "Label flipping: clean accuracy 86.0% → 70.0% (-16.0 pts)")

        let slight = PoisoningEvaluation(targetClass: 0, poisoned: PoisoningMetrics(cleanAccuracy: 0.845, cleanCount: 1000),
                                         clean: PoisoningMetrics(cleanAccuracy: 0.86, cleanCount: 1000))
        #expect(PoisoningFindings.findings(evaluation: slight, technique: "Label flipping", reproduce: "r").first?.severity == .low)

        let victims = PoisoningEvaluation(targetClass: 2,
                                          poisoned: PoisoningMetrics(cleanAccuracy: 0.85, cleanCount: 100, victimTargetRate: 0.3, victimCount: 10),
                                          clean: PoisoningMetrics(cleanAccuracy: 0.85, cleanCount: 100, victimTargetRate: 0, victimCount: 10))
        let v = PoisoningFindings.findings(evaluation: victims, technique: "Feature collision", reproduce: "r")
        #expect(v.map(\.id) == ["poisoning.targeted.target-2"])
        #expect(v.first?.atlasID == "AML.T0020")
        #expect(v.first?.severity == .medium)
        #expect(v.first?.title == "Feature collision: 30.0% of 10 victims classified as class 2 (clean model 0.0%)")

        // without a clean model there is nothing to compare accuracy with: no availability finding
        let alone = PoisoningEvaluation(targetClass: 0, poisoned: PoisoningMetrics(cleanAccuracy: 0.7, cleanCount: 10), clean: nil)
        #expect(PoisoningFindings.findings(evaluation: alone, technique: "Label flipping", reproduce: "r").isEmpty)
    }

    @Test func detectorThatFlagsNothingIsInfoAndNeverSaysClean() throws {
        let r = PoisonDetectionResult(method: "activation-clustering", scores: Array(repeating: -0.5, count: 40), flaggedIndices: [],
                                      parameters: ["rule": "relative-size<0.35"])
        let f = try #require(PoisoningFindings.findings(detections: [r], reproduce: Self.reproduce).first)
        #expect(f.severity == .info)
        #expect(f.title == "No poison flagged by Activation clustering in 40 training examples")
        #expect(!f.title.lowercased().contains("clean"))
        #expect(f.detail.contains("does not show the data is clean"))
        #expect(f.detail.contains("clean-label poison"))
        #expect(f.atlasID == "AML.T0020" && f.owaspID == "ML02:2023")
    }

    @Test func detectorFlagsCarryPrecisionAndRecallAgainstGroundTruth() throws {
        let scores = (0..<10).map(Double.init)
        let ac = PoisonDetectionResult(method: "activation-clustering", scores: scores, flaggedIndices: [4, 1, 2, 3])
        let ss = PoisonDetectionResult(method: "spectral-signatures", scores: scores, flaggedIndices: [8, 9])
        let withTruth = PoisoningFindings.findings(detections: [ac, ss], poisonIndices: [2, 3, 8], reproduce: "r")
        #expect(withTruth.map(\.id) == ["poisoning.detect.activation-clustering", "poisoning.detect.spectral-signatures"])
        let a = withTruth[0]
        #expect(a.title == "Activation clustering flagged 4 of 10 training examples (40.0%); precision 0.500, recall 0.667 against 3 known poison")
        #expect(a.metrics.first { $0.name == "precision" }?.value == 0.5)
        #expect(abs((a.metrics.first { $0.name == "recall" }?.value ?? 0) - 2.0 / 3) < 1e-12)
        #expect(a.severity == .medium)
        #expect(a.detail.contains("indices 1, 2, 3, 4"))

        let without = PoisoningFindings.findings(detections: [ac, ss], reproduce: "r")
        #expect(without[0].severity == .low)
        #expect(without[1].severity == .info)  // spectral signatures flags a fixed fraction by construction
        #expect(without[1].detail.contains("fixed fraction"))
        #expect(without[0].metrics.contains { $0.name == "precision" } == false)

        let nc = PoisonDetectionResult(method: "neural-cleanse", unit: .class, scores: [0.5, 3.1, 0.2], flaggedIndices: [1], threshold: 2)
        let n = try #require(PoisoningFindings.findings(detections: [nc], reproduce: "r").first)
        #expect(n.atlasID == ATLAS.backdoorModel && n.owaspID == OWASPML.modelPoisoning)
        #expect(n.title == "Neural Cleanse flagged 1 of 3 classes (33.3%)")
    }

    /// A real data check on a tiny set: one NaN record, one exact copy, one copy with another label.
    @Test func dataCheckProblemsBecomeFindings() throws {
        let values: [Float] = [0.1, 0.2, 0.1, 0.2, .nan, 0.5, 0.9, 0.8, 0.9, 0.8, 0.3, 0.7]
        let x = try ValidationExamples(values: values, exampleShape: [2], labels: [0, 0, 1, 1, 2, 0], classCount: 3)
        let report = try DataCheck.run(x)
        let f = PoisoningFindings.findings(dataCheck: report, reproduce: "bulwark data check x.npy")
        #expect(f.count == report.findings.count)
        #expect(f.allSatisfy { $0.atlasID == "AML.T0020" && $0.owaspID == "ML02:2023" && $0.threat == .poisoning })
        let byID = Dictionary(f.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byID["poisoning.data.non_finite"]?.severity == .high)
        #expect(byID["poisoning.data.conflicting_labels"]?.severity == .medium)
        #expect(byID["poisoning.data.exact_duplicate"]?.severity == .low)
        #expect(byID["poisoning.data.non_finite"]?.title.hasPrefix("Non-finite values: 1 example(s) hold NaN") == true)
        #expect(f.first?.severity == .high)  // most serious first, as the check orders them

        let tidy = try ValidationExamples(values: [0.1, 0.2, 0.5, 0.6, 0.9, 0.1], exampleShape: [2], labels: [0, 1, 0])
        let none = PoisoningFindings.findings(dataCheck: try DataCheck.run(tidy), reproduce: "r")
        #expect(none.map(\.id) == ["poisoning.data.no-findings"])
        #expect(none.first?.severity == .info)
        #expect(none.first?.detail.contains("not proof") == true)
    }

    /// A training set sharing one record with the evaluation set, profiled for real.
    @Test func profileReportsDuplicatesAcrossTheSplit() throws {
        let train = try ValidationExamples(values: [0.1, 0.2, 0.5, 0.6, 0.9, 0.1, 0.1, 0.2], exampleShape: [2], labels: [0, 1, 0, 0])
        let test = try ValidationExamples(values: [0.9, 0.1, 0.3, 0.95], exampleShape: [2], labels: [0, 1])
        let p = try DatasetProfile.make(train, test: test)
        let f = PoisoningFindings.findings(profile: p, reproduce: "bulwark assess")
        let cross = try #require(f.first { $0.id == "poisoning.profile.cross-split-duplicates" })
        #expect(cross.severity == .medium)
        #expect(cross.title == "1 identical and 0 near-duplicate (training, evaluation) pair(s) across 4 training and 2 evaluation examples")
        #expect(cross.detail.contains("train 2 ~ test 0"))
        #expect(f.first { $0.id == "poisoning.profile.exact-duplicates" }?.severity == .low)

        let disjoint = try DatasetProfile.make(try ValidationExamples(values: [0.1, 0.2, 0.5, 0.6], exampleShape: [2], labels: [0, 1]),
                                               test: try ValidationExamples(values: [0.9, 0.1], exampleShape: [2], labels: [0]))
        let none = PoisoningFindings.findings(profile: disjoint, reproduce: "r")
        #expect(none.map(\.id) == ["poisoning.profile.no-findings"])
        #expect(none.first?.severity == .info)
    }

    @Test func sectionRendersInTheHTMLReport() throws {
        let e = PoisoningEvaluation(targetClass: 0,
                                    poisoned: PoisoningMetrics(cleanAccuracy: 0.85, cleanCount: 200, attackSuccessRate: 0.92, triggeredCount: 180),
                                    clean: PoisoningMetrics(cleanAccuracy: 0.86, cleanCount: 200, attackSuccessRate: 0.03, triggeredCount: 180))
        let ac = PoisonDetectionResult(method: "activation-clustering", scores: (0..<10).map(Double.init), flaggedIndices: [2, 3],
                                       classes: [.init(label: 0, examples: 5, flagged: 2), .init(label: 1, examples: 5, flagged: 0)])
        let s = PoisoningFindings.section(evaluation: (e, "BadNets backdoor"), detections: [ac], poisonIndices: [2, 3, 8], notes: ["Ran on 10 images."])
        #expect(s.tables.map(\.title) == ["Attack effect — target class 0, 200 test examples", "Poison detectors"])
        #expect(s.tables[0].rows == [["clean (same architecture)", "86.0%", "3.0%", "—"], ["poisoned (BadNets backdoor)", "85.0%", "92.0%", "—"]])
        #expect(s.tables[1].rows.first?.prefix(6) == ["Activation clustering", "10", "2", "20.0%", "1.000", "0.667"])
        #expect(s.charts.first?.series.first?.points.map(\.y) == [0.4, 0])
        #expect(s.text?.hasPrefix("Ran on 10 images.") == true)
        let findings = PoisoningFindings.findings(evaluation: e, technique: "BadNets backdoor", reproduce: "r")
            + PoisoningFindings.findings(detections: [ac], poisonIndices: [2, 3, 8], reproduce: "r")
        let html = HTML.render(Report(title: "t", toolVersion: "0", command: "r", seed: 0, parameters: [:], findings: findings, sections: [s]))
        #expect(html.contains("Poisoning (training data)"))
        #expect(html.contains("AML.T0018.000"))
        #expect(html.contains("BadNets backdoor: attack success 92.0%"))
    }
}
