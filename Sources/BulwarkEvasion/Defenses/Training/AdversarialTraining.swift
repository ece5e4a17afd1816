public import BulwarkTensor
public import BulwarkModels
import Foundation

/// Trains a ``Sequential`` model with a ``TrainingDefense``: each mini-batch is replaced by
/// adversarial (or noisy) examples crafted against the current model, or, for TRADES, the loss
/// gains a robustness term. Builds on BulwarkModels' `trainStep`, so optimisers and schedules
/// are the plain trainer's.
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

    /// Trains `model` in place and returns one summary per epoch (loss and accuracy on the
    /// examples actually trained on — adversarial ones for adversarial training).
    @discardableResult
    public func train(_ model: inout Sequential, inputs: Tensor, labels: [Int], optimizer: inout some Optimizer,
                      progress: (TrainingProgress) -> Void = { _ in }) -> [EpochSummary] {
        let n = labels.count
        precondition(inputs.shape.first == n, "adversarial training: \(inputs.shape) inputs for \(n) labels")
        precondition(configuration.batchSize > 0 && configuration.epochs >= 0, "adversarial training: batch size and epochs must be positive")
        var rng = SeededGenerator(seed: configuration.seed)
        var context = ForwardContext(training: true, seed: rng.next())
        let steps = (n + configuration.batchSize - 1) / configuration.batchSize
        var summaries: [EpochSummary] = []
        let runStart = Date()
        for epoch in 1...max(configuration.epochs, 1) where configuration.epochs > 0 {
            let order = randomPermutation(n, using: &rng)
            let start = Date()
            var lossSum = 0.0, correct = 0, seen = 0
            for step in 0..<steps {
                let idx = Array(order[(step * configuration.batchSize)..<min(n, (step + 1) * configuration.batchSize)])
                let x = inputs.gatherRows(idx)
                let y = idx.map { labels[$0] }
                let scale = warmup(epoch: epoch, step: step, steps: steps)
                let r: (loss: Float, correct: Int)
                switch defense {
                case .standard:
                    r = trainStep(&model, optimizer: &optimizer, inputs: x, labels: y, context: &context)
                case .gaussianNoise(let sigma):
                    let noisy = x + Tensor.normal(x.shape, standardDeviation: sigma, using: &rng)
                    r = trainStep(&model, optimizer: &optimizer, inputs: noisy, labels: y, context: &context)
                case .pgd(let eps, let k, let alpha):
                    let e = eps * scale
                    let adv = AdversarialExamples.pgd(model, x, y, epsilon: e, steps: k, stepSize: (alpha ?? 2.5 * eps / Float(max(k, 1))) * scale,
                                                      clipMin: clipMin, clipMax: clipMax, rng: &rng)
                    r = trainStep(&model, optimizer: &optimizer, inputs: adv, labels: y, context: &context)
                case .fast(let eps, let alpha):
                    let e = eps * scale
                    let adv = AdversarialExamples.pgd(model, x, y, epsilon: e, steps: 1, stepSize: (alpha ?? 1.25 * eps) * scale,
                                                      clipMin: clipMin, clipMax: clipMax, rng: &rng)
                    r = trainStep(&model, optimizer: &optimizer, inputs: adv, labels: y, context: &context)
                case .trades(let eps, let k, let beta):
                    let e = eps * scale
                    let adv = AdversarialExamples.tradesKL(model, x, epsilon: e, steps: k, stepSize: e / 4,
                                                           clipMin: clipMin, clipMax: clipMax, rng: &rng)
                    r = tradesStep(&model, optimizer: &optimizer, clean: x, adversarial: adv, labels: y, beta: beta, context: &context)
                }
                lossSum += Double(r.loss) * Double(y.count)
                correct += r.correct
                seen += y.count
                let elapsed = Date().timeIntervalSince(start), total = Date().timeIntervalSince(runStart)
                let doneFraction = (Double(epoch - 1) + Double(step + 1) / Double(steps)) / Double(configuration.epochs)
                progress(TrainingProgress(reportingEpoch: epoch, epochs: configuration.epochs, step: step + 1, stepsPerEpoch: steps,
                                          loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                                          imagesPerSecond: Double(seen) / max(elapsed, 1e-9),
                                          secondsRemaining: total / doneFraction - total))
            }
            let seconds = Date().timeIntervalSince(start)
            summaries.append(EpochSummary(recordingEpoch: epoch, loss: lossSum / Double(max(seen, 1)),
                                          trainAccuracy: Double(correct) / Double(max(seen, 1)),
                                          seconds: seconds, imagesPerSecond: Double(seen) / max(seconds, 1e-9)))
        }
        return summaries
    }

    /// Fraction of ε in force at this step (linear warm-up over ``epsilonWarmupEpochs``).
    func warmup(epoch: Int, step: Int, steps: Int) -> Float {
        guard epsilonWarmupEpochs > 0 else { return 1 }
        let t = (Double(epoch - 1) + Double(step + 1) / Double(max(steps, 1))) / Double(epsilonWarmupEpochs)
        return Float(min(1, t))
    }

    /// One TRADES step: `CE(f(x), y) + β · KL(f(x) ‖ f(x'))`, both passes in training mode.
    func tradesStep(_ model: inout Sequential, optimizer: inout some Optimizer, clean: Tensor, adversarial: Tensor,
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
