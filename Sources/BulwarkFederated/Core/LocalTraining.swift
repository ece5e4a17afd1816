public import BulwarkModels
public import BulwarkTensor

extension ModelWeights {
    /// The trainable parameters of `model`, named as the model names them.
    ///
    /// Buffers (BatchNorm running statistics) are not part of the exchange: each client keeps
    /// its own, as FedBN does, and the coordinator evaluates with the buffers of its own copy.
    public init<Model: TrainableModel>(model: Model) throws(FederatedError) {
        let tensors = zip(model.parameterNames, model.parameters).map { name, tensor in
            ModelWeights.Tensor(name: name, shape: tensor.shape, values: tensor.scalars)
        }
        try self.init(tensors: tensors)
    }

    /// Installs these weights as `model`'s parameters.
    /// - Throws: `shapeMismatch` when the names or shapes differ from the model's.
    public func apply<Model: TrainableModel>(to model: inout Model) throws(FederatedError) {
        let names = model.parameterNames, current = model.parameters
        guard names.count == tensors.count else {
            throw FederatedError(.shapeMismatch, "\(tensors.count) tensors for a model of \(names.count) parameters")
        }
        var next: [BulwarkTensor.Tensor] = []
        next.reserveCapacity(tensors.count)
        for (index, tensor) in tensors.enumerated() {
            guard tensor.name == names[index], tensor.shape == current[index].shape else {
                throw FederatedError(.shapeMismatch, "tensor \(index) is \(tensor.name) \(tensor.shape); the model has \(names[index]) \(current[index].shape)")
            }
            next.append(BulwarkTensor.Tensor(shape: tensor.shape, scalars: tensor.values))
        }
        model.parameters = next
    }
}

/// How each client trains on its own data in a round: local epochs of SGD from the global
/// model, optionally with FedProx's proximal term.
///
/// FedProx (Li et al. 2020) adds μ/2·‖w − w_global‖² to every local loss, so clients with very
/// different data drift less far from the global model; ``proximalMu`` = 0 is plain FedAvg.
public struct LocalTraining: Sendable, Codable, Equatable {
    /// Passes over the client's data per round.
    public var epochs: Int
    /// Examples per local step.
    public var batchSize: Int
    /// SGD step size.
    public var learningRate: Float
    /// FedProx's μ (0: none).
    public var proximalMu: Float

    /// Local training settings; defaults are one epoch of SGD at 0.05 in batches of 32.
    public init(epochs: Int = 1, batchSize: Int = 32, learningRate: Float = 0.05, proximalMu: Float = 0) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.proximalMu = proximalMu
    }

    /// Throws `invalidParameter` unless epochs ≥ 1, batch ≥ 1, the rate is positive and μ ≥ 0.
    public func validate() throws(FederatedError) {
        guard epochs >= 1 else { throw FederatedError(.invalidParameter, "local epochs must be ≥ 1, got \(epochs)") }
        guard batchSize >= 1 else { throw FederatedError(.invalidParameter, "local batch size must be ≥ 1, got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else { throw FederatedError(.invalidParameter, "local learning rate must be positive, got \(learningRate)") }
        guard proximalMu >= 0, proximalMu.isFinite else { throw FederatedError(.invalidParameter, "FedProx μ must be ≥ 0, got \(proximalMu)") }
    }

    /// Trains `model` (holding the global weights) on `inputs`/`labels` and returns the change
    /// of its parameters, flattened, with the mean loss of the last epoch.
    /// - Throws: `malformed` when training diverges (the loss is not finite).
    public func update<Model: TrainableModel>(_ model: inout Model, inputs: BulwarkTensor.Tensor, labels: [Int],
                                              seed: UInt64) throws(FederatedError) -> (delta: [Float], loss: Double) {
        let start = model.parameters
        var optimizer = SGD(learningRate: learningRate)
        let configuration = TrainingConfiguration(epochs: epochs, batchSize: batchSize, seed: seed)
        let summaries = BulwarkModels.train(&model, inputs: inputs, labels: labels, optimizer: &optimizer, configuration: configuration,
                                            step: FedProxStep(global: start, mu: proximalMu))
        let loss = summaries.last?.loss ?? .nan
        guard loss.isFinite || labels.isEmpty else {
            throw FederatedError(.malformed, "local training diverged (loss \(loss)) at learning rate \(learningRate)")
        }
        var delta: [Float] = []
        delta.reserveCapacity(start.reduce(0) { $0 + $1.count })
        for (after, before) in zip(model.parameters, start) {
            for (a, b) in zip(after.scalars, before.scalars) { delta.append(a - b) }
        }
        return (delta, loss)
    }
}

/// One local SGD step with FedProx's proximal term: the gradient of the cross-entropy plus
/// μ·(w − w_global).
struct FedProxStep: TrainingStep {
    let global: [BulwarkTensor.Tensor]
    let mu: Float

    func step<Model: TrainableModel, O: Optimizer>(_ model: inout Model, optimizer: inout O, batch: TrainingBatch,
                                                   context: inout ForwardContext, rng: inout SeededGenerator) -> (loss: Float, correct: Int) {
        guard mu > 0 else {
            return trainStep(&model, optimizer: &optimizer, inputs: batch.inputs, labels: batch.labels, context: &context)
        }
        let tape = Tape()
        var parameters = model.parameters
        let variables = parameters.map { tape.variable($0) }
        let (logits, updates) = model.forward(tape.constant(batch.inputs), parameters: variables, context: &context)
        let loss = softmaxCrossEntropy(logits: logits, labels: batch.labels)
        var gradients = tape.gradients(of: loss, wrt: variables)
        for k in gradients.indices {
            var g = gradients[k].scalars
            let w = parameters[k].scalars, w0 = global[k].scalars
            for i in g.indices { g[i] += mu * (w[i] - w0[i]) }
            gradients[k] = BulwarkTensor.Tensor(shape: gradients[k].shape, scalars: g)
        }
        optimizer.update(&parameters, gradients: gradients)
        model.parameters = parameters
        model.applyBufferUpdates(updates)
        let correct = zip(logits.value.argmaxRows(), batch.labels).filter { $0 == $1 }.count
        return (loss.value.scalar, correct)
    }
}
