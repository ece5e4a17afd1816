public import BulwarkModels
public import BulwarkPrivacy
import BulwarkData
import Foundation

/// `bulwark train` as a library call: train a zoo model (plainly or with DP-SGD) and save it
/// with its provenance, or fine-tune an imported ONNX model and export it.
///
/// ```swift
/// let prepared = try TrainingDataPlan(source: .csv(path: "t.csv", labelColumn: "y")).prepare(try TrainingStart("tabular"))
/// let job = TrainJob(prepared: prepared, configuration: TrainingConfiguration(epochs: 1),
///                    optimizer: .adam(Adam(learningRate: 0.001)), seed: 0, outputPath: "tabular.safetensors")
/// print(try job.run().testAccuracy)
/// ```
public struct TrainJob {
    /// What training starts from, and the data.
    public var prepared: TrainingDataPlan.Prepared
    /// Epochs, batch size and the seed of shuffling.
    public var configuration: TrainingConfiguration
    /// The optimiser.
    public var optimizer: ChosenOptimizer
    /// Seed of the zoo model's initialisation.
    public var seed: UInt64
    /// Where the model goes: `.safetensors` for a zoo model, `.onnx` for a fine-tuned one.
    public var outputPath: String
    /// The zoo `mlp`'s hidden sizes and activation (``ZooVariant/standard`` for every other start).
    public var variant: ZooVariant = .standard

    /// A training job.
    public init(prepared: TrainingDataPlan.Prepared, configuration: TrainingConfiguration, optimizer: ChosenOptimizer, seed: UInt64,
                outputPath: String) {
        self.prepared = prepared
        self.configuration = configuration
        self.optimizer = optimizer
        self.seed = seed
        self.outputPath = outputPath
    }

    /// What plain training or fine-tuning produced.
    public struct Outcome: Sendable {
        /// Accuracy on the whole test split.
        public var testAccuracy: Double
        /// Wall seconds of training.
        public var trainingSeconds: Double
        /// Every epoch.
        public var epochs: [EpochSummary]
    }

    /// Trains (zoo: ``ModelTraining/run(_:architecture:seed:dataset:training:test:classCount:featureStandardisation:variant:saveTo:)``,
    /// saved with provenance) or fine-tunes and exports (ONNX), calling `progress` after every step.
    /// - Throws: the training's ``ModelError`` (a diverged run saves nothing), ``AssessmentError``
    ///   when an ONNX start carries no model, the exporter's error.
    public func run(progress: @escaping (TrainingProgress) -> Void = { _ in }) throws -> Outcome {
        let data = prepared.data
        let (training, test) = ((data.training.inputs, data.training.labels), (data.test.inputs, data.test.labels))
        switch prepared.start {
        case .zoo(let arch):
            let plain = SupervisedTraining(configuration: configuration, optimizer: optimizer, progress: progress)
            let run = try ModelTraining.run(plain, architecture: arch, seed: seed, dataset: data.description, training: training, test: test,
                                            classCount: data.classCount, featureStandardisation: try data.standardisationJSON(), variant: variant,
                                            saveTo: outputPath)
            return Outcome(testAccuracy: run.testAccuracy, trainingSeconds: run.trainingSeconds, epochs: run.outcome)
        case .onnx:
            guard let imported = prepared.onnx else { throw AssessmentError(.invalidConfiguration, "--model: the ONNX model was not loaded") }
            let plain = SupervisedTrainingOf<ONNXModel, ChosenOptimizer, StandardTrainingStep>(configuration: configuration, optimizer: optimizer,
                                                                                              progress: progress)
            let run = try fineTuneAndExport(plain, imported)
            return Outcome(testAccuracy: run.testAccuracy, trainingSeconds: run.trainingSeconds, epochs: run.outcome)
        }
    }

    /// Trains the zoo model with DP-SGD as `plan` says and saves it with ε and every DP parameter
    /// in its provenance; `progress` after every step, `epochEnded` with the ε spent so far.
    /// - Throws: ``AssessmentError`` for an ONNX start (that is ``fineTuneDP(_:progress:epochEnded:)``);
    ///   the training's errors.
    public func runDP(_ plan: DPSGDPlan, progress: @escaping (DPSGDProgress) -> Void = { _ in },
                      epochEnded: @escaping (DPSGDEpochSummary) -> Void = { _ in }) throws -> TrainedModel<DPSGDResult> {
        guard case .zoo(let architecture) = prepared.start else {
            throw AssessmentError(.invalidConfiguration, "train --dp: an ONNX model is fine-tuned with fineTuneDP, not runDP")
        }
        let data = prepared.data
        let procedure = DPSGDProcedure(configuration: plan.configuration, optimizer: optimizer, progress: progress, epochEnded: epochEnded)
        return try ModelTraining.run(procedure, architecture: architecture, seed: seed, dataset: data.description,
                                     training: (data.training.inputs, data.training.labels), test: (data.test.inputs, data.test.labels),
                                     classCount: data.classCount, featureStandardisation: try data.standardisationJSON(), variant: variant,
                                     saveTo: outputPath)
    }

    /// Fine-tunes the imported ONNX model with DP-SGD as `plan` says (per-example gradients of its
    /// Gemm, MatMul, Conv and bias Add nodes) and writes it back as ONNX with the same graph,
    /// names, opset, inputs and outputs; `progress` after every step, `epochEnded` with the ε
    /// spent so far.
    /// - Throws: ``AssessmentError`` for a zoo start or an ONNX start without its model; the
    ///   training's ``ModelError`` (carrying the ``PrivacyError`` that names a node DP-SGD cannot
    ///   clip; a diverged run writes nothing); the exporter's error.
    public func fineTuneDP(_ plan: DPSGDPlan, progress: @escaping (DPSGDProgress) -> Void = { _ in },
                           epochEnded: @escaping (DPSGDEpochSummary) -> Void = { _ in }) throws -> FineTunedModel<ONNXModel, DPSGDResult> {
        guard case .onnx = prepared.start, let imported = prepared.onnx else {
            throw AssessmentError(.invalidConfiguration, "train --dp: fineTuneDP needs an imported ONNX model")
        }
        let procedure = DPSGDProcedureOf<ONNXModel, ChosenOptimizer>(configuration: plan.configuration, optimizer: optimizer,
                                                                     progress: progress, epochEnded: epochEnded)
        return try fineTuneAndExport(procedure, imported)
    }

    /// Fine-tunes the imported model with `procedure` on the prepared data and writes it back as
    /// ONNX to the output path (nothing is written when training throws).
    private func fineTuneAndExport<P: TrainingProcedure>(_ procedure: P, _ imported: ONNXModel) throws -> FineTunedModel<ONNXModel, P.Outcome>
        where P.Model == ONNXModel {
        let data = prepared.data
        let run = try ModelTraining.fineTune(procedure, model: imported, training: (data.training.inputs, data.training.labels),
                                             test: (data.test.inputs, data.test.labels))
        try ONNXExporter.write(run.model, to: URL(fileURLWithPath: outputPath))
        return run
    }
}
