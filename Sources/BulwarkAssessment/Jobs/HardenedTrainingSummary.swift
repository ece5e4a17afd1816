public import BulwarkModels
import BulwarkReport

extension HardenedTraining.Start {
    /// The start a parsed `--model` names: the zoo architecture, or the ONNX model already loaded
    /// from its path (`imported`, from ``TrainingDataPlan``'s preparation).
    /// - Throws: ``AssessmentError`` when `start` names an ONNX file that was not loaded.
    public init(_ start: TrainingStart, imported: ONNXModel?) throws(AssessmentError) {
        switch start {
        case .zoo(let arch): self = .zoo(arch)
        case .onnx(let path):
            guard let imported else { throw AssessmentError(.invalidConfiguration, "--model \(path): the ONNX model was not loaded") }
            self = .onnx(imported)
        }
    }
}

/// What `defend train --json` prints: the defence, the schedule, the clean accuracy, every epoch
/// and the PGD check after training.
public struct HardenedTrainingSummary: Codable, Sendable, Equatable {
    /// One epoch: its number, mean loss, training accuracy and wall seconds.
    public struct Epoch: Codable, Sendable, Equatable {
        /// The epoch's number, mean loss, training accuracy and wall seconds.
        public var epoch: Int, loss: Double, trainAccuracy: Double, seconds: Double
        enum CodingKeys: String, CodingKey { case epoch, loss, seconds, trainAccuracy = "train_accuracy" }
    }
    /// The PGD check after training: ε, iterations and examples.
    public struct Check: Codable, Sendable, Equatable {
        /// ε (as given), PGD iterations and the number of test examples attacked.
        public var eps: Double, steps: Int, examples: Int
    }
    /// The defence's name (`pgd-at`, `trades`, …) and the model's (architecture or file).
    public var defense: String, model: String
    /// Epochs, ε as given, and the seed.
    public var epochs: Int, eps: Double, seed: UInt64
    /// Accuracy on the whole test split, and the split sizes.
    public var cleanAccuracy: Double, testImages: Int, trainImages: Int
    /// Wall seconds of training and of the PGD check; the output file.
    public var trainSeconds: Double, checkSeconds: Double, out: String
    /// Every epoch.
    public var perEpoch: [Epoch]
    /// Accuracy under the PGD check, and its parameters; nil when the check did not run.
    public var pgdAccuracy: Double?, pgdCheck: Check?
    enum CodingKeys: String, CodingKey {
        case defense, model, epochs, eps, seed, out
        case cleanAccuracy = "clean_accuracy", testImages = "test_images", trainImages = "train_images", trainSeconds = "train_seconds"
        case checkSeconds = "check_seconds", perEpoch = "per_epoch", pgdAccuracy = "pgd_accuracy", pgdCheck = "pgd_check"
    }

    /// The summary of `result`, made by `job` for the defence named `defense` from the model named
    /// `model`, trained on `trainImages` examples and tested on `testImages`, saved to `out`.
    public init(_ result: HardenedTraining.Result, of job: HardenedTraining, defense: String, model: String,
                trainImages: Int, testImages: Int, out: String) {
        (self.defense, self.model, self.out) = (defense, model, out)
        (epochs, eps, seed) = (job.configuration.epochs, decimal(job.check.epsilon), job.configuration.seed)
        (cleanAccuracy, self.testImages, self.trainImages) = (result.cleanAccuracy, testImages, trainImages)
        (trainSeconds, checkSeconds) = (result.trainingSeconds, result.checkSeconds)
        perEpoch = result.epochs.map { Epoch(epoch: $0.epoch, loss: $0.loss, trainAccuracy: $0.trainAccuracy, seconds: $0.seconds) }
        pgdAccuracy = result.checkedAccuracy
        pgdCheck = result.checkedAccuracy.map { _ in Check(eps: decimal(job.check.epsilon), steps: job.check.steps, examples: result.checkedExamples) }
    }
}
