import BulwarkData
import BulwarkModels
import BulwarkPrivacy
import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkAssessment

/// The model and data loading the commands share: what training starts from, the training
/// split, and examples read for a model (CSV statistics from the model file, the [0, 1] check).
@Suite struct TrainingInputsTests {
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-inputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A CSV table of `rows` rows: features a = i, b = 10 + 2i, label i % 2.
    static func table(rows: Int, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("t.csv").path
        let text = "a,b,label\n" + (0..<rows).map { "\($0),\(10 + 2 * $0),\($0 % 2)" }.joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func trainingStartParsesZooNamesAndONNXFiles() throws {
        #expect(try TrainingStart("cnn") == .zoo(.cnn))
        #expect(try TrainingStart("dir/Mine.ONNX") == .onnx(path: "dir/Mine.ONNX"))
        #expect(try TrainingStart("dir/Mine.ONNX").name == "Mine.ONNX")
        #expect(try TrainingStart("tabular").name == "tabular")
        #expect(throws: AssessmentError.self) { try TrainingStart("transformer") }
        do { _ = try TrainingStart("transformer") } catch { #expect(error.code == .invalidConfiguration && error.message.contains("'transformer'")) }
    }

    /// Ten rows, test fraction 0.2: eight train and two test; the standardisation is fitted on
    /// the training rows only, so those have mean 0 and the stored statistics are their own.
    @Test func csvTrainingSplitIsStandardisedWithTrainingStatistics() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = TrainingDataPlan(source: .csv(path: try Self.table(rows: 10, in: dir), labelColumn: "label"), testFraction: 0.2, seed: 3)
        let data = try plan.load(exampleShape: nil, classCount: nil, standardise: true, modelName: "tabular")
        #expect(data.training.count == 8 && data.test.count == 2 && data.classCount == 2)
        let fitted = try #require(data.standardisation)
        let column0 = stride(from: 0, to: 16, by: 2).map { Double(data.training.inputs.scalars[$0]) }
        #expect(abs(column0.reduce(0, +) / 8) < 1e-5)
        #expect(fitted.mean.count == 2)
        #expect(try data.standardisationJSON()?.contains("mean") == true)
        // raw (ONNX models): no statistics, features as read
        let raw = try plan.load(exampleShape: nil, classCount: nil, standardise: false, modelName: "m.onnx")
        #expect(raw.standardisation == nil)
        #expect(raw.training.inputs.scalars.allSatisfy { $0 >= 0 && $0 == $0.rounded() })
    }

    @Test func aSplitThatLeavesNoTestExampleIsRefused() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = TrainingDataPlan(source: .csv(path: try Self.table(rows: 1, in: dir), labelColumn: "label"), testFraction: 0.2)
        do {
            _ = try plan.load(exampleShape: nil, classCount: nil, standardise: true, modelName: "tabular")
            Issue.record("a one-row table was split")
        } catch {
            #expect(error.message.contains("cannot be split by --test-fraction 0.2"))
        }
    }

    @Test func modelFormatIsRecognisedByContent() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let st = dir.appendingPathComponent("model.bin"), other = dir.appendingPathComponent("model.onnx")
        try Data([2, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)).write(to: st)
        try Data([0x08, 0x07, 0x12]).write(to: other)
        #expect(ModelExamples.format(ofFile: st.path) == .safetensors)
        #expect(ModelExamples.format(ofFile: other.path) == .onnx)
        #expect(ModelExamples.format(ofFile: dir.appendingPathComponent("absent").path) == nil)
        #expect(try ModelExamples.standardisation(ofModel: other.path) == nil)
    }

    /// A tabular model that records statistics (mean 1, 20; std 2, 4) sees its CSV rows
    /// standardised with them: row i becomes ((i − 1)/2, (10 + 2i − 20)/4).
    @Test func csvExamplesUseTheStatisticsStoredInTheModel() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try ZooArchitecture.tabular.makeModel(exampleShape: [2], classCount: 2)
        var provenance = ModelProvenance(architecture: .tabular)
        let stats = try FeatureStandardisation(mean: [1, 20], std: [2, 4])
        provenance.featureStandardisation = String(decoding: try stats.jsonBytes(), as: UTF8.self)
        let path = dir.appendingPathComponent("tabular.safetensors").path
        try ModelFile.save(model, provenance: provenance, to: path)
        let loaded = try ModelExamples.load(modelPath: path, architecture: nil,
                                            source: .csv(path: try Self.table(rows: 4, in: dir), labelColumn: "label"), limit: 3)
        #expect(loaded.examples.count == 3 && loaded.model.classCount == 2)
        let expected: [Float] = [-0.5, -2.5, 0, -2, 0.5, -1.5]
        for (got, want) in zip(loaded.examples.inputs.scalars, expected) { #expect(abs(got - want) < 1e-5) }
    }

    /// Arrays outside the clip range [0, 1] are refused for a model, naming the file.
    @Test func arrayExamplesOutsideTheClipRangeAreRefused() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try ZooArchitecture.tabular.makeModel(exampleShape: [2], classCount: 2)
        let x = dir.appendingPathComponent("x.npy").path, y = dir.appendingPathComponent("y.npy").path
        try NPY.write(NDArray(Tensor(shape: [2, 2], scalars: [0, 0.5, 1, 3])), path: x)
        try NPY.write(NDArray(labels: [0, 1]), path: y)
        do {
            _ = try ModelExamples.examples(from: .arrays(data: x, labels: y), for: model, modelPath: "unused", limit: nil)
            Issue.record("inputs outside [0, 1] were accepted")
        } catch {
            #expect(error.description.contains(x))
        }
    }

    /// A tabular model trained on a CSV table stores the training split's statistics, and
    /// loading examples for it applies exactly those; DP-SGD refuses an ONNX start.
    @Test func trainJobSavesTheStatisticsThatLoadingApplies() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let table = try Self.table(rows: 20, in: dir)
        let prepared = try TrainingDataPlan(source: .csv(path: table, labelColumn: "label"), testFraction: 0.25, seed: 1)
            .prepare(try TrainingStart("tabular"))
        let out = dir.appendingPathComponent("tabular.safetensors").path
        let job = TrainJob(prepared: prepared, configuration: TrainingConfiguration(epochs: 2, batchSize: 5, seed: 1),
                           optimizer: .adam(Adam(learningRate: 0.01)), seed: 1, outputPath: out)
        var steps = 0
        let outcome = try job.run { _ in steps += 1 }
        #expect(outcome.epochs.count == 2 && steps == 2 * 3 && (0...1).contains(outcome.testAccuracy))
        #expect(try ModelExamples.standardisation(ofModel: out) == prepared.data.standardisation)
        let summary = TrainingSummary(outcome, of: job)
        #expect(summary.model == "tabular" && summary.trainImages == 15 && summary.testImages == 5 && summary.learningRate == 0.01)
        #expect(summary.perEpoch.map(\.epoch) == [1, 2] && summary.testAccuracy == outcome.testAccuracy && summary.out == out)
        let onnx = TrainingDataPlan.Prepared(start: .onnx(path: "m.onnx"), onnx: nil, data: prepared.data)
        let dp = try DPSGDPlan(noiseMultiplier: 1, targetEpsilon: nil, maxGradientNorm: 1, delta: 1e-5, samplingRate: nil, batchSize: 5,
                               examples: 15, epochs: 1, randomness: .seededInsecure(seed: 0))
        #expect(throws: AssessmentError.self) {
            try TrainJob(prepared: onnx, configuration: TrainingConfiguration(epochs: 1), optimizer: .adam(Adam(learningRate: 0.01)),
                         seed: 0, outputPath: dir.appendingPathComponent("x.safetensors").path).runDP(dp)
        }
    }
}
