public import BulwarkTensor
public import BulwarkModels

/// The trainer's per-step hook for a ``TrainingDefense``: replaces each mini-batch by
/// adversarial (or noisy) examples crafted against the current model, or, for TRADES, adds the
/// robustness term to the loss. Perturbations draw from the trainer's generator.
public struct AdversarialTrainingStep: TrainingStep {
    /// The defence.
    public var defense: TrainingDefense
    /// Input range perturbed examples are clipped to.
    public var clipMin: Float, clipMax: Float
    /// Epochs over which ε grows linearly from 0 (0: full ε from the start).
    public var epsilonWarmupEpochs: Int

    /// A step for `defense`.
    public init(defense: TrainingDefense, clipMin: Float = 0, clipMax: Float = 1, epsilonWarmupEpochs: Int = 0) {
        self.defense = defense
        self.clipMin = clipMin
        self.clipMax = clipMax
        self.epsilonWarmupEpochs = epsilonWarmupEpochs
    }

    /// Crafts this step's examples (drawing from `rng`) and takes one optimiser step on them.
    public func step<Model: TrainableModel, O: Optimizer>(_ model: inout Model, optimizer: inout O, batch: TrainingBatch,
                                                          context: inout ForwardContext, rng: inout SeededGenerator) -> (loss: Float, correct: Int) {
        let (x, y) = (batch.inputs, batch.labels)
        let scale = warmup(epoch: batch.epoch, step: batch.step, steps: batch.stepsPerEpoch)
        switch defense {
        case .standard:
            return trainStep(&model, optimizer: &optimizer, inputs: x, labels: y, context: &context)
        case .gaussianNoise(let sigma):
            let noisy = x + Tensor.normal(x.shape, standardDeviation: sigma, using: &rng)
            return trainStep(&model, optimizer: &optimizer, inputs: noisy, labels: y, context: &context)
        case .pgd(let eps, let k, let alpha):
            let adv = AdversarialExamples.pgd(model, x, y, epsilon: eps * scale, steps: k, stepSize: (alpha ?? 2.5 * eps / Float(max(k, 1))) * scale,
                                              clipMin: clipMin, clipMax: clipMax, rng: &rng)
            return trainStep(&model, optimizer: &optimizer, inputs: adv, labels: y, context: &context)
        case .fast(let eps, let alpha):
            let adv = AdversarialExamples.pgd(model, x, y, epsilon: eps * scale, steps: 1, stepSize: (alpha ?? 1.25 * eps) * scale,
                                              clipMin: clipMin, clipMax: clipMax, rng: &rng)
            return trainStep(&model, optimizer: &optimizer, inputs: adv, labels: y, context: &context)
        case .trades(let eps, let k, let beta):
            let e = eps * scale
            let adv = AdversarialExamples.tradesKL(model, x, epsilon: e, steps: k, stepSize: e / 4, clipMin: clipMin, clipMax: clipMax, rng: &rng)
            return tradesStep(&model, optimizer: &optimizer, clean: x, adversarial: adv, labels: y, beta: beta, context: &context)
        }
    }

    /// Records the defence under its short name with its parameters (nothing for `.standard`).
    public func record(in provenance: inout ModelProvenance) {
        var d = ModelProvenance.Defence(name: defense.name, warmupEpochs: epsilonWarmupEpochs > 0 ? epsilonWarmupEpochs : nil)
        switch defense {
        case .standard: return
        case .gaussianNoise(let sigma): d.sigma = sigma
        case .pgd(let eps, let steps, _): d.epsilon = eps; d.steps = steps
        case .fast(let eps, _): d.epsilon = eps
        case .trades(let eps, let steps, let beta): d.epsilon = eps; d.steps = steps; d.beta = beta
        }
        provenance.defence = d
    }

    /// Fraction of ε in force at this step (linear warm-up over ``epsilonWarmupEpochs``).
    func warmup(epoch: Int, step: Int, steps: Int) -> Float {
        guard epsilonWarmupEpochs > 0 else { return 1 }
        let t = (Double(epoch - 1) + Double(step + 1) / Double(max(steps, 1))) / Double(epsilonWarmupEpochs)
        return Float(min(1, t))
    }

    /// One TRADES step: `CE(f(x), y) + β · KL(f(x) ‖ f(x'))`, both passes in training mode.
    func tradesStep<Model: TrainableModel>(_ model: inout Model, optimizer: inout some Optimizer, clean: Tensor, adversarial: Tensor,
                    labels: [Int], beta: Float, context: inout ForwardContext) -> (loss: Float, correct: Int) {
        let tape = Tape()
        var parameters = model.parameters
        let vars = parameters.map { tape.variable($0) }
        let (z, updates) = model.forward(tape.constant(clean), parameters: vars, context: &context)
        let (za, _) = model.forward(tape.constant(adversarial), parameters: vars, context: &context)
        let loss = softmaxCrossEntropy(logits: z, labels: labels) + TrainingLosses.klDivergence(z, za) * beta
        let grads = tape.gradients(of: loss, wrt: vars)
        optimizer.update(&parameters, gradients: grads)
        model.parameters = parameters
        model.applyBufferUpdates(updates)
        let correct = zip(za.value.argmaxRows(), labels).filter { $0 == $1 }.count
        return (loss.value.scalar, correct)
    }
}
