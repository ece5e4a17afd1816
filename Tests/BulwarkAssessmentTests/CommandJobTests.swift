import BulwarkData
import BulwarkEvasion
import BulwarkModels
import BulwarkPrivacy
import BulwarkReport
import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkAssessment

/// The library calls behind `certify`, `defend detect`, `defend check` and `evaluate`: each gives
/// what the threat module gives when called directly on the same model and examples, and writes
/// the files the command lists.
@Suite struct CommandJobTests {
    /// A directory with a 4-feature, 2-class tabular model and `count` examples in [0, 1].
    struct Fixture {
        let dir: URL, modelPath: String, inputs: RunInputs, model: Sequential, x: Tensor, y: [Int]

        init(count: Int = 12) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-jobs-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            model = try ZooArchitecture.tabular.makeModel(exampleShape: [4], classCount: 2, seed: 7)
            modelPath = dir.appendingPathComponent("tabular.safetensors").path
            try ModelFile.save(model, provenance: ModelProvenance(architecture: .tabular), to: modelPath)
            // deterministic inputs in [0, 1]; label 1 when the first feature is above 0.5
            let scalars = (0..<(4 * count)).map { Float(($0 * 37) % 101) / 100 }
            x = Tensor(shape: [count, 4], scalars: scalars)
            y = (0..<count).map { scalars[4 * $0] > 0.5 ? 1 : 0 }
            let xPath = dir.appendingPathComponent("x.npy").path, yPath = dir.appendingPathComponent("y.npy").path
            try NPY.write(NDArray(x), path: xPath)
            try NPY.write(NDArray(labels: y), path: yPath)
            inputs = RunInputs(modelPath: modelPath, source: .arrays(data: xPath, labels: yPath), dataName: xPath, labelsName: yPath)
        }

        func out(_ name: String) -> String { dir.appendingPathComponent(name).path }
        func remove() { try? FileManager.default.removeItem(at: dir) }
    }

    @Test func certifyJobGivesRandomizedSmoothingsCertificatesAndWritesTheReport() throws {
        let f = try Fixture()
        defer { f.remove() }
        let job = CertifyJob(inputs: f.inputs, sigma: 0.25, n0: 10, n: 40, alpha: 0.01, radii: [0, 0.1], batchSize: 40, seed: 5,
                             outputDirectory: f.out("cert"))
        let outcome = try job.run()
        let direct = try RandomizedSmoothing(base: f.model, sigma: 0.25, n0: 10, n: 40, alpha: 0.01, batchSize: 40)
            .certify(inputs: f.x, labels: f.y, radii: [0, 0.1], seed: 5)
        #expect(outcome.result.examples == direct.examples && outcome.result.curve == direct.curve)
        #expect(outcome.summary.examples == 12 && outcome.summary.curve.count == 2 && outcome.summary.sigma == 0.25)
        for name in ["certification.json", "index.html", "report.json", "report.sarif"] {
            #expect(FileManager.default.fileExists(atPath: f.out("cert/" + name)), "\(name) written")
        }
        // shard 2 of 3 covers examples 4..<8 and writes its part
        let (part, written) = try job.run(shard: try Shard(parsing: "2/3"))
        #expect(written.block == 4..<8 && written.total == 12 && part.result.examples.count == 4)
        #expect(FileManager.default.fileExists(atPath: written.url.path))
        #expect(try ReportPart.read(written.url).context.model == f.modelPath)
    }

    @Test func detectorJobRefusesCalibrationSplitsThatLeaveASideEmpty() throws {
        let f = try Fixture(count: 6)
        defer { f.remove() }
        let whole = DetectorJob(inputs: f.inputs, detector: .mahalanobis(layer: nil, ridge: 0.01), calibration: 6)
        #expect(throws: AssessmentError(.invalidConfiguration, "--calibration 6 leaves no examples to attack (6 examples)")) { try whole.run() }
        let tiny = DetectorJob(inputs: f.inputs, detector: .mahalanobis(layer: nil, ridge: 0.01), calibration: 1)
        #expect(throws: AssessmentError(.invalidConfiguration, "--calibration 1 is too small to both fit and calibrate the detector")) { try tiny.run() }
    }

    @Test func detectorJobAttacksModelAndDetectorAndSummarises() throws {
        let f = try Fixture()
        defer { f.remove() }
        let job = DetectorJob(inputs: f.inputs, detector: .featureSqueezing([try TransformSpec.parse("bit-depth:2")]), epsilon: 0.1,
                              steps: 3, batchSize: 16, seed: 1, outputDirectory: f.out("detect"))
        let outcome = try job.run()
        #expect(outcome.heldOut == 6 && outcome.attacked == 6)
        #expect(outcome.summary.examples == 6 && outcome.summary.heldOutExamples == 6 && outcome.summary.eps == 0.1)
        #expect(outcome.summary.nonAdaptive.attack == outcome.result.nonAdaptive.attack)
        #expect((0...1).contains(outcome.summary.adaptive.pipelineRobustAccuracy))
        #expect(FileManager.default.fileExists(atPath: f.out("detect/detection.json")))
    }

    @Test func transformCheckSweepDefaultsAndRun() throws {
        #expect(TransformCheckJob.defaultSweep(epsilon: 0.1) == [0.05, 0.1, 0.2, 0.5])
        #expect(TransformCheckJob.defaultSweep(epsilon: 0.4) == [0.2, 0.4, 0.5])
        #expect(TransformCheckJob.defaultSweep(epsilon: 0.5) == [0.25, 0.5])
        let f = try Fixture(count: 8)
        defer { f.remove() }
        let job = TransformCheckJob(inputs: f.inputs, transform: try TransformSpec.parse("bit-depth:2"), epsilon: 0.1, steps: 2,
                                    restarts: 0, queries: 0, seed: 3)
        let outcome = try job.run()
        let bits = PreprocessedClassifier(ErasedClassifier(f.model), transform: try TransformSpec.parse("bit-depth:2"), gradient: .plain, seed: 3)
        #expect(outcome.examples == 8 && outcome.adaptiveGradient == .bpda)
        #expect(outcome.undefendedAccuracy == f.model.accuracy(f.x, labels: f.y))
        #expect(outcome.defendedAccuracy == bits.accuracy(f.x, labels: f.y))
        #expect(outcome.report.verdicts.count > 0)
    }

    @Test func evaluateJobRefusesCWUnderLinf() throws {
        let f = try Fixture(count: 4)
        defer { f.remove() }
        let job = EvaluateJob(inputs: f.inputs, attacks: [AttackSpec(.fgsm), AttackSpec(.cw)], epsilons: [0.1], outputDirectory: f.out("e"))
        #expect(throws: AssessmentError(.invalidConfiguration, "attack 'cw' is defined for --norm l2 only")) { try job.run() }
    }

    @Test func evaluateJobMatchesTheEvaluationAndWritesItsFiles() throws {
        let f = try Fixture()
        defer { f.remove() }
        let job = EvaluateJob(inputs: f.inputs, attacks: [AttackSpec(.fgsm)], epsilons: [0.05, 0.2], batchSize: 8, seed: 2, checklist: nil,
                              outputDirectory: f.out("eval"))
        let outcome = try job.run()
        let direct = try Evaluation(specs: [AttackSpec(.fgsm)], epsilons: [0.05, 0.2], batchSize: 8, seed: 2).run(model: f.model, inputs: f.x, labels: f.y)
        #expect(outcome.examples == 12)
        #expect(outcome.checked.evaluation.attacks.map(\.metrics.robustAccuracy) == direct.attacks.map(\.metrics.robustAccuracy))
        #expect(outcome.checked.reliable == nil)
        for name in ["evaluation.json", "checked-evaluation.json", "index.html", "report.json", "report.sarif"] {
            #expect(FileManager.default.fileExists(atPath: f.out("eval/" + name)), "\(name) written")
        }
        let (_, written) = try job.run(shard: try Shard(parsing: "1/2"))
        #expect(written.block == 0..<6 && written.kind == .evaluation)
    }

    /// Batched prediction gives the logits of one forward pass over all inputs, and their argmax.
    @Test func predictionInBatchesMatchesOnePass() throws {
        let f = try Fixture()
        defer { f.remove() }
        let batched = Prediction(f.model, inputs: f.x, batchSize: 5)
        let whole = f.model.logits(f.x)
        #expect(batched.logits.shape == [12, 2])
        for (a, b) in zip(batched.logits.scalars, whole.scalars) { #expect(abs(a - b) < 1e-5) }
        #expect(batched.classes == (0..<12).map { whole.scalars[2 * $0 + 1] > whole.scalars[2 * $0] ? 1 : 0 })
        #expect(Prediction(f.model, inputs: Tensor.zeros([0, 4])).logits.shape == [0, 2])
    }

    /// A zoo model exports as ONNX with its parameters; an ONNX file is rewritten as is.
    @Test func modelExportWritesOnnxWithTheModelsParameters() throws {
        let f = try Fixture(count: 2)
        defer { f.remove() }
        let written = try ModelExport.write(model: f.modelPath, architecture: nil, to: f.out("m.onnx"))
        #expect(written == ModelExport.Written(out: f.out("m.onnx"), opset: 17, parameters: f.model.parameterCount))
        let imported = try ONNXModel(contentsOf: URL(fileURLWithPath: f.out("m.onnx")))
        for (a, b) in zip(imported.logits(f.x).scalars, f.model.logits(f.x).scalars) { #expect(abs(a - b) < 1e-4) }
        let again = try ModelExport.write(model: f.out("m.onnx"), architecture: nil, to: f.out("again.onnx"))
        #expect(again.parameters == written.parameters && again.opset == imported.summary.opsetVersion)
    }

    /// The audit scores members against non-members and writes its report; shadow attacks on an
    /// ONNX model (no architecture to copy) are refused in one line.
    @Test func privacyAuditJobScoresMembersAndRefusesShadowsWithoutAZooModel() throws {
        let f = try Fixture()
        defer { f.remove() }
        let xo = f.out("xo.npy"), yo = f.out("yo.npy")
        try NPY.write(NDArray(Tensor(shape: [12, 4], scalars: f.x.scalars.map { 1 - $0 })), path: xo)
        try NPY.write(NDArray(labels: f.y.map { 1 - $0 }), path: yo)
        let job = PrivacyAuditJob(members: f.inputs, nonMemberData: xo, nonMemberLabels: yo, attacks: [.loss, .confidence],
                                  outputDirectory: f.out("audit"))
        let outcome = try job.run()
        #expect(outcome.result.members == 12 && outcome.result.nonMembers == 12)
        #expect(outcome.result.attacks.map(\.attack) == [.loss, .confidence] && outcome.claimedDelta == nil)
        #expect(FileManager.default.fileExists(atPath: f.out("audit/report.json")))
        _ = try ModelExport.write(model: f.modelPath, architecture: nil, to: f.out("m.onnx"))
        var onnx = job
        onnx.members.modelPath = f.out("m.onnx")
        onnx.attacks = [.shadow]
        #expect(throws: AssessmentError(.invalidConfiguration, "shadow and LiRA attacks need a zoo model (.safetensors) to copy its architecture")) {
            try onnx.run()
        }
        let (_, written) = try job.run(shard: try Shard(parsing: "2/2"))
        #expect(written.total == 24 && written.block == 12..<24 && written.kind == .privacyAudit)
    }
}
