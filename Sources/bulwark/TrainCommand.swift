import ArgumentParser
import BulwarkData
import BulwarkModels
import BulwarkReport
import BulwarkPrivacy
import BulwarkTensor
import Foundation

/// `bulwark train`: trains a zoo model and reports its test accuracy.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a zoo model on a dataset and save it as safetensors.",
        discussion: """
        Defaults (Adam, learning rate 0.001, batch 128, 3 epochs) reach ≥ 85% test accuracy with \
        mlp and ≥ 88% with cnn on Fashion-MNIST. Progress goes to stderr; the result to stdout.

        With --dp, trains with DP-SGD (Poisson sampling at rate q, per-example clipping to \
        --max-grad-norm, Gaussian noise --noise-multiplier × C) and reports the ε spent (RDP \
        accountant, for --delta) after every epoch on stderr and at the end; ε and every DP \
        parameter are written into the model's metadata. Noise and sampling come from the \
        system CSPRNG unless --insecure-seeded-noise is given (then the model claims no privacy).

        Examples:
          bulwark train --dataset fashion-mnist --model cnn --out cnn.safetensors
          bulwark train --model mlp --dp --noise-multiplier 1.0 --max-grad-norm 1 --delta 1e-5 \\
            --sampling-rate 0.004 --epochs 10 --out mlp-dp.safetensors
        """
    )

    @Option(help: "Dataset to train on.")
    var dataset: DatasetChoice = .fashionMNIST

    @Option(name: .customLong("data-dir"), help: "Directory holding the IDX files.")
    var dataDirectory: String = FashionMNIST.defaultDirectory

    @Option(name: [.customLong("model"), .customLong("arch")], help: "The zoo model to train (--arch is the same option).")
    var model: ZooArchitecture

    @Option(parsing: .unconditional, help: "Passes over the training set.")
    var epochs: Int = 3

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Examples per step.")
    var batchSize: Int = 128

    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Adam learning rate.")
    var learningRate: Float = ZooArchitecture.defaultLearningRate

    @Option(parsing: .unconditional, help: "Seed for initialisation and shuffling.")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Use only the first N training images (for quick runs).")
    var limit: Int?

    @Option(help: "Where to write the trained model (.safetensors).")
    var out: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Train with DP-SGD (needs --noise-multiplier or --target-epsilon, --max-grad-norm and --delta).")
    var dp = false

    @Option(name: .customLong("noise-multiplier"), parsing: .unconditional, help: "DP-SGD: noise standard deviation / clipping norm (σ).")
    var noiseMultiplier: Double?

    @Option(name: .customLong("max-grad-norm"), parsing: .unconditional, help: "DP-SGD: per-example gradient clipping norm (C).")
    var maxGradNorm: Double?

    @Option(parsing: .unconditional, help: "DP-SGD: δ of the reported (ε, δ).")
    var delta: Double?

    @Option(name: .customLong("sampling-rate"), parsing: .unconditional, help: "DP-SGD: Poisson sampling rate q (default: batch size / training examples).")
    var samplingRate: Double?

    @Option(name: .customLong("target-epsilon"), parsing: .unconditional, help: "DP-SGD: refuse to run above this ε; without --noise-multiplier, the smallest σ reaching it.")
    var targetEpsilon: Double?

    @Option(help: "Optimiser.")
    var optimizer: OptimizerChoice = .adam

    @Option(parsing: .unconditional, help: "SGD momentum (with --optimizer sgd).")
    var momentum: Float = 0

    @Flag(name: .customLong("insecure-seeded-noise"), help: "DP-SGD: draw noise and batches from --seed (reproducible, NO privacy guarantee; recorded in the metadata).")
    var insecureSeededNoise = false

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func validate() throws {
        guard epochs > 0, epochs <= 1000 else { throw ValidationError("--epochs must be between 1 and 1000") }
        guard batchSize > 0, batchSize <= 65_536 else { throw ValidationError("--batch-size must be between 1 and 65536") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--lr must be a positive number") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive") }
        guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must name a .safetensors file") }
        guard momentum >= 0, momentum < 1 else { throw ValidationError("--momentum must be in [0, 1)") }
        let dpOptions = [noiseMultiplier != nil, maxGradNorm != nil, delta != nil, samplingRate != nil, targetEpsilon != nil, insecureSeededNoise]
        if !dp {
            guard !dpOptions.contains(true) else { throw ValidationError("DP-SGD options need --dp") }
            return
        }
        guard noiseMultiplier != nil || targetEpsilon != nil else {
            throw ValidationError("--dp needs --noise-multiplier (or --target-epsilon to calibrate it): without noise there is no ε")
        }
        guard maxGradNorm != nil else { throw ValidationError("--dp needs --max-grad-norm (the clipping norm C bounds each example's influence)") }
        guard let delta else { throw ValidationError("--dp needs --delta (ε is reported for a δ)") }
        guard delta > 0, delta < 1 else { throw ValidationError("--delta must be in (0, 1)") }
        if let noiseMultiplier { guard noiseMultiplier > 0, noiseMultiplier.isFinite else { throw ValidationError("--noise-multiplier must be a positive number") } }
        if let maxGradNorm { guard maxGradNorm > 0, maxGradNorm.isFinite else { throw ValidationError("--max-grad-norm must be a positive number") } }
        if let samplingRate { guard samplingRate > 0, samplingRate <= 1 else { throw ValidationError("--sampling-rate must be in (0, 1]") } }
        if let targetEpsilon { guard targetEpsilon > 0, targetEpsilon.isFinite else { throw ValidationError("--target-epsilon must be a positive number") } }
    }

    func run() throws {
        let arch = model
        if dp { return try runDP(arch) }
        let result = try TrainingJob(architecture: arch, dataDirectory: dataDirectory, epochs: epochs, batchSize: batchSize,
                                     learningRate: learningRate, seed: seed, limit: limit, out: out,
                                     progress: ProgressLine(enabled: !quiet)).run()
        if json {
            try printJSON(TrainResult(
                testAccuracy: result.testAccuracy, epochs: epochs, seconds: result.seconds, model: arch.rawValue, out: out, seed: seed,
                batchSize: batchSize, learningRate: decimal(learningRate), trainImages: result.trainImages,
                testImages: result.testImages,
                perEpoch: result.epochs.map { TrainResult.Epoch(epoch: $0.epoch, loss: $0.loss, trainAccuracy: $0.trainAccuracy,
                                                                seconds: $0.seconds, imagesPerSecond: $0.imagesPerSecond) }))
        } else {
            print(String(format: "test accuracy %.4f (%d images) — %@ trained %d epoch%@ in %@ → %@",
                         result.testAccuracy, result.testImages, arch.rawValue, epochs, epochs == 1 ? "" : "s",
                         formatDuration(result.seconds), out))
        }
    }
}

/// `train` without --dp: loads Fashion-MNIST and hands the run to `ModelTraining.run` (train, test, save with provenance).
struct TrainingJob {
    var architecture: ZooArchitecture
    var dataDirectory: String
    var epochs: Int, batchSize: Int
    var learningRate: Float
    var seed: UInt64
    var limit: Int?
    var out: String
    var progress: ProgressLine

    struct Result {
        var testAccuracy: Double
        var seconds: Double
        var trainImages: Int, testImages: Int
        var epochs: [EpochSummary]
    }

    func run() throws -> Result {
        configureNumerics()
        let trainSet = try FashionMNIST.load(.train, directory: dataDirectory, limit: limit)
        let testSet = try FashionMNIST.load(.test, directory: dataDirectory)
        let progress = self.progress
        let plain = SupervisedTraining(configuration: TrainingConfiguration(epochs: epochs, batchSize: batchSize, seed: seed),
                                       optimizer: Adam(learningRate: learningRate)) { p in
            progress.update(String(format: "epoch %d/%d  step %d/%d  loss %.4f  acc %.4f  %.0f img/s  ETA %@",
                                   p.epoch, p.epochs, p.step, p.stepsPerEpoch, p.loss, p.accuracy, p.imagesPerSecond,
                                   formatDuration(p.secondsRemaining)), force: p.step == p.stepsPerEpoch)
        }
        let run = try ModelTraining.run(plain, architecture: architecture, seed: seed, dataset: "fashion-mnist",
                                        training: (trainSet.inputs, trainSet.labels), test: (testSet.inputs, testSet.labels), saveTo: out)
        progress.finish()
        return Result(testAccuracy: run.testAccuracy, seconds: run.trainingSeconds, trainImages: trainSet.count, testImages: testSet.count,
                      epochs: run.outcome)
    }
}

extension TrainCommand {
    /// The `--dp` path: DP-SGD with ε reported per epoch and stored in the model's metadata.
    func runDP(_ arch: ZooArchitecture) throws {
        configureNumerics()
        let trainSet = try FashionMNIST.load(.train, directory: dataDirectory, limit: limit)
        let testSet = try FashionMNIST.load(.test, directory: dataDirectory)
        let n = trainSet.count
        let q = samplingRate ?? min(1, Double(batchSize) / Double(n))
        let clip = maxGradNorm ?? 0, delta = self.delta ?? 0  // both validated present
        let stepsPerEpoch = max(1, Int((1 / q).rounded()))
        let sigma: Double
        do {
            if let noiseMultiplier {
                sigma = noiseMultiplier
            } else {
                sigma = try PrivacyCalibration.noiseMultiplier(targetEpsilon: targetEpsilon ?? 0, samplingRate: q,
                                                               steps: epochs * stepsPerEpoch, delta: delta)
            }
        } catch { throw CLIError(privacyCause(error).map(flagMessage) ?? "\(error)") }
        let config = DPSGDConfiguration(noiseMultiplier: sigma, maxGradientNorm: clip, samplingRate: q, epochs: epochs, delta: delta,
                                        randomness: insecureSeededNoise ? .seededInsecure(seed: seed) : .secure)
        let planned: Double
        do { planned = try config.plannedEpsilon } catch { throw CLIError(privacyCause(error).map(flagMessage) ?? "\(error)") }
        if let targetEpsilon, planned > targetEpsilon {
            throw CLIError(String(format: "refusing to train: %d epochs at σ = %.4g, q = %.4g would spend ε = %.4f > --target-epsilon %.4g (δ = %g)",
                                  epochs, sigma, q, planned, targetEpsilon, delta))
        }
        if !quiet {
            Terminal.note(String(format: "DP-SGD: σ = %.4g, C = %.4g, q = %.4g (expected batch %.1f), %d steps/epoch, planned ε = %.4f at δ = %g%@",
                                 sigma, clip, q, q * Double(n), stepsPerEpoch, planned, delta,
                                 insecureSeededNoise ? " — SEEDED NOISE, NO PRIVACY GUARANTEE" : ""))
        }
        let line = ProgressLine(enabled: !quiet)
        let quiet = self.quiet
        let run: TrainedModel<DPSGDResult>
        do {
            let progress: (DPSGDProgress) -> Void = { p in
                line.update(String(format: "epoch %d/%d  step %d/%d  loss %.4f  acc %.4f  %.0f img/s",
                                   p.epoch, p.epochs, p.step, p.stepsPerEpoch, p.loss, p.accuracy, p.imagesPerSecond))
            }
            let epochEnded: (DPSGDEpochSummary) -> Void = { e in
                line.finish()
                if !quiet {
                    Terminal.note(String(format: "epoch %d/%d  loss %.4f  train acc %.4f  clipped %.2f  %.1fs  ε = %.4f (δ = %g)",
                                         e.epoch, config.epochs, e.loss, e.trainAccuracy, e.clippedFraction, e.seconds, e.epsilon, delta))
                }
            }
            let training = (inputs: trainSet.inputs, labels: trainSet.labels), test = (inputs: testSet.inputs, labels: testSet.labels)
            if optimizer == .sgd {
                let dp = DPSGDProcedure(configuration: config, optimizer: SGD(learningRate: learningRate, momentum: momentum),
                                        progress: progress, epochEnded: epochEnded)
                run = try ModelTraining.run(dp, architecture: arch, seed: seed, dataset: "fashion-mnist", training: training, test: test, saveTo: out)
            } else {
                let dp = DPSGDProcedure(configuration: config, optimizer: Adam(learningRate: learningRate), progress: progress, epochEnded: epochEnded)
                run = try ModelTraining.run(dp, architecture: arch, seed: seed, dataset: "fashion-mnist", training: training, test: test, saveTo: out)
            }
        } catch { throw CLIError(privacyCause(error).map(flagMessage) ?? "\(error)") }
        let result = run.outcome, seconds = run.trainingSeconds, accuracy = run.testAccuracy
        let secondsPerEpoch = result.epochs.map(\.seconds).reduce(0, +) / Double(max(1, result.epochs.count))
        if json {
            try printJSON(DPTrainResult(
                testAccuracy: accuracy, epsilon: result.epsilon, delta: delta, noiseMultiplier: sigma, maxGradNorm: clip, samplingRate: q,
                steps: result.steps, epochs: epochs, seconds: seconds, secondsPerEpoch: secondsPerEpoch, model: arch.rawValue, out: out,
                seed: seed, optimizer: optimizer.rawValue, learningRate: decimal(learningRate), trainImages: n,
                privacyClaim: !insecureSeededNoise,
                perEpoch: result.epochs.map { DPTrainResult.Epoch(epoch: $0.epoch, loss: $0.loss, trainAccuracy: $0.trainAccuracy,
                                                                  epsilon: $0.epsilon, seconds: $0.seconds, clippedFraction: $0.clippedFraction,
                                                                  meanBatchSize: $0.meanBatchSize) }))
        } else {
            print(String(format: "test accuracy %.4f (%d images) — %@ DP-SGD %d epoch%@ in %@ (%.1f s/epoch), ε = %.4f at δ = %g%@ → %@",
                         accuracy, testSet.count, arch.rawValue, epochs, epochs == 1 ? "" : "s", formatDuration(seconds), secondsPerEpoch,
                         result.epsilon, delta, insecureSeededNoise ? " (seeded noise: no privacy guarantee)" : "", out))
        }
    }
}

/// What `train --json` prints.
struct TrainResult: Codable {
    /// One epoch.
    struct Epoch: Codable {
        var epoch: Int, loss: Double, trainAccuracy: Double, seconds: Double, imagesPerSecond: Double
        enum CodingKeys: String, CodingKey {
            case epoch, loss, seconds, trainAccuracy = "train_accuracy", imagesPerSecond = "images_per_second"
        }
    }
    var testAccuracy: Double, epochs: Int, seconds: Double, model: String, out: String, seed: UInt64, batchSize: Int
    var learningRate: Double, trainImages: Int, testImages: Int, perEpoch: [Epoch]
    enum CodingKeys: String, CodingKey {
        case epochs, seconds, model, out, seed
        case testAccuracy = "test_accuracy", batchSize = "batch_size", learningRate = "learning_rate", trainImages = "train_images"
        case testImages = "test_images", perEpoch = "per_epoch"
    }
}

/// What `train --dp --json` prints.
struct DPTrainResult: Codable {
    /// One epoch, with the ε spent so far.
    struct Epoch: Codable {
        var epoch: Int, loss: Double, trainAccuracy: Double, epsilon: Double, seconds: Double, clippedFraction: Double, meanBatchSize: Double
        enum CodingKeys: String, CodingKey {
            case epoch, loss, epsilon, seconds
            case trainAccuracy = "train_accuracy", clippedFraction = "clipped_fraction", meanBatchSize = "mean_batch_size"
        }
    }
    var testAccuracy: Double, epsilon: Double, delta: Double, noiseMultiplier: Double, maxGradNorm: Double, samplingRate: Double
    var steps: Int, epochs: Int, seconds: Double, secondsPerEpoch: Double, model: String, out: String, seed: UInt64
    var optimizer: String, learningRate: Double, trainImages: Int, privacyClaim: Bool, perEpoch: [Epoch]
    enum CodingKeys: String, CodingKey {
        case epsilon, delta, steps, epochs, seconds, model, out, seed, optimizer
        case testAccuracy = "test_accuracy", noiseMultiplier = "noise_multiplier", maxGradNorm = "max_grad_norm"
        case samplingRate = "sampling_rate", secondsPerEpoch = "seconds_per_epoch", learningRate = "learning_rate"
        case trainImages = "train_images", privacyClaim = "privacy_claim", perEpoch = "per_epoch"
    }
}
