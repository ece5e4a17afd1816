public import BulwarkModels
public import BulwarkTensor

/// How an extraction attack trains its substitute: the trainer of `BulwarkModels` (mini-batches
/// shuffled from `seed`, Adam at `learningRate`) on the transfer set the attack collected —
/// hard labels (Copycat CNN, JBDA) or the victim's probability vectors (Knockoff Nets).
///
/// ```swift
/// let plan = SubstituteTraining(epochs: 5, batchSize: 64, learningRate: 1e-3, seed: 1)
/// var substitute = ZooArchitecture.mlp.makeModel(seed: 1)
/// let x = Tensor.zeros([8, 1, 28, 28])
/// let soft = Tensor(repeating: 0.1, shape: [8, 10])
/// plan.train(&substitute, inputs: x, softTargets: soft)
/// ```
public struct SubstituteTraining: Sendable, Codable, Equatable {
    /// Passes over the transfer set.
    public var epochs: Int
    /// Examples per optimiser step.
    public var batchSize: Int
    /// Adam's learning rate.
    public var learningRate: Float
    /// Seed of the shuffling (and of the substitute's initialisation, where the attack makes one).
    public var seed: UInt64

    /// A plan of `epochs` passes in batches of `batchSize` with Adam at `learningRate`.
    public init(epochs: Int = 10, batchSize: Int = 64, learningRate: Float = ZooArchitecture.defaultLearningRate, seed: UInt64 = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
    }

    /// Throws unless epochs, batch size and learning rate are usable.
    /// - Throws: ``ExtractionError`` (`.invalidParameter`) naming the setting.
    public func validate() throws(ExtractionError) {
        guard epochs >= 1, epochs <= 10_000 else { throw ExtractionError(.invalidParameter, "substitute training: epochs must be in 1…10000, got \(epochs)") }
        guard batchSize >= 1, batchSize <= 65_536 else { throw ExtractionError(.invalidParameter, "substitute training: batch size must be in 1…65536, got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else {
            throw ExtractionError(.invalidParameter, "substitute training: learning rate must be a positive number, got \(learningRate)")
        }
    }

    /// Trains `model` on hard labels (softmax cross-entropy), `epochs` passes from `seed`.
    @discardableResult
    public func train<Model: TrainableModel>(_ model: inout Model, inputs: Tensor, labels: [Int],
                                             progress: (TrainingProgress) -> Void = { _ in }) -> [EpochSummary] {
        guard !labels.isEmpty else { return [] }
        var adam = Adam(learningRate: learningRate)
        return BulwarkModels.train(&model, inputs: inputs, labels: labels, optimizer: &adam,
                                   configuration: TrainingConfiguration(epochs: epochs, batchSize: batchSize, seed: seed), progress: progress)
    }

    /// Trains `model` on soft targets (one probability row per input; cross-entropy against the
    /// row, ``SoftTargetStep``), `epochs` passes from `seed`.
    @discardableResult
    public func train<Model: TrainableModel>(_ model: inout Model, inputs: Tensor, softTargets: Tensor,
                                             progress: (TrainingProgress) -> Void = { _ in }) -> [EpochSummary] {
        let labels = softTargets.argmaxRows()
        guard !labels.isEmpty else { return [] }
        var adam = Adam(learningRate: learningRate)
        return BulwarkModels.train(&model, inputs: inputs, labels: labels, optimizer: &adam,
                                   configuration: TrainingConfiguration(epochs: epochs, batchSize: batchSize, seed: seed),
                                   step: SoftTargetStep(targets: softTargets), progress: progress)
    }
}

/// The trainer's per-step hook for soft labels: mean over the batch of the cross-entropy
/// `−Σ_c t_c log softmax(z)_c` against each example's row of targets (Knockoff Nets trains its
/// substitute on the victim's probability vectors this way). The accuracy it reports counts
/// agreement with each row's most likely class.
public struct SoftTargetStep: TrainingStep {
    /// One row of targets per training example, `N × classes`, rows summing to 1.
    public var targets: Tensor

    /// A step against `targets`.
    public init(targets: Tensor) { self.targets = targets }

    /// One optimiser step on the batch's soft cross-entropy; draws nothing from `rng`.
    public func step<Model: TrainableModel, O: Optimizer>(_ model: inout Model, optimizer: inout O, batch: TrainingBatch,
                                                          context: inout ForwardContext, rng: inout SeededGenerator) -> (loss: Float, correct: Int) {
        let c = targets.shape[1]
        var rows = [Float]()
        rows.reserveCapacity(batch.indices.count * c)
        for i in batch.indices { rows += targets.scalars[(i * c)..<((i + 1) * c)] }
        let tape = Tape()
        var parameters = model.parameters
        let vars = parameters.map { tape.variable($0) }
        let (z, updates) = model.forward(tape.constant(batch.inputs), parameters: vars, context: &context)
        let loss = softTargetCrossEntropy(logits: z, targets: Tensor(shape: [batch.indices.count, c], scalars: rows))
        optimizer.update(&parameters, gradients: tape.gradients(of: loss, wrt: vars))
        model.parameters = parameters
        model.applyBufferUpdates(updates)
        return (loss.value.scalar, zip(z.value.argmaxRows(), batch.labels).filter { $0 == $1 }.count)
    }
}

/// Mean over rows of `−Σ_c t_c log softmax(z)_c` for targets `t` (`N × C`, rows summing to 1),
/// differentiable in the logits `z`: the gradient of a row is `(softmax(z) − t) / N`.
///
/// With one-hot targets it equals ``softmaxCrossEntropy(logits:labels:)``.
public func softTargetCrossEntropy(logits: Variable, targets: Tensor) -> Variable {
    let v = logits.value
    precondition(v.rank == 2 && targets.shape == v.shape, "softTargetCrossEntropy: logits \(v.shape), targets \(targets.shape)")
    let n = v.shape[0]
    let logp = v.logSoftmax(axis: 1)
    var loss: Float = 0
    for i in 0..<logp.count where targets.scalars[i] != 0 { loss -= targets.scalars[i] * logp.scalars[i] }
    loss /= Float(max(n, 1))
    return logits.tape.record(Tensor(loss), inputs: [logits]) { (g: Tensor) -> [Tensor?] in
        let scale = g.scalar / Float(max(n, 1))
        var d = logp.exp()
        for i in 0..<d.count { d.scalars[i] = (d.scalars[i] - targets.scalars[i]) * scale }
        return [d]
    }
}
