public import BulwarkTensor
import Foundation

/// Settings of a training run.
public struct TrainingConfiguration: Sendable, Codable, Equatable {
    /// Passes over the training set.
    public var epochs: Int
    /// Examples per step (the last batch of an epoch may be smaller).
    public var batchSize: Int
    /// Seed for shuffling, dropout and anything else random.
    public var seed: UInt64

    /// Settings for `epochs` passes in batches of `batchSize`, all randomness drawn from `seed`.
    public init(epochs: Int = 3, batchSize: Int = 128, seed: UInt64 = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
    }
}

/// Where a training run is, reported after every step.
public struct TrainingProgress: Sendable {
    /// The current epoch (from 1) and the number of epochs in the run.
    public var epoch: Int, epochs: Int
    /// The steps done in this epoch (from 1) and the number of steps in an epoch.
    public var step: Int, stepsPerEpoch: Int
    /// Mean loss and accuracy over the epoch so far.
    public var loss: Double, accuracy: Double
    /// Throughput over the epoch so far.
    public var imagesPerSecond: Double
    /// Estimated seconds left in the whole run.
    public var secondsRemaining: Double
}

/// Summary of one finished epoch.
public struct EpochSummary: Sendable, Codable, Equatable {
    /// The epoch, from 1.
    public var epoch: Int
    /// Mean training loss over the epoch's examples.
    public var loss: Double
    /// Fraction of the epoch's examples classified correctly while training, in [0, 1].
    public var trainAccuracy: Double
    /// Wall time of the epoch.
    public var seconds: Double
    /// Training examples per second of wall time.
    public var imagesPerSecond: Double
}

/// One optimisation step on a batch: forward in training mode, backward, update.
/// Returns the batch's mean loss and how many examples were classified correctly.
///
/// Works on any ``TrainableModel`` (a ``Sequential`` or an imported ``ONNXModel``).
public func trainStep<Model: TrainableModel>(_ model: inout Model, optimizer: inout some Optimizer, inputs: Tensor, labels: [Int],
                      context: inout ForwardContext) -> (loss: Float, correct: Int) {
    let tape = Tape()
    var parameters = model.parameters
    let vars = parameters.map { tape.variable($0) }
    let (logits, updates) = model.forward(tape.constant(inputs), parameters: vars, context: &context)
    let loss = softmaxCrossEntropy(logits: logits, labels: labels)
    let grads = tape.gradients(of: loss, wrt: vars)
    optimizer.update(&parameters, gradients: grads)
    model.parameters = parameters
    model.applyBufferUpdates(updates)
    let correct = zip(logits.value.argmaxRows(), labels).filter { $0 == $1 }.count
    return (loss.value.scalar, correct)
}

/// Trains `model` with mini-batches shuffled by `configuration.seed`, one ``StandardTrainingStep``
/// (cross-entropy on the batch as drawn) per batch.
///
/// Deterministic for a given seed (up to the floating-point summation order of the BLAS
/// threads). `progress` is called after every step, on the calling thread. A run whose loss
/// becomes NaN or infinite stops at that step; the last summary's loss is then not finite.
@discardableResult
public func train<Model: TrainableModel>(_ model: inout Model, inputs: Tensor, labels: [Int], optimizer: inout some Optimizer,
                  configuration: TrainingConfiguration,
                  progress: (TrainingProgress) -> Void = { _ in }) -> [EpochSummary] {
    train(&model, inputs: inputs, labels: labels, optimizer: &optimizer, configuration: configuration,
          step: StandardTrainingStep(), progress: progress)
}

/// Trains `model` with mini-batches shuffled by `configuration.seed`, handing each batch to
/// `step` — the per-step hook through which adversarial training, distillation and other
/// defences change the batch or the loss without a loop of their own.
///
/// The random stream is fixed: one draw seeds the forward context, then each epoch draws its
/// shuffle and each step may draw from the same generator (``TrainingStep``), so a given seed
/// and hook always see the same numbers in the same order.
///
/// ```swift
/// var model = ZooArchitecture.mlp.makeModel(seed: 0)
/// let (x, y) = (Tensor.zeros([256, 1, 28, 28]), [Int](repeating: 0, count: 256))
/// var adam = Adam(learningRate: 1e-3)
/// train(&model, inputs: x, labels: y, optimizer: &adam, configuration: TrainingConfiguration(epochs: 5),
///       step: StandardTrainingStep())
/// ```
@discardableResult
public func train<Model: TrainableModel>(_ model: inout Model, inputs: Tensor, labels: [Int], optimizer: inout some Optimizer,
                  configuration: TrainingConfiguration, step hook: some TrainingStep,
                  progress: (TrainingProgress) -> Void = { _ in }) -> [EpochSummary] {
    let n = labels.count
    precondition(inputs.shape.first == n, "train: \(inputs.shape) inputs for \(n) labels")
    precondition(configuration.batchSize > 0 && configuration.epochs >= 0, "train: batch size and epochs must be positive")
    var hook = hook
    var rng = SeededGenerator(seed: configuration.seed)
    var context = ForwardContext(training: true, seed: rng.next())
    let steps = (n + configuration.batchSize - 1) / configuration.batchSize
    var summaries: [EpochSummary] = []
    let runStart = Date()
    var diverged = false
    for epoch in 1...max(configuration.epochs, 1) where configuration.epochs > 0 && !diverged {
        let order = randomPermutation(n, using: &rng)
        let start = Date()
        var lossSum = 0.0, correct = 0, seen = 0
        for step in 0..<steps where !diverged {
            let idx = Array(order[(step * configuration.batchSize)..<min(n, (step + 1) * configuration.batchSize)])
            let batch = TrainingBatch(indices: idx, inputs: inputs.gatherRows(idx), labels: idx.map { labels[$0] },
                                      epoch: epoch, step: step, stepsPerEpoch: steps)
            let r = hook.step(&model, optimizer: &optimizer, batch: batch, context: &context, rng: &rng)
            lossSum += Double(r.loss) * Double(idx.count)
            correct += r.correct
            seen += idx.count
            // A non-finite loss means the weights are already NaN or infinite: stop here, and the
            // last summary's loss says so (``SupervisedTraining`` turns that into an error).
            if !r.loss.isFinite { diverged = true }
            let elapsed = Date().timeIntervalSince(start)
            let total = Date().timeIntervalSince(runStart)
            let doneFraction = (Double(epoch - 1) + Double(step + 1) / Double(steps)) / Double(configuration.epochs)
            progress(TrainingProgress(epoch: epoch, epochs: configuration.epochs, step: step + 1, stepsPerEpoch: steps,
                                      loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                                      imagesPerSecond: Double(seen) / max(elapsed, 1e-9),
                                      secondsRemaining: total / doneFraction - total))
        }
        let seconds = Date().timeIntervalSince(start)
        summaries.append(EpochSummary(epoch: epoch, loss: lossSum / Double(max(seen, 1)),
                                      trainAccuracy: Double(correct) / Double(max(seen, 1)),
                                      seconds: seconds, imagesPerSecond: Double(seen) / max(seconds, 1e-9)))
    }
    return summaries
}
