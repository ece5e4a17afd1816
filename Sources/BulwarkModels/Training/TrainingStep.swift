public import BulwarkTensor

/// One mini-batch as the trainer hands it to a ``TrainingStep``.
public struct TrainingBatch: Sendable {
    /// Rows of the training set in this batch, in the shuffled order.
    public var indices: [Int]
    /// The inputs of those rows.
    public var inputs: Tensor
    /// Their labels.
    public var labels: [Int]
    /// The epoch (from 1).
    public var epoch: Int
    /// The step within the epoch (from 0).
    public var step: Int
    /// Steps in each epoch.
    public var stepsPerEpoch: Int

    /// A batch.
    public init(indices: [Int], inputs: Tensor, labels: [Int], epoch: Int, step: Int, stepsPerEpoch: Int) {
        self.indices = indices
        self.inputs = inputs
        self.labels = labels
        self.epoch = epoch
        self.step = step
        self.stepsPerEpoch = stepsPerEpoch
    }
}

/// The trainer's per-step hook: what happens to one mini-batch, on any ``TrainableModel``. A hook may replace the batch
/// (adversarial or noisy examples), the targets (soft labels) or the loss (TRADES), then
/// updates the model once.
///
/// `rng` is the trainer's own generator, positioned after this epoch's shuffle and the draws of
/// the earlier steps; a hook that draws from it keeps the whole run reproducible from one seed.
public protocol TrainingStep {
    /// Takes one optimisation step on `batch` and returns the loss it minimised (mean over the
    /// batch) and how many of the batch's examples the model classified correctly.
    mutating func step<Model: TrainableModel, O: Optimizer>(_ model: inout Model, optimizer: inout O, batch: TrainingBatch,
                                                            context: inout ForwardContext, rng: inout SeededGenerator) -> (loss: Float, correct: Int)

    /// Adds what this step changes about training (a defence) to the model's provenance.
    func record(in provenance: inout ModelProvenance)
}

extension TrainingStep {
    /// Records nothing: plain training has no defence.
    public func record(in provenance: inout ModelProvenance) {}
}

/// Cross-entropy on the batch as drawn (``trainStep(_:optimizer:inputs:labels:context:)``).
public struct StandardTrainingStep: TrainingStep {
    /// The standard step.
    public init() {}

    /// ``trainStep(_:optimizer:inputs:labels:context:)`` on the batch; draws nothing from `rng`.
    public func step<Model: TrainableModel, O: Optimizer>(_ model: inout Model, optimizer: inout O, batch: TrainingBatch,
                                                          context: inout ForwardContext, rng: inout SeededGenerator) -> (loss: Float, correct: Int) {
        trainStep(&model, optimizer: &optimizer, inputs: batch.inputs, labels: batch.labels, context: &context)
    }
}
