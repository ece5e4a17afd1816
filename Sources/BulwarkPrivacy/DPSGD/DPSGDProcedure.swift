public import BulwarkModels
public import BulwarkTensor

/// DP-SGD as a ``TrainingProcedure`` of ``ModelTraining``: trains with ``DPSGD/train(_:inputs:labels:optimizer:configuration:progress:epochEnded:)``
/// and records every DP parameter and the ε spent in the model's provenance, with where the
/// noise came from (a seeded run claims no privacy).
///
/// ```swift
/// let (train, test) = (try FashionMNIST.load(.train), try FashionMNIST.load(.test))
/// let config = DPSGDConfiguration(noiseMultiplier: 1.1, maxGradientNorm: 1, samplingRate: 256.0 / 60_000,
///                                 epochs: 5, delta: 1e-5)
/// let dp = DPSGDProcedure(configuration: config, optimizer: SGD(learningRate: 0.1, momentum: 0.9))
/// let run = try ModelTraining.run(dp, architecture: .mlp, seed: 0, dataset: "fashion-mnist",
///                                 training: (train.inputs, train.labels), test: (test.inputs, test.labels),
///                                 saveTo: "mlp-dp.safetensors")
/// print(run.outcome.epsilon)
/// ```
///
/// The model type is generic (``PerExampleDifferentiable``): ``DPSGDProcedure`` trains a zoo
/// ``Sequential``; `DPSGDProcedureOf<ONNXModel, O>` fine-tunes an imported model with
/// ``ModelTraining/fineTune(_:model:training:test:)``.
public struct DPSGDProcedureOf<Model: PerExampleDifferentiable, O: Optimizer>: TrainingProcedure {
    /// σ, C, q, epochs, δ and the randomness.
    public var configuration: DPSGDConfiguration
    /// The optimiser, in its initial state.
    public var optimizer: O
    /// Called after every step.
    public var progress: (DPSGDProgress) -> Void
    /// Called after every epoch with the ε spent so far.
    public var epochEnded: (DPSGDEpochSummary) -> Void

    /// A plan.
    public init(configuration: DPSGDConfiguration, optimizer: O, progress: @escaping (DPSGDProgress) -> Void = { _ in },
                epochEnded: @escaping (DPSGDEpochSummary) -> Void = { _ in }) {
        self.configuration = configuration
        self.optimizer = optimizer
        self.progress = progress
        self.epochEnded = epochEnded
    }

    /// Trains with DP-SGD on a copy of ``optimizer``.
    /// - Throws: ``ModelError`` carrying the ``PrivacyError``'s message for invalid parameters
    ///   or a model with layers DP-SGD cannot clip.
    public func train(_ model: inout Model, inputs: Tensor, labels: [Int]) throws(ModelError) -> DPSGDResult {
        var opt = optimizer
        let result: DPSGDResult
        do {
            result = try DPSGD.train(&model, inputs: inputs, labels: labels, optimizer: &opt, configuration: configuration,
                                     progress: progress, epochEnded: epochEnded)
        } catch {
            throw ModelError(.training, error.description, underlying: error)
        }
        if let last = result.epochs.last, !last.loss.isFinite {
            throw ModelError(.training, "training diverged in epoch \(last.epoch) of \(configuration.epochs): the loss became \(last.loss) "
                                 + "with \(optimizer.name) at learning rate \(optimizer.learningRate); nothing was saved — lower the learning rate")
        }
        return result
    }

    /// Records epochs, the optimiser, and the DP mechanism with σ, C, q, δ, steps, the ε spent and the randomness.
    public func record(_ outcome: DPSGDResult, in provenance: inout ModelProvenance) {
        provenance.epochs = configuration.epochs
        provenance.optimizer = optimizer.name
        provenance.learningRate = optimizer.learningRate
        provenance.differentialPrivacy = ModelProvenance.DifferentialPrivacy(
            mechanism: "dp-sgd", epsilon: outcome.epsilon, delta: configuration.delta,
            noiseMultiplier: configuration.noiseMultiplier, maxGradientNorm: configuration.maxGradientNorm,
            samplingRate: configuration.samplingRate, sampler: "poisson", steps: outcome.steps,
            accountant: "rdp (Poisson-subsampled Gaussian, dp-accounting orders)",
            randomness: configuration.randomness.supportsPrivacyClaim ? "secure (OpenSSL DRBG, kernel-seeded)" : "seeded-insecure: NO PRIVACY GUARANTEE")
    }
}

/// DP-SGD on a zoo ``Sequential`` model: ``DPSGDProcedureOf`` with the model type fixed.
public typealias DPSGDProcedure<O: Optimizer> = DPSGDProcedureOf<Sequential, O>
