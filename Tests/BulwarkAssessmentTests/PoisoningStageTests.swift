import BulwarkData
import BulwarkModels
import BulwarkPoisoning
import BulwarkReport
import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkAssessment

/// The poisoning stage of `bulwark assess`: on synthetic data with an untrained model, and end
/// to end on a tiny Fashion-MNIST run.
@Suite struct PoisoningStageTests {
    /// `count` random 1×28×28 images, labels cycling through the 10 classes.
    static func images(_ count: Int, seed: UInt64) throws -> LabeledDataset {
        var rng = SeededGenerator(seed: seed)
        return try LabeledDataset(inputs: Tensor.uniform([count, 1, 28, 28], using: &rng), labels: (0..<count).map { $0 % 10 }, classCount: 10)
    }

    /// Training data that holds two evaluation images and one repeated image: the profile finds
    /// both, and the two detectors examine exactly the first `detectionLimit` images.
    @Test func stageProfilesTheDataAndRunsBothDetectorsWithinTheLimit() throws {
        let evaluation = try Self.images(20, seed: 1)
        let fresh = try Self.images(60, seed: 2)
        // rows 0–59 fresh, then evaluation images 3 and 7, then a copy of row 5
        let rows = fresh.inputs.scalars + evaluation.inputs.rows(3..<4).scalars + evaluation.inputs.rows(7..<8).scalars + fresh.inputs.rows(5..<6).scalars
        let training = try LabeledDataset(inputs: Tensor(shape: [63, 1, 28, 28], scalars: rows),
                                          labels: fresh.labels + [evaluation.labels[3], evaluation.labels[7], fresh.labels[5]], classCount: 10)
        let model = ZooArchitecture.mlp.makeModel(seed: 0)
        var stages: [AssessmentProgress.Stage] = []
        let r = try PoisoningStage.run(model: model, training: training, evaluation: evaluation, detectionLimit: 50, batchSize: 32) { stages.append($0.stage) }
        #expect(stages.allSatisfy { $0 == .poisoning } && !stages.isEmpty)
        #expect(r.trainingExamples == 63 && r.detectionExamples == 50 && r.evaluationExamples == 20)
        #expect(r.detections.map(\.method) == ["activation-clustering", "spectral-signatures"])
        #expect(r.detections.allSatisfy { $0.scores.count == 50 })
        #expect(r.profile.duplicates.crossSplitExactCount == 2)
        #expect(r.profile.duplicates.exactGroups == [[5, 62]])
        #expect(r.profileSeconds >= 0 && r.detectionSeconds >= 0)

        let findings = PoisoningStage.findings(r, reproduce: "bulwark assess --quick", artifact: "m.safetensors")
        let ids = findings.map(\.id)
        #expect(ids.contains("poisoning.profile.cross-split-duplicates"))
        #expect(ids.contains("poisoning.profile.exact-duplicates"))
        #expect(ids.contains("poisoning.detect.activation-clustering") && ids.contains("poisoning.detect.spectral-signatures"))
        #expect(findings.allSatisfy { $0.threat == .poisoning && $0.reproduce == "bulwark assess --quick" })
        let section = PoisoningStage.section(r)
        #expect(section.tables.map(\.title) == ["Poison detectors", "Training-data profile"])
        #expect(section.text?.contains("first 50 training images") == true)

        // a limit larger than the data examines all of it; 0 runs no detector
        let all = try PoisoningStage.run(model: model, training: training, evaluation: evaluation, detectionLimit: 5000, batchSize: 32)
        #expect(all.detectionExamples == 63)
        let none = try PoisoningStage.run(model: model, training: training, evaluation: evaluation, detectionLimit: 0, batchSize: 32)
        #expect(none.detections.isEmpty)
    }

    @Test func configurationSpellsOutTheStageOptions() throws {
        var c = AssessmentConfiguration()
        c.poisoningChecks = false
        #expect(c.reproduceCommand.contains(" --no-poisoning "))
        c.poisoningChecks = true
        c.poisoningDetectionLimit = 800
        #expect(c.reproduceCommand.contains(" --poisoning-limit 800 "))
        c.poisoningDetectionLimit = -1
        #expect(throws: AssessmentError.self) { try c.validate() }
    }

    /// The whole pipeline on a tiny run (200 training images, 16 test images, no black-box attack): the
    /// report has the poisoning findings and section; a second run with the stage off reuses the
    /// model and says the stage was skipped.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/train-images-idx3-ubyte.gz")))
    func assessmentAddsThePoisoningStageAndCanSkipIt() throws {
        let dir = try AssessmentTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = AssessmentConfiguration.quickPreset()
        c.trainLimit = 200
        c.evaluationLimit = 16
        c.blackBoxLimit = 0
        c.epsilons = [0.1]
        c.galleryCount = 2
        c.poisoningDetectionLimit = 150
        c.modelDirectory = dir.appendingPathComponent("models").path
        c.outputDirectory = dir.appendingPathComponent("report").path
        let outcome = try Assessment(configuration: c).run()
        let p = try #require(outcome.poisoning)
        #expect(p.trainingExamples == 200 && p.detectionExamples == 150 && p.evaluationExamples == 16)
        #expect(outcome.report.findings.contains { $0.id == "poisoning.detect.activation-clustering" })
        #expect(outcome.report.findings.contains { $0.id.hasPrefix("poisoning.profile.") })
        #expect(outcome.report.sections.contains { $0.title == "Poisoning (training data)" })
        #expect(outcome.report.parameters["poisoning.detection_examples"] == "first 150 training images")
        let html = try String(contentsOf: URL(fileURLWithPath: c.outputDirectory + "/index.html"), encoding: .utf8)
        #expect(html.contains("Poison detectors"))

        c.poisoningChecks = false
        let skipped = try Assessment(configuration: c).run()
        #expect(skipped.poisoning == nil)
        #expect(!skipped.report.findings.contains { $0.threat == .poisoning })
        #expect(skipped.report.sections.contains { $0.title == "Poisoning (not run)" })
        #expect(skipped.report.parameters["poisoning"] == "skipped")
        #expect(skipped.report.findings.first?.reproduce.contains("--no-poisoning") == true)
    }
}
