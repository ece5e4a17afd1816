public import BulwarkTensor
import BulwarkArchive
import Crypto
import Foundation

/// A model trained, tested and saved by ``ModelTraining/run(_:architecture:seed:dataset:training:test:classCount:featureStandardisation:variant:saveTo:)``.
public struct TrainedModel<Outcome> {
    /// The trained model.
    public var model: Sequential
    /// What was written into the file's metadata.
    public var provenance: ModelProvenance
    /// The procedure's own report.
    public var outcome: Outcome
    /// Accuracy on the whole test set.
    public var testAccuracy: Double
    /// Wall seconds of training (not of loading, testing or saving).
    public var trainingSeconds: Double
}

/// A model fine-tuned by ``ModelTraining/fineTune(_:model:training:test:)``.
public struct FineTunedModel<Model: TrainableModel, Outcome> {
    /// The trained model.
    public var model: Model
    /// The procedure's own report.
    public var outcome: Outcome
    /// Accuracy on the whole test set after training.
    public var testAccuracy: Double
    /// Wall seconds of training (not of testing).
    public var trainingSeconds: Double
}

/// Train, test and save with provenance — the one way every Bulwark command makes a model file.
public enum ModelTraining {
    /// Initialises `architecture` from `seed`, trains it with `procedure`, measures its accuracy
    /// on `test` and saves it atomically to `path` with a ``ModelProvenance`` holding the seed,
    /// the data's SHA-256, the procedure's settings, the test accuracy, the training time and
    /// the tool version.
    ///
    /// The model is built for the training data: its example shape (the inputs' shape after the
    /// batch axis, e.g. 3×32×32 for `resnet`, F for `tabular`) and `classCount` classes (nil:
    /// the largest label in either split + 1; `mlp` and `cnn` always have 10).
    /// `featureStandardisation` (JSON) is recorded for models trained on standardised CSV features;
    /// `variant` (an `mlp`'s hidden sizes and activation) is built and recorded.
    ///
    /// Cost: the procedure's, plus one SHA-256 pass over the training data and one inference
    /// pass over the test set.
    /// - Throws: ``ModelError`` from building the model for the data's shape, from the procedure
    ///   or from writing the file.
    public static func run<P: TrainingProcedure>(_ procedure: P, architecture: ZooArchitecture, seed: UInt64, dataset: String,
                                                 training: (inputs: Tensor, labels: [Int]), test: (inputs: Tensor, labels: [Int]),
                                                 classCount: Int? = nil, featureStandardisation: String? = nil,
                                                 variant: ZooVariant = .standard,
                                                 saveTo path: String) throws(ModelError) -> TrainedModel<P.Outcome>
        where P.Model == Sequential {
        var provenance = ModelProvenance(architecture: architecture, dataset: dataset, seed: seed)
        provenance.variant = variant.isStandard ? nil : variant
        provenance.trainImages = training.labels.count
        provenance.dataSHA256 = dataSHA256(inputs: training.inputs, labels: training.labels)
        provenance.toolVersion = BulwarkVersion.current
        provenance.featureStandardisation = featureStandardisation
        var model = try makeModel(architecture, seed: seed, training: training, test: test, classCount: classCount, variant: variant)
        let start = Date()
        let outcome = try procedure.train(&model, inputs: training.inputs, labels: training.labels)
        let seconds = Date().timeIntervalSince(start)
        let accuracy = model.accuracy(test.inputs, labels: test.labels)
        procedure.record(outcome, in: &provenance)
        provenance.testAccuracy = accuracy
        provenance.trainingSeconds = seconds
        try ModelFile.save(model, provenance: provenance, to: path)
        return TrainedModel(model: model, provenance: provenance, outcome: outcome, testAccuracy: accuracy, trainingSeconds: seconds)
    }

    /// Fine-tunes an existing model (e.g. an imported ``ONNXModel``) with `procedure` and measures
    /// its accuracy on `test`; saving is the caller's (for an ONNX model `ONNXExporter.write(model, to:)`,
    /// which keeps the file's graph and changes only initializer values).
    ///
    /// ```swift
    /// let imported = try ONNXModel(contentsOf: URL(fileURLWithPath: "cnn.onnx"))
    /// let data = (inputs: Tensor.zeros([16] + imported.inputShape), labels: [Int](repeating: 0, count: 16))
    /// let plan = SupervisedTrainingOf<ONNXModel, Adam, StandardTrainingStep>(
    ///     configuration: TrainingConfiguration(epochs: 1), optimizer: Adam(learningRate: 1e-4))
    /// let run = try ModelTraining.fineTune(plan, model: imported, training: data, test: data)
    /// try ONNXExporter.write(run.model, to: URL(fileURLWithPath: "cnn-finetuned.onnx"))
    /// ```
    ///
    /// Cost: the procedure's, plus one inference pass over the test set.
    /// - Throws: ``ModelError`` from the procedure.
    public static func fineTune<P: TrainingProcedure>(_ procedure: P, model: P.Model,
                                                      training: (inputs: Tensor, labels: [Int]),
                                                      test: (inputs: Tensor, labels: [Int])) throws(ModelError) -> FineTunedModel<P.Model, P.Outcome> {
        var model = model
        let start = Date()
        let outcome = try procedure.train(&model, inputs: training.inputs, labels: training.labels)
        let seconds = Date().timeIntervalSince(start)
        let accuracy = model.accuracy(test.inputs, labels: test.labels)
        return FineTunedModel(model: model, outcome: outcome, testAccuracy: accuracy, trainingSeconds: seconds)
    }

    /// `architecture` initialised from `seed` for the example shape of `training` and its classes.
    package static func makeModel(_ architecture: ZooArchitecture, seed: UInt64, training: (inputs: Tensor, labels: [Int]),
                                  test: (inputs: Tensor, labels: [Int]), classCount: Int?,
                                  variant: ZooVariant = .standard) throws(ModelError) -> Sequential {
        let labelled = max(training.labels.max() ?? 0, test.labels.max() ?? 0) + 1
        var classes = classCount ?? labelled
        if !architecture.isSizedFromData, classes <= ZooArchitecture.defaultClassCount { classes = ZooArchitecture.defaultClassCount }
        let shape = Array(training.inputs.shape.dropFirst())
        return try architecture.makeModel(exampleShape: shape, classCount: max(classes, labelled), seed: seed, variant: variant)
    }

    /// SHA-256 (hex) of training data: the inputs' scalars as little-endian `float32`, row-major,
    /// then the labels as little-endian `int64`. Equal digests mean the same examples in the
    /// same order.
    public static func dataSHA256(inputs: Tensor, labels: [Int]) -> String {
        var hasher = SHA256()
        inputs.scalars.withUnsafeBufferPointer { buffer in
            #if _endian(little)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
            #else
            buffer.map { $0.bitPattern.littleEndian }.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            #endif
        }
        labels.map { Int64($0).littleEndian }.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
