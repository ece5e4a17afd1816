public import BulwarkTensor

/// A way of training a freshly initialised model: plain or defended mini-batch training,
/// distillation, DP-SGD. ``ModelTraining/run(_:architecture:seed:dataset:training:test:saveTo:)``
/// runs any of them the same way — train, test, record provenance, save.
///
/// A procedure trains one kind of model, ``Model`` (``Sequential`` unless it says otherwise);
/// ``SupervisedTrainingOf`` trains any ``TrainableModel``, e.g. an imported ``ONNXModel``
/// through ``ModelTraining/fineTune(_:model:training:test:)``.
public protocol TrainingProcedure {
    /// What the procedure reports about its run (per-epoch summaries, ε spent, …).
    associatedtype Outcome
    /// The kind of model the procedure trains.
    associatedtype Model: TrainableModel = Sequential

    /// Trains `model` (initialised from the run's seed, or imported) in place.
    /// - Throws: ``ModelError`` when the procedure cannot train this model or these settings.
    func train(_ model: inout Model, inputs: Tensor, labels: [Int]) throws(ModelError) -> Outcome

    /// Adds the procedure's settings (epochs, optimiser, defence, DP parameters, …) to `provenance`.
    func record(_ outcome: Outcome, in provenance: inout ModelProvenance)
}

/// Mini-batch training of a ``Sequential`` model with an optimiser and a per-step hook: plain
/// training with ``StandardTrainingStep``, a defence with its step (adversarial training, noise
/// augmentation). ``SupervisedTrainingOf`` with the model type fixed to ``Sequential``.
///
/// ```swift
/// let (train, test) = (try FashionMNIST.load(.train), try FashionMNIST.load(.test))
/// let plain = SupervisedTraining(configuration: TrainingConfiguration(epochs: 3), optimizer: Adam(learningRate: 1e-3))
/// let run = try ModelTraining.run(plain, architecture: .mlp, seed: 0, dataset: "fashion-mnist",
///                                 training: (train.inputs, train.labels), test: (test.inputs, test.labels),
///                                 saveTo: "mlp.safetensors")
/// ```
public typealias SupervisedTraining<O: Optimizer, Step: TrainingStep> = SupervisedTrainingOf<Sequential, O, Step>

/// Mini-batch training of any ``TrainableModel`` with an optimiser and a per-step hook
/// (``SupervisedTraining`` is this for ``Sequential``).
///
/// ```swift
/// var model = try ONNXModel(contentsOf: URL(fileURLWithPath: "cnn.onnx"))
/// let (x, y) = (Tensor.zeros([8] + model.inputShape), [Int](repeating: 0, count: 8))
/// let plan = SupervisedTrainingOf<ONNXModel, SGD, StandardTrainingStep>(
///     configuration: TrainingConfiguration(epochs: 1), optimizer: SGD(learningRate: 0.01))
/// let summaries = try plan.train(&model, inputs: x, labels: y)
/// ```
public struct SupervisedTrainingOf<Model: TrainableModel, O: Optimizer, Step: TrainingStep>: TrainingProcedure {
    /// Epochs, batch size and the seed of shuffling and of the step's randomness.
    public var configuration: TrainingConfiguration
    /// The optimiser, in its initial state.
    public var optimizer: O
    /// What each step does.
    public var step: Step
    /// Called after every step.
    public var progress: (TrainingProgress) -> Void

    /// A plan.
    public init(configuration: TrainingConfiguration, optimizer: O, step: Step,
                progress: @escaping (TrainingProgress) -> Void = { _ in }) {
        self.configuration = configuration
        self.optimizer = optimizer
        self.step = step
        self.progress = progress
    }

    /// Runs the trainer's epoch loop with ``step`` as its per-step hook, on a copy of ``optimizer``.
    /// Trains `model`; a run whose loss becomes NaN or infinite stops and throws, so no
    /// diverged model is ever tested or saved.
    /// - Throws: ``ModelError`` (`.training`) naming the epoch and the learning rate.
    public func train(_ model: inout Model, inputs: Tensor, labels: [Int]) throws(ModelError) -> [EpochSummary] {
        var opt = optimizer
        let summaries = BulwarkModels.train(&model, inputs: inputs, labels: labels, optimizer: &opt, configuration: configuration,
                                            step: step, progress: progress)
        if let last = summaries.last, !last.loss.isFinite {
            throw ModelError(.training, "training diverged in epoch \(last.epoch) of \(configuration.epochs): the loss became \(last.loss) "
                                 + "with \(optimizer.name) at learning rate \(optimizer.learningRate); nothing was saved — lower the learning rate")
        }
        return summaries
    }

    /// Records epochs, batch size, the optimiser and its learning rate, then what ``step`` records.
    public func record(_ outcome: [EpochSummary], in provenance: inout ModelProvenance) {
        provenance.epochs = configuration.epochs
        provenance.batchSize = configuration.batchSize
        provenance.optimizer = optimizer.name
        provenance.learningRate = optimizer.learningRate
        step.record(in: &provenance)
    }
}

extension SupervisedTrainingOf where Step == StandardTrainingStep {
    /// Plain training: cross-entropy on each batch as drawn.
    public init(configuration: TrainingConfiguration, optimizer: O, progress: @escaping (TrainingProgress) -> Void = { _ in }) {
        self.init(configuration: configuration, optimizer: optimizer, step: StandardTrainingStep(), progress: progress)
    }
}
