public import BulwarkTensor
public import BulwarkModels

/// Trains any `TrainableModel` (a `Sequential` or an imported `ONNXModel`) with a ``TrainingDefense``: each mini-batch is replaced by
/// adversarial (or noisy) examples crafted against the current model, or, for TRADES, the loss
/// gains a robustness term. The plain trainer's epoch loop with ``AdversarialTrainingStep`` as
/// its per-step hook, so optimisers, shuffling and schedules are the plain trainer's.
///
/// Deterministic for a given seed (up to BLAS summation order). Cost per epoch ≈
/// ``TrainingDefense/passesPerExample`` × a plain epoch.
///
/// ```swift
/// var model = ZooArchitecture.cnn.makeModel(seed: 0)
/// var adam = Adam(learningRate: 1e-3)
/// let trainer = AdversarialTraining(defense: .pgd(epsilon: 0.1, steps: 7, stepSize: nil),
///                                   configuration: TrainingConfiguration(epochs: 5))
/// let data = try FashionMNIST.load(.train)
/// trainer.train(&model, inputs: data.inputs, labels: data.labels, optimizer: &adam)
/// ```
public struct AdversarialTraining: Sendable {
    /// The defence.
    public var defense: TrainingDefense
    /// Epochs, batch size, seed.
    public var configuration: TrainingConfiguration
    /// Input range perturbed examples are clipped to.
    public var clipMin: Float, clipMax: Float
    /// Epochs over which ε grows linearly from 0 to its value (0: full ε from the start). A
    /// warm-up helps PGD training of small networks get off the ground.
    public var epsilonWarmupEpochs: Int

    /// A training plan.
    public init(defense: TrainingDefense, configuration: TrainingConfiguration = TrainingConfiguration(),
                clipMin: Float = 0, clipMax: Float = 1, epsilonWarmupEpochs: Int = 0) {
        self.defense = defense
        self.configuration = configuration
        self.clipMin = clipMin
        self.clipMax = clipMax
        self.epsilonWarmupEpochs = epsilonWarmupEpochs
    }

    /// The trainer's per-step hook that applies this plan's defence.
    public var step: AdversarialTrainingStep {
        AdversarialTrainingStep(defense: defense, clipMin: clipMin, clipMax: clipMax, epsilonWarmupEpochs: epsilonWarmupEpochs)
    }

    /// Trains `model` in place and returns one summary per epoch (loss and accuracy on the
    /// examples actually trained on — adversarial ones for adversarial training): BulwarkModels'
    /// `train` with ``step`` as its per-step hook.
    @discardableResult
    public func train<Model: TrainableModel>(_ model: inout Model, inputs: Tensor, labels: [Int], optimizer: inout some Optimizer,
                      progress: (TrainingProgress) -> Void = { _ in }) -> [EpochSummary] {
        BulwarkModels.train(&model, inputs: inputs, labels: labels, optimizer: &optimizer, configuration: configuration,
                            step: step, progress: progress)
    }

    /// This plan as a procedure of ``ModelTraining`` (train, test, save with provenance).
    public func procedure<O: Optimizer>(optimizer: O, progress: @escaping (TrainingProgress) -> Void = { _ in })
        -> SupervisedTraining<O, AdversarialTrainingStep> {
        SupervisedTraining(configuration: configuration, optimizer: optimizer, step: step, progress: progress)
    }

    /// This plan as a procedure for another kind of model, e.g. `procedure(for: ONNXModel.self, optimizer: …)`
    /// for `ModelTraining.fineTune`.
    public func procedure<Model: TrainableModel, O: Optimizer>(for model: Model.Type, optimizer: O,
                                                               progress: @escaping (TrainingProgress) -> Void = { _ in })
        -> SupervisedTrainingOf<Model, O, AdversarialTrainingStep> {
        SupervisedTrainingOf(configuration: configuration, optimizer: optimizer, step: step, progress: progress)
    }
}

/// Adversarial-example generators used inside training loops: full-length (no early stop),
/// batched, L∞, in the model's inference mode.
public enum AdversarialExamples {
    /// `steps` steps of PGD on cross-entropy from a uniform random start in the ε-ball
    /// (`steps = 1` with step 1.25 ε is Wong et al.'s FGSM-RS).
    public static func pgd(_ model: any DifferentiableClassifier, _ x: Tensor, _ y: [Int], epsilon: Float, steps: Int,
                           stepSize: Float, clipMin: Float, clipMax: Float, rng: inout SeededGenerator) -> Tensor {
        guard epsilon > 0 else { return x }
        var adv = (x + Tensor.uniform(x.shape, low: -epsilon, high: epsilon, using: &rng)).clipped(min: clipMin, max: clipMax)
        for _ in 0..<steps {
            let g = model.lossAndInputGradient(adv, labels: y).gradient
            adv = project(adv + g.sign() * stepSize, around: x, epsilon: epsilon, clipMin: clipMin, clipMax: clipMax)
        }
        return adv
    }

    /// TRADES' inner maximisation: `steps` sign-gradient steps on `KL(f(x) ‖ f(x'))` from `x + 0.001 · N(0, I)`.
    public static func tradesKL(_ model: any DifferentiableClassifier, _ x: Tensor, epsilon: Float, steps: Int,
                                stepSize: Float, clipMin: Float, clipMax: Float, rng: inout SeededGenerator) -> Tensor {
        guard epsilon > 0 else { return x }
        let p = model.logits(x)
        var adv = (x + Tensor.normal(x.shape, standardDeviation: 0.001, using: &rng)).clipped(min: clipMin, max: clipMax)
        for _ in 0..<steps {
            let tape = Tape()
            let v = tape.variable(adv)
            let kl = TrainingLosses.klDivergence(tape.constant(p), model.logits(v))
            let g = tape.gradients(of: kl, wrt: [v])[0]
            adv = project(adv + g.sign() * stepSize, around: x, epsilon: epsilon, clipMin: clipMin, clipMax: clipMax)
        }
        return adv
    }

    /// Projection onto the L∞ ball of radius ε around `x0`, intersected with the clip range.
    static func project(_ x: Tensor, around x0: Tensor, epsilon: Float, clipMin: Float, clipMax: Float) -> Tensor {
        Tensor(shape: x.shape, unsafeUninitializedCapacity: { out in
            for i in out.indices {
                let lo = max(x0.scalars[i] - epsilon, clipMin), hi = min(x0.scalars[i] + epsilon, clipMax)
                out[i] = min(max(x.scalars[i], lo), hi)
            }
        })
    }
}
