public import BulwarkModels
public import BulwarkPrivacy
import BulwarkData
import BulwarkReport

/// What `train --json` prints: the test accuracy, the schedule as given and every epoch.
public struct TrainingSummary: Codable, Sendable, Equatable {
    /// One epoch (the fields of ``EpochSummary`` that the output keeps).
    public struct Epoch: Codable, Sendable, Equatable {
        /// The epoch's number, mean loss, training accuracy, wall seconds and throughput.
        public var epoch: Int, loss: Double, trainAccuracy: Double, seconds: Double, imagesPerSecond: Double
        enum CodingKeys: String, CodingKey {
            case epoch, loss, seconds, trainAccuracy = "train_accuracy", imagesPerSecond = "images_per_second"
        }
    }
    /// Accuracy on the whole test split.
    public var testAccuracy: Double
    /// Epochs, wall seconds of training, the model's name (architecture or file) and the output file.
    public var epochs: Int, seconds: Double, model: String, out: String
    /// Seed, batch size and learning rate (as given, not its Float32 widening).
    public var seed: UInt64, batchSize: Int, learningRate: Double
    /// Training and test examples.
    public var trainImages: Int, testImages: Int
    /// Every epoch.
    public var perEpoch: [Epoch]
    enum CodingKeys: String, CodingKey {
        case epochs, seconds, model, out, seed
        case testAccuracy = "test_accuracy", batchSize = "batch_size", learningRate = "learning_rate", trainImages = "train_images"
        case testImages = "test_images", perEpoch = "per_epoch"
    }

    /// The summary of `outcome`, produced by `job`.
    public init(_ outcome: TrainJob.Outcome, of job: TrainJob) {
        testAccuracy = outcome.testAccuracy
        (epochs, seconds, model, out) = (job.configuration.epochs, outcome.trainingSeconds, job.prepared.start.name, job.outputPath)
        (seed, batchSize, learningRate) = (job.configuration.seed, job.configuration.batchSize, decimal(job.optimizer.learningRate))
        (trainImages, testImages) = (job.prepared.data.training.count, job.prepared.data.test.count)
        perEpoch = outcome.epochs.map {
            Epoch(epoch: $0.epoch, loss: $0.loss, trainAccuracy: $0.trainAccuracy, seconds: $0.seconds, imagesPerSecond: $0.imagesPerSecond)
        }
    }
}

/// What `train --dp --json` prints: accuracy, the ε spent at δ, every DP parameter and every
/// epoch with the ε spent so far.
public struct DPTrainingSummary: Codable, Sendable, Equatable {
    /// One epoch, with the ε spent so far (fields of ``DPSGDEpochSummary``).
    public struct Epoch: Codable, Sendable, Equatable {
        /// The epoch's number, loss, training accuracy, ε so far, seconds, clipped fraction and mean batch size.
        public var epoch: Int, loss: Double, trainAccuracy: Double, epsilon: Double, seconds: Double, clippedFraction: Double, meanBatchSize: Double
        enum CodingKeys: String, CodingKey {
            case epoch, loss, epsilon, seconds
            case trainAccuracy = "train_accuracy", clippedFraction = "clipped_fraction", meanBatchSize = "mean_batch_size"
        }
    }
    /// Accuracy on the whole test split, ε spent and its δ.
    public var testAccuracy: Double, epsilon: Double, delta: Double
    /// σ, C and q.
    public var noiseMultiplier: Double, maxGradNorm: Double, samplingRate: Double
    /// Steps, epochs, wall seconds of training and per epoch.
    public var steps: Int, epochs: Int, seconds: Double, secondsPerEpoch: Double
    /// The architecture, the output file and the seed.
    public var model: String, out: String, seed: UInt64
    /// The optimiser's name and learning rate (as given).
    public var optimizer: String, learningRate: Double
    /// Training examples.
    public var trainImages: Int
    /// Whether the model claims privacy (false with seeded, insecure noise).
    public var privacyClaim: Bool
    /// Every epoch.
    public var perEpoch: [Epoch]
    enum CodingKeys: String, CodingKey {
        case epsilon, delta, steps, epochs, seconds, model, out, seed, optimizer
        case testAccuracy = "test_accuracy", noiseMultiplier = "noise_multiplier", maxGradNorm = "max_grad_norm"
        case samplingRate = "sampling_rate", secondsPerEpoch = "seconds_per_epoch", learningRate = "learning_rate"
        case trainImages = "train_images", privacyClaim = "privacy_claim", perEpoch = "per_epoch"
    }

    /// The summary of `run`, produced by `job`.
    public init(_ run: TrainedModel<DPSGDResult>, of job: TrainJob) {
        self.init(run.outcome, testAccuracy: run.testAccuracy, trainingSeconds: run.trainingSeconds, of: job)
    }

    /// The summary of an imported ONNX model's DP-SGD fine-tuning `run`, produced by `job`.
    public init(_ run: FineTunedModel<ONNXModel, DPSGDResult>, of job: TrainJob) {
        self.init(run.outcome, testAccuracy: run.testAccuracy, trainingSeconds: run.trainingSeconds, of: job)
    }

    init(_ result: DPSGDResult, testAccuracy accuracy: Double, trainingSeconds: Double, of job: TrainJob) {
        let config = result.configuration
        (testAccuracy, epsilon, delta) = (accuracy, result.epsilon, config.delta)
        (noiseMultiplier, maxGradNorm, samplingRate) = (config.noiseMultiplier, config.maxGradientNorm, config.samplingRate)
        (steps, epochs, seconds) = (result.steps, job.configuration.epochs, trainingSeconds)
        secondsPerEpoch = result.epochs.map(\.seconds).reduce(0, +) / Double(max(1, result.epochs.count))
        (model, out, seed) = (job.prepared.start.name, job.outputPath, job.configuration.seed)
        (optimizer, learningRate) = (job.optimizer.name, decimal(job.optimizer.learningRate))
        trainImages = job.prepared.data.training.count
        if case .secure = config.randomness { privacyClaim = true } else { privacyClaim = false }
        perEpoch = result.epochs.map {
            Epoch(epoch: $0.epoch, loss: $0.loss, trainAccuracy: $0.trainAccuracy, epsilon: $0.epsilon, seconds: $0.seconds,
                  clippedFraction: $0.clippedFraction, meanBatchSize: $0.meanBatchSize)
        }
    }
}
