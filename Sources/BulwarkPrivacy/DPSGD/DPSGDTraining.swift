public import BulwarkModels
public import BulwarkTensor
import Foundation

/// Settings of a DP-SGD run (Abadi et al. 2016, "Deep Learning with Differential Privacy").
public struct DPSGDConfiguration: Sendable, Codable, Equatable {
    /// σ: noise standard deviation divided by the clipping norm.
    public var noiseMultiplier: Double
    /// C: the L2 bound every per-example gradient is clipped to.
    public var maxGradientNorm: Double
    /// q: Poisson inclusion probability of each example per step.
    public var samplingRate: Double
    /// Expected passes over the data; each is round(1/q) steps.
    public var epochs: Int
    /// δ of the reported (ε, δ).
    public var delta: Double
    /// Source of batch sampling and noise (``DPRandomness/secure`` unless testing).
    public var randomness: DPRandomness

    /// Settings as given; ``validate()`` checks them (``DPSGD`` does before it trains).
    public init(noiseMultiplier: Double, maxGradientNorm: Double, samplingRate: Double, epochs: Int, delta: Double,
                randomness: DPRandomness = .secure) {
        self.noiseMultiplier = noiseMultiplier
        self.maxGradientNorm = maxGradientNorm
        self.samplingRate = samplingRate
        self.epochs = epochs
        self.delta = delta
        self.randomness = randomness
    }

    /// Checks every parameter an ε needs.
    public func validate() throws(PrivacyError) {
        guard noiseMultiplier.isFinite, noiseMultiplier > 0 else {
            throw PrivacyError(parameter: "noiseMultiplier", message: "expected a finite number > 0, got \(noiseMultiplier)")
        }
        guard maxGradientNorm.isFinite, maxGradientNorm > 0 else {
            throw PrivacyError(parameter: "maxGradNorm", message: "expected a finite number > 0, got \(maxGradientNorm)")
        }
        guard samplingRate.isFinite, samplingRate > 0, samplingRate <= 1 else {
            throw PrivacyError(parameter: "samplingRate", message: "expected a number in (0, 1], got \(samplingRate)")
        }
        guard epochs > 0 else { throw PrivacyError(parameter: "epochs", message: "expected at least 1, got \(epochs)") }
        guard delta.isFinite, delta > 0, delta < 1 else { throw PrivacyError(parameter: "delta", message: "expected a number in (0, 1), got \(delta)") }
    }

    /// Steps per epoch, round(1/q).
    public var stepsPerEpoch: Int { max(1, Int((1 / samplingRate).rounded())) }

    /// ε after `steps` steps with these parameters (RDP accountant, Poisson-subsampled Gaussian).
    public func epsilon(afterSteps steps: Int) throws(PrivacyError) -> Double {
        try PrivacyCalibration.epsilon(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: steps, delta: delta)
    }

    /// ε the whole run will have spent.
    public var plannedEpsilon: Double {
        get throws(PrivacyError) { try epsilon(afterSteps: epochs * stepsPerEpoch) }
    }
}

/// One finished DP-SGD epoch.
public struct DPSGDEpochSummary: Sendable, Codable, Equatable {
    /// The epoch, from 1.
    public var epoch: Int
    /// Steps taken so far in the run.
    public var steps: Int
    /// Mean per-example loss over the examples sampled this epoch.
    public var loss: Double
    /// Training-mode accuracy over the examples sampled this epoch.
    public var trainAccuracy: Double
    /// Mean Poisson batch size.
    public var meanBatchSize: Double
    /// Fraction of sampled examples whose gradient norm exceeded C.
    public var clippedFraction: Double
    /// ε spent so far (RDP accountant, for the configuration's δ).
    public var epsilon: Double
    /// Wall time of the epoch.
    public var seconds: Double
}

/// The outcome of a DP-SGD run.
public struct DPSGDResult: Sendable, Codable, Equatable {
    /// The settings the run used.
    public var configuration: DPSGDConfiguration
    /// One summary per epoch, in order.
    public var epochs: [DPSGDEpochSummary]
    /// Total steps (the count the accountant composed).
    public var steps: Int
    /// Final ε for ``DPSGDConfiguration/delta``.
    public var epsilon: Double
}

/// Progress within a DP-SGD epoch.
public struct DPSGDProgress: Sendable {
    /// The current epoch (from 1) and the number of epochs in the run.
    public var epoch: Int, epochs: Int
    /// The steps done in this epoch (from 1) and the number of steps in an epoch.
    public var step: Int, stepsPerEpoch: Int
    /// Mean per-example loss and training-mode accuracy over the examples sampled so far this epoch.
    public var loss: Double, accuracy: Double
    /// Sampled examples per second of wall time, this epoch so far.
    public var imagesPerSecond: Double
}

/// Differentially private SGD (Abadi et al. 2016) over a model with per-example gradients
/// (``PerExampleDifferentiable``): a zoo ``Sequential`` of Dense and Conv2D layers, or an imported
/// ``ONNXModel`` of Gemm, MatMul, Conv and bias Add nodes.
///
/// Each step: a Poisson-sampled batch (rate q, variable size), per-example gradients from one
/// forward/backward pass (``PerExampleGradients``), each clipped to norm C and summed in one
/// weighted product per layer (``ClippedGradientSum``), N(0, σ²C²) noise added to the sum, the
/// result divided by q·N, and an optimiser update. ε is the RDP accountant's for
/// `steps` compositions of the Poisson-subsampled Gaussian with (σ, q), reported after each epoch.
public enum DPSGD {
    /// Trains `model` in place. `epochEnded` is called after every epoch with its ε.
    ///
    /// - Throws: ``PrivacyError`` for invalid parameters or a model with layers DP-SGD cannot clip.
    @discardableResult
    public static func train<Model: PerExampleDifferentiable>(_ model: inout Model, inputs: Tensor, labels: [Int], optimizer: inout some Optimizer,
                             configuration: DPSGDConfiguration,
                             progress: (DPSGDProgress) -> Void = { _ in },
                             epochEnded: (DPSGDEpochSummary) -> Void = { _ in }) throws(PrivacyError) -> DPSGDResult {
        try configuration.validate()
        try model.checkPerExampleGradients()  // before any step, not at the first batch
        let n = labels.count
        guard inputs.shape.first == n else {
            throw PrivacyError(parameter: "inputs", message: "\(inputs.shape) inputs for \(n) labels")
        }
        let sampler = try PoissonSampler(population: n, rate: configuration.samplingRate)
        var source = DPRandomSource(configuration.randomness)
        let stepsPerEpoch = configuration.stepsPerEpoch
        let normalizer = configuration.samplingRate * Double(n)
        let clip = Float(configuration.maxGradientNorm)
        var summaries: [DPSGDEpochSummary] = []
        var steps = 0
        var diverged = false
        for epoch in 1...configuration.epochs where !diverged {
            let start = Date()
            var lossSum = 0.0, correct = 0, seen = 0, clipped = 0
            for step in 0..<stepsPerEpoch where !diverged {
                let batch = sampler.sample(using: &source)
                let y = batch.map { labels[$0] }
                let per = try model.perExampleGradients(inputs: inputs.gatherRows(batch), labels: y)
                let sum = try per.clipped(maxNorm: clip)
                let noisy = try sum.privatized(noiseMultiplier: configuration.noiseMultiplier, normalizer: normalizer, using: &source)
                var parameters = model.parameters
                optimizer.update(&parameters, gradients: noisy.gradients)
                model.parameters = parameters
                steps += 1
                lossSum += per.losses.reduce(0) { $0 + Double($1) }
                correct += zip(per.predictions, y).filter { $0 == $1 }.count
                seen += y.count
                clipped += sum.clippedCount
                // A non-finite loss means the weights are gone: stop (ε counts the steps taken).
                if !lossSum.isFinite { diverged = true }
                progress(DPSGDProgress(epoch: epoch, epochs: configuration.epochs, step: step + 1, stepsPerEpoch: stepsPerEpoch,
                                       loss: lossSum / Double(max(seen, 1)), accuracy: Double(correct) / Double(max(seen, 1)),
                                       imagesPerSecond: Double(seen) / max(Date().timeIntervalSince(start), 1e-9)))
            }
            let summary = DPSGDEpochSummary(
                epoch: epoch, steps: steps, loss: lossSum / Double(max(seen, 1)), trainAccuracy: Double(correct) / Double(max(seen, 1)),
                meanBatchSize: Double(seen) / Double(stepsPerEpoch), clippedFraction: Double(clipped) / Double(max(seen, 1)),
                epsilon: try configuration.epsilon(afterSteps: steps), seconds: Date().timeIntervalSince(start))
            summaries.append(summary)
            epochEnded(summary)
        }
        return DPSGDResult(configuration: configuration, epochs: summaries, steps: steps,
                           epsilon: try configuration.epsilon(afterSteps: steps))
    }
}
