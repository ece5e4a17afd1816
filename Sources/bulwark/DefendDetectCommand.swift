import ArgumentParser
import BulwarkAssessment
import BulwarkData
import BulwarkEvasion
import BulwarkTensor
import Foundation

/// `bulwark defend detect`: fit and calibrate an adversarial-input detector, then attack model
/// and detector non-adaptively and adaptively.
struct DefendDetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Calibrate an adversarial-input detector and attack model + detector, non-adaptively and adaptively.",
        discussion: """
        Detectors: feature-squeezing (Xu et al. 2018; squeezers from --squeezers) and mahalanobis \
        (Lee et al. 2018, on the activations after --layer, default the penultimate layer; needs a \
        safetensors model). The first --calibration examples (default half) are clean held-out data: \
        for mahalanobis the first two thirds of them fit the class means and covariance and the last \
        third sets the threshold (disjoint, so the false-alarm rate is not measured on fitting data); \
        feature squeezing needs no fitting and sets its threshold on all of them, for the --fpr \
        false-alarm rate. The other examples are attacked with PGD on the model \
        alone (non-adaptive) and with PGD on model + detector (adaptive: margin loss plus \
        λ·score/threshold, BPDA through the squeezers). Reports ROC AUC, TPR at the threshold, and \
        detection rate and robust accuracy of model + detector under both attacks. An attack \
        succeeds against the pipeline only if the input is misclassified and not flagged.

        Example:
          bulwark defend detect --detector mahalanobis --model cnn.safetensors --data x.npy --labels y.npy \\
            --attack pgd --eps 0.1 --fpr 0.05 --limit 200 --out detect
        """
    )

    @OptionGroup var input: ModelOptions
    @OptionGroup var examples: LabelledDataOptions

    @Option(help: "The detector.")
    var detector: DetectorChoice

    @Option(help: "Attack: pgd.")
    var attack: String = "pgd"

    @Option(parsing: .unconditional, help: "Perturbation budget ε.")
    var eps: Float = 0.1

    @Option(help: "Perturbation norm.")
    var norm: PerturbationNorm = .linf

    @Option(parsing: .unconditional, help: "PGD iterations of both attacks.")
    var steps: Int = 20

    @Option(parsing: .unconditional, help: "Target false-positive rate of the threshold.")
    var fpr: Double = 0.05

    @Option(parsing: .unconditional, help: "Examples that fit and calibrate the detector (default: half of them).")
    var calibration: Int?

    @Option(parsing: .unconditional, help: "Mahalanobis: activations after this layer index (default: the penultimate layer).")
    var layer: Int?

    @Option(help: "Feature squeezing: comma-separated squeezers.")
    var squeezers: String = "bit-depth:1,median:2"

    @Option(parsing: .unconditional, help: "Mahalanobis: covariance ridge, as a fraction of the mean variance.")
    var ridge: Double = 0.01

    @Option(name: .customLong("detector-weight"), parsing: .unconditional, help: "λ of the detector term in the adaptive attack.")
    var detectorWeight: Float = 1

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Examples per attack batch.")
    var batchSize: Int = 128

    @Option(parsing: .unconditional, help: "Seed of both attacks.")
    var seed: UInt64 = 0

    @Option(help: "Write the report (index.html, report.json, report.sarif) and detection.json here.")
    var out: String?

    @Flag(help: "Print one JSON object on stdout.")
    var json = false


    func validate() throws {
        guard attack == "pgd" else { throw ValidationError("unknown --attack '\(attack)' (supported: pgd)") }
        guard eps > 0, eps.isFinite else { throw ValidationError("--eps must be positive") }
        try Bounds.check(steps, in: 1...Bounds.steps, "--steps")
        guard fpr >= 0, fpr < 1 else { throw ValidationError("--fpr must be in [0, 1)") }
        guard detectorWeight >= 0, detectorWeight.isFinite else { throw ValidationError("--detector-weight must be ≥ 0") }
        try Bounds.check(batchSize, in: 1...Bounds.batchSize, "--batch-size")
        if let calibration, calibration < 1 { throw ValidationError("--calibration must be positive") }
        guard ridge > 0, ridge.isFinite else { throw ValidationError("--ridge must be positive") }
        if let limit = examples.limit, limit < 2 { throw ValidationError("--limit must be at least 2") }
        _ = try parsedSqueezers()
    }

    func parsedSqueezers() throws -> [any InputTransform] {
        let parts = squeezers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty else { throw ValidationError("--squeezers is empty") }
        var out: [any InputTransform] = []
        for text in parts {
            do { out.append(try TransformSpec.parse(text)) } catch { throw ValidationError("--squeezers: \(error.description)") }
        }
        return out
    }

    func run() throws {
        if let out {
            try refuseOverwrite(out, names: ["", "/index.html", "/report.json", "/report.sarif", "/detection.json"],
                                inputs: [input.model, examples.data, examples.labels])
        }
        configureNumerics()
        let chosen: DetectorJob.Detector = switch detector {
        case .mahalanobis: .mahalanobis(layer: layer, ridge: ridge)
        case .featureSqueezing: .featureSqueezing(try parsedSqueezers())
        }
        let job = DetectorJob(inputs: try examples.runInputs(input), detector: chosen, norm: norm, epsilon: eps, steps: steps,
                              targetFalsePositiveRate: fpr, calibration: calibration, detectorWeight: detectorWeight, batchSize: batchSize,
                              seed: seed, outputDirectory: out, command: quotedCommandLine(), toolVersion: Bulwark.configuration.version)
        let outcome = try job.run()
        let result = outcome.result
        if json { return try printJSON(outcome.summary) }
        print("detector \(result.detector): \(outcome.heldOut - result.calibrationExamples) examples fit it, \(result.calibrationExamples) set the threshold, \(outcome.attacked) attacked; "
              + "\(norm) ε=\(eps), PGD-\(steps), seed \(seed), \(formatDuration(outcome.seconds))")
        print(String(format: "clean accuracy %.4f; threshold %.4g for target FPR %.3f (FPR on the attacked examples' clean inputs %.4f)",
                     result.cleanAccuracy, result.threshold, fpr, result.falsePositiveRate))
        print(String(format: "vs non-adaptive PGD: ROC AUC %.4f, TPR at the threshold %.4f", result.detection.rocAUC, result.truePositiveRate))
        print("attack                         model robust  fooled  detected  model+detector robust  undetected success")
        for m in [result.nonAdaptive, result.adaptive] {
            print(m.attack.padding(toLength: 30, withPad: " ", startingAt: 0)
                  + String(format: " %12.4f %7d %9.4f %22.4f %19.4f", m.modelRobustAccuracy, m.fooledModel, m.detectionRate,
                           m.pipelineRobustAccuracy, m.undetectedSuccessRate))
        }
        print("robust accuracy of model + detector is under these two attacks only; an attack succeeds only if misclassified and not flagged")
        if !outcome.written.isEmpty { print("wrote " + outcome.written.joined(separator: ", ")) }
    }
}
