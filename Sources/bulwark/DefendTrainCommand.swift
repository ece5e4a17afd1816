import ArgumentParser
import BulwarkData
import BulwarkEvasion
import BulwarkModels
import BulwarkAssessment
import BulwarkReport
import BulwarkTensor
import Foundation

/// `bulwark defend train`: adversarial training, TRADES, fast-AT, distillation or noise augmentation.
struct DefendTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a zoo model (or fine-tune an ONNX model) with a training-time defence and save it.",
        discussion: """
        Defences: pgd-at (Madry et al. 2018), trades (Zhang et al. 2019), fast-at (FGSM with random \
        start, Wong et al. 2020), distillation (Papernot et al. 2016; known to mask gradients), \
        noise (Gaussian augmentation, the base model of randomized smoothing). After training it \
        reports clean test accuracy and accuracy under PGD at --eps on --eval-limit test images: \
        an upper bound on robust accuracy measured by one attack, not a certificate.

        Example:
          bulwark defend train --defense pgd-at --dataset fashion-mnist --model cnn --epochs 5 --eps 0.1 --out hardened.safetensors
          bulwark defend train --defense pgd-at --model cnn.onnx --epochs 2 --eps 0.1 --out cnn-robust.onnx
        """
    )

    @Option(help: "Training-time defence.")
    var defense: TrainingDefenceChoice

    @OptionGroup var training: TrainingOptions

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

    @Option(name: .customLong("eval-limit"), parsing: .unconditional, help: "Test images for the PGD check (0 skips it).")
    var evalLimit: Int = 1000

    @Option(name: .customLong("eval-steps"), parsing: .unconditional, help: "PGD iterations of the check.")
    var evalSteps: Int = 20

    func validate() throws {
        guard eps >= 0, eps <= 1, eps.isFinite else { throw ValidationError("--eps must be between 0 and 1") }
        try Bounds.check(steps, in: 1...1000, "--steps")
        guard beta >= 0, beta.isFinite else { throw ValidationError("--beta must be ≥ 0") }
        guard sigma > 0, sigma.isFinite else { throw ValidationError("--sigma must be positive") }
        guard temperature > 0, temperature.isFinite else { throw ValidationError("--temperature must be positive") }
        guard warmupEpochs >= 0 else { throw ValidationError("--warmup-epochs must be ≥ 0") }
        try Bounds.check(evalLimit, in: 0...Int.max, "--eval-limit")
        try Bounds.check(evalSteps, in: 1...Bounds.steps, "--eval-steps")
    }

    /// The library's description of the chosen defence.
    var hardening: HardenedTraining.Hardening {
        switch defense {
        case .pgdAT: .adversarial(.pgd(epsilon: eps, steps: steps, stepSize: nil))
        case .trades: .adversarial(.trades(epsilon: eps, steps: steps, beta: beta))
        case .fastAT: .adversarial(.fast(epsilon: eps, stepSize: nil))
        case .noise: .adversarial(.gaussianNoise(sigma: sigma))
        case .distillation: .distillation(temperature: temperature)
        }
    }

    func run() throws {
        configureNumerics()
        let t = training
        let prepared = try t.prepare()
        let (start, imported, data) = (prepared.start, prepared.onnx, prepared.data)
        if t.source.isCSV, case .adversarial = hardening {
            throw CLIError("defend train --csv: adversarial defences perturb and clip inputs to [0, 1], which does not fit standardised table features")
        }
        let (trainSet, testSet) = (data.training, data.test)
        let job = HardenedTraining(hardening: hardening, start: try HardenedTraining.Start(start, imported: imported), configuration: t.configuration, learningRate: t.learningRate,
                                   epsilonWarmupEpochs: warmupEpochs, check: .init(epsilon: eps, steps: evalSteps, examples: evalLimit))
        let line = ProgressLine(enabled: !t.quiet)
        let result = try job.run(dataset: data.description, training: trainSet, test: testSet, classCount: data.classCount,
                                 featureStandardisation: try data.standardisationJSON(), saveTo: t.out) { stage, p in
            line.update(String(format: "%@ epoch %d/%d  step %d/%d  loss %.4f  acc %.4f  %.0f img/s",
                               stage, p.epoch, p.epochs, p.step, p.stepsPerEpoch, p.loss, p.accuracy, p.imagesPerSecond),
                        force: p.step == p.stepsPerEpoch)
        }
        line.finish()
        if t.json {
            try printJSON(HardenedTrainingSummary(result, of: job, defense: defense.rawValue, model: start.name,
                                                  trainImages: trainSet.count, testImages: testSet.count, out: t.out))
        } else {
            print(String(format: "%@ %@: clean test accuracy %.4f (%d examples); trained %d epoch%@ in %@ → %@",
                         defense.rawValue, start.name, result.cleanAccuracy, testSet.count, t.epochs, t.epochs == 1 ? "" : "s",
                         formatDuration(result.trainingSeconds), t.out))
            if let robust = result.checkedAccuracy {
                print(String(format: "accuracy under PGD-%d L∞ ε=%g on the first %d test examples: %.4f (%@; one attack, an upper bound on robust accuracy)",
                             evalSteps, Double(eps), result.checkedExamples, robust, formatDuration(result.checkSeconds)))
            }
        }
    }
}
