import ArgumentParser
import BulwarkData
import BulwarkEvasion
import BulwarkModels
import BulwarkReport
import BulwarkTensor
import Foundation

/// `bulwark defend train`: adversarial training, TRADES, fast-AT, distillation or noise augmentation.
struct DefendTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a zoo model with a training-time defence and save it as safetensors.",
        discussion: """
        Defences: pgd-at (Madry et al. 2018), trades (Zhang et al. 2019), fast-at (FGSM with random \
        start, Wong et al. 2020), distillation (Papernot et al. 2016; known to mask gradients), \
        noise (Gaussian augmentation, the base model of randomized smoothing). After training it \
        reports clean test accuracy and accuracy under PGD at --eps on --eval-limit test images: \
        an upper bound on robust accuracy measured by one attack, not a certificate.

        Example:
          bulwark defend train --defense pgd-at --dataset fashion-mnist --model cnn --epochs 5 --eps 0.1 --out hardened.safetensors
        """
    )

    @Option(help: "Training-time defence.")
    var defense: TrainingDefenceChoice

    @Option(help: "Dataset.")
    var dataset: DatasetChoice = .fashionMNIST

    @Option(name: .customLong("data-dir"), help: "Directory holding the IDX files.")
    var dataDirectory: String = FashionMNIST.defaultDirectory

    @Option(name: [.customLong("model"), .customLong("arch")], help: "The zoo model to train (--arch is the same option).")
    var model: ZooArchitecture

    @Option(parsing: .unconditional, help: "Passes over the training set (each of teacher and student for distillation).")
    var epochs: Int = 3

    @Option(parsing: .unconditional, help: "L∞ budget ε for adversarial training and the robustness check.")
    var eps: Float = 0.1

    @Option(parsing: .unconditional, help: "PGD steps per example (pgd-at, trades).")
    var steps: Int = 7

    @Option(parsing: .unconditional, help: "TRADES weight β of the robustness term.")
    var beta: Float = 6

    @Option(parsing: .unconditional, help: "Noise standard deviation σ (noise).")
    var sigma: Float = 0.25

    @Option(parsing: .unconditional, help: "Softmax temperature (distillation).")
    var temperature: Float = 20

    @Option(name: .customLong("warmup-epochs"), parsing: .unconditional, help: "Epochs over which ε ramps up from 0 (adversarial defences).")
    var warmupEpochs: Int = 0

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Examples per step.")
    var batchSize: Int = 128

    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Adam learning rate.")
    var learningRate: Float = ZooArchitecture.defaultLearningRate

    @Option(parsing: .unconditional, help: "Use only the first N training images.")
    var limit: Int?

    @Option(name: .customLong("eval-limit"), parsing: .unconditional, help: "Test images for the PGD check (0 skips it).")
    var evalLimit: Int = 1000

    @Option(name: .customLong("eval-steps"), parsing: .unconditional, help: "PGD iterations of the check.")
    var evalSteps: Int = 20

    @Option(parsing: .unconditional, help: "Seed of initialisation, shuffling and perturbations.")
    var seed: UInt64 = 0

    @Option(help: "Where to write the hardened model (.safetensors).")
    var out: String

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func validate() throws {
        guard epochs > 0, epochs <= 1000 else { throw ValidationError("--epochs must be between 1 and 1000") }
        guard eps >= 0, eps <= 1, eps.isFinite else { throw ValidationError("--eps must be between 0 and 1") }
        guard steps >= 1, steps <= 1000 else { throw ValidationError("--steps must be between 1 and 1000") }
        guard beta >= 0, beta.isFinite else { throw ValidationError("--beta must be ≥ 0") }
        guard sigma > 0, sigma.isFinite else { throw ValidationError("--sigma must be positive") }
        guard temperature > 0, temperature.isFinite else { throw ValidationError("--temperature must be positive") }
        guard warmupEpochs >= 0 else { throw ValidationError("--warmup-epochs must be ≥ 0") }
        guard batchSize > 0, batchSize <= 65_536 else { throw ValidationError("--batch-size must be between 1 and 65536") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--lr must be a positive number") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive") }
        guard evalLimit >= 0, evalSteps >= 1 else { throw ValidationError("--eval-limit must be ≥ 0 and --eval-steps ≥ 1") }
        guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must name a .safetensors file") }
    }

    var trainingDefense: TrainingDefense? {
        switch defense {
        case .pgdAT: .pgd(epsilon: eps, steps: steps, stepSize: nil)
        case .trades: .trades(epsilon: eps, steps: steps, beta: beta)
        case .fastAT: .fast(epsilon: eps, stepSize: nil)
        case .noise: .gaussianNoise(sigma: sigma)
        case .distillation: nil
        }
    }

    func run() throws {
        configureNumerics()
        let arch = model
        let trainSet = try FashionMNIST.load(.train, directory: dataDirectory, limit: limit)
        let testSet = try FashionMNIST.load(.test, directory: dataDirectory)
        let progress = ProgressLine(enabled: !quiet)
        let config = TrainingConfiguration(epochs: epochs, batchSize: batchSize, seed: seed)
        let show: (String, TrainingProgress) -> Void = { stage, p in
            progress.update(String(format: "%@ epoch %d/%d  step %d/%d  loss %.4f  acc %.4f  %.0f img/s",
                                   stage, p.epoch, p.epochs, p.step, p.stepsPerEpoch, p.loss, p.accuracy, p.imagesPerSecond),
                            force: p.step == p.stepsPerEpoch)
        }
        let training = (inputs: trainSet.inputs, labels: trainSet.labels), test = (inputs: testSet.inputs, labels: testSet.labels)
        let net: Sequential, summaries: [EpochSummary], trainSeconds: Double, clean: Double
        if let d = trainingDefense {
            let defense = self.defense.rawValue
            let plan = AdversarialTraining(defense: d, configuration: config, epsilonWarmupEpochs: warmupEpochs)
                .procedure(optimizer: Adam(learningRate: learningRate)) { show(defense, $0) }
            let run = try ModelTraining.run(plan, architecture: arch, seed: seed, dataset: "fashion-mnist", training: training, test: test, saveTo: out)
            (net, summaries, trainSeconds, clean) = (run.model, run.outcome, run.trainingSeconds, run.testAccuracy)
        } else {
            let (learningRate, teacherSeed) = (self.learningRate, seed &+ 1)
            let plan = DefensiveDistillation(temperature: temperature, configuration: config)
                .procedure(makeTeacher: { arch.makeModel(seed: teacherSeed) }, makeOptimizer: { Adam(learningRate: learningRate) }, progress: show)
            let run = try ModelTraining.run(plan, architecture: arch, seed: seed, dataset: "fashion-mnist", training: training, test: test, saveTo: out)
            (net, summaries, trainSeconds, clean) = (run.model, run.outcome.teacher + run.outcome.student, run.trainingSeconds, run.testAccuracy)
        }
        progress.finish()

        var robust: Double?
        var checkSeconds = 0.0
        let checked = min(evalLimit, testSet.count)
        if checked > 0 && eps > 0 {
            let checkStart = Date()
            let subset = testSet.prefix(checked)
            let plan = Evaluation(specs: [AttackSpec(.pgd, maxIterations: evalSteps)], epsilons: [eps], batchSize: 256, seed: seed)
            do {
                robust = try plan.run(model: net, inputs: subset.inputs, labels: subset.labels).attacks.first?.metrics.robustAccuracy
            } catch { throw error }
            checkSeconds = Date().timeIntervalSince(checkStart)
        }

        if json {
            try printJSON(DefendTrainResult(
                defense: defense.rawValue, model: arch.rawValue, epochs: epochs, eps: decimal(eps), seed: seed,
                cleanAccuracy: clean, testImages: testSet.count, trainImages: trainSet.count, trainSeconds: trainSeconds,
                checkSeconds: checkSeconds, out: out,
                perEpoch: summaries.map { .init(epoch: $0.epoch, loss: $0.loss, trainAccuracy: $0.trainAccuracy, seconds: $0.seconds) },
                pgdAccuracy: robust,
                pgdCheck: robust.map { _ in .init(eps: decimal(eps), steps: evalSteps, examples: checked) }))
        } else {
            print(String(format: "%@ %@: clean test accuracy %.4f (%d images); trained %d epoch%@ in %@ → %@",
                         defense.rawValue, arch.rawValue, clean, testSet.count, epochs, epochs == 1 ? "" : "s", formatDuration(trainSeconds), out))
            if let robust {
                print(String(format: "accuracy under PGD-%d L∞ ε=%g on the first %d test images: %.4f (%@; one attack, an upper bound on robust accuracy)",
                             evalSteps, Double(eps), checked, robust, formatDuration(checkSeconds)))
            }
        }
    }
}

/// What `defend train --json` prints.
struct DefendTrainResult: Codable {
    /// One epoch.
    struct Epoch: Codable {
        var epoch: Int, loss: Double, trainAccuracy: Double, seconds: Double
        enum CodingKeys: String, CodingKey { case epoch, loss, seconds, trainAccuracy = "train_accuracy" }
    }
    /// The PGD check after training.
    struct Check: Codable { var eps: Double, steps: Int, examples: Int }
    var defense: String, model: String, epochs: Int, eps: Double, seed: UInt64, cleanAccuracy: Double, testImages: Int
    var trainImages: Int, trainSeconds: Double, checkSeconds: Double, out: String, perEpoch: [Epoch]
    var pgdAccuracy: Double?, pgdCheck: Check?
    enum CodingKeys: String, CodingKey {
        case defense, model, epochs, eps, seed, out
        case cleanAccuracy = "clean_accuracy", testImages = "test_images", trainImages = "train_images", trainSeconds = "train_seconds"
        case checkSeconds = "check_seconds", perEpoch = "per_epoch", pgdAccuracy = "pgd_accuracy", pgdCheck = "pgd_check"
    }
}
