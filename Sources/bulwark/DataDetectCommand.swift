public import ArgumentParser
import BulwarkData
import BulwarkModels
public import BulwarkPoisoning
import BulwarkTensor
import Foundation

/// `bulwark data detect`: run one poison detector on a training set (or, for STRIP, on inputs
/// to screen) and the model trained on it; print per-example scores, flagged indices and, with
/// `--poison-indices`, precision and recall.
struct DataDetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Find poison in a training set with the model trained on it (activation clustering, spectral signatures, loss outliers), screen inputs for triggers (STRIP), or reverse-engineer triggers (Neural Cleanse).",
        discussion: """
        activation-clustering (Chen et al. 2018): per class, penultimate activations → PCA to \
        --dimensions → 2-means; the smaller cluster is flagged when it holds less than \
        --size-threshold of the class (or, with --silhouette S, when the split's silhouette ≥ S). \
        spectral (Tran et al. 2018): per class, the 1.5 × --expected-rate highest squared projections \
        on the top singular vector of the centred activations. loss: per-class robust z-score of each \
        example's loss, flagged above --threshold. strip (Gao et al. 2019): each --data input blended \
        with --overlays images from the first half of --clean; the threshold is set on the second half \
        for the --frr false-rejection rate; low entropy is flagged. neural-cleanse (Wang et al. 2019): \
        a trigger per class optimised on --clean images for --steps steps; classes whose anomaly index \
        exceeds 2 are flagged (flagged indices are then classes). Activation clustering and spectral \
        signatures need a safetensors model (its hidden layers).

        Example:
          bulwark data detect --model cnn.safetensors --data x.npy --labels y.npy \\
            --method activation-clustering --poison-indices poison_indices.npy --json
        """
    )

    @OptionGroup var input: ModelOptions
    @OptionGroup var examples: LabelledDataOptions

    @Option(help: "The detector: \(DataCheckMethod.allCases.filter { $0 != .all }.map(\.rawValue).joined(separator: "|")) (several at once: `data check --method all`).")
    var method: DataCheckMethod

    @Option(name: .customLong("poison-indices"), help: "Ground-truth poison indices (.npy of integers) to score precision and recall.")
    var poisonIndices: String?

    @OptionGroup(title: "Detector settings") var detector: DetectorOptions

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    /// What `--json` prints.
    struct Output: Codable {
        var model: String
        var data: String
        var examples: Int
        var result: PoisonDetectionResult
        var quality: DetectionQuality?
        /// Wall seconds of detection (not of loading files).
        var detectionSeconds: Double
        var loadSeconds: Double
    }

    func validate() throws {
        if method == .all { throw ValidationError("data detect runs one --method; run several with `bulwark data check --model M --method all`") }
        if method == .strip || method == .neuralCleanse, detector.clean == nil {
            throw ValidationError("--method \(method.rawValue) needs --clean CLEAN.npy (held-out clean images)")
        }
    }

    func run() throws {
        configureNumerics()
        let loadStart = Date()
        let classifier = try input.load()
        let data = try examples.load(for: classifier, modelPath: input.model)
        let truth = try poisonIndices.map { path throws -> [Int] in try NPY.read(path: path).toLabels() }
        let cleanInputs = try detector.clean.map { path throws -> Tensor in try ArrayFiles.inputs(path: path, exampleShape: classifier.inputShape) }
        let loadSeconds = Date().timeIntervalSince(loadStart)
        let start = Date()
        let result = try PoisonDetectorJob.run(method, model: classifier, inputs: data.inputs, labels: data.labels, clean: cleanInputs,
                                               settings: detector.settings)
        let seconds = Date().timeIntervalSince(start)
        let count = result.unit == .class ? classifier.classCount : data.labels.count
        let quality = try truth.map { t throws -> DetectionQuality in
            try DetectionQuality(flagged: result.flaggedIndices, poisonIndices: t, count: count)
        }
        if json {
            try printJSON(Output(model: input.model, data: examples.data, examples: data.labels.count, result: result, quality: quality,
                                 detectionSeconds: seconds, loadSeconds: loadSeconds))
        } else {
            let unit = result.unit == .class ? "classes" : "examples"
            print("\(result.method): flagged \(result.flaggedIndices.count) of \(count) \(unit) in \(String(format: "%.2f", seconds)) s")
            if result.unit == .class { print("flagged classes: \(result.flaggedIndices)") }
            if let quality {
                print(String(format: "precision %.3f  recall %.3f  (true positives %d, false positives %d, missed %d)",
                             quality.precision, quality.recall, quality.truePositives, quality.falsePositives, quality.falseNegatives))
            }
        }
    }
}

/// The settings of the poison detectors, shared by `data detect` and `data check --method`.
struct DetectorOptions: ParsableArguments {
    @Option(help: "strip, neural-cleanse: clean held-out images (.npy/.npz), not part of --data.")
    var clean: String?

    @Option(name: .customLong("expected-rate"), parsing: .unconditional, help: "spectral: expected poison fraction of each class.")
    var expectedRate: Double = 0.1

    @Option(help: "spectral: robust (the paper's score from the class's median projection), centred (the paper's, from the mean) or uncentred (ART 1.20's).")
    var projection: SpectralSignatures.Projection = .robust

    @Option(parsing: .unconditional, help: "activation-clustering: PCA dimensions.")
    var dimensions: Int = 10

    @Option(name: .customLong("size-threshold"), parsing: .unconditional, help: "activation-clustering: flag a cluster smaller than this fraction of its class.")
    var sizeThreshold: Double = 0.35

    @Option(parsing: .unconditional, help: "activation-clustering: flag by silhouette ≥ this instead of by size.")
    var silhouette: Double?

    @Option(parsing: .unconditional, help: "activation-clustering, spectral: activations after this layer index (default: the penultimate layer).")
    var layer: Int?

    @Option(parsing: .unconditional, help: "loss: robust z-score above which an example is flagged.")
    var threshold: Double = 3

    @Option(parsing: .unconditional, help: "strip: target false-rejection rate on clean inputs.")
    var frr: Double = 0.05

    @Option(parsing: .unconditional, help: "strip: blends per input.")
    var overlays: Int = 20

    @Option(parsing: .unconditional, help: "neural-cleanse: Adam steps per class.")
    var steps: Int = 150

    @Option(parsing: .unconditional, help: "strip, neural-cleanse: seed.")
    var seed: UInt64 = 0

    func validate() throws {
        guard expectedRate > 0, expectedRate <= 1 else { throw ValidationError("--expected-rate must be in (0, 1]") }
        guard dimensions >= 1, dimensions <= 1024 else { throw ValidationError("--dimensions must be in 1...1024") }
        guard sizeThreshold > 0, sizeThreshold <= 0.5 else { throw ValidationError("--size-threshold must be in (0, 0.5]") }
        if let silhouette, !(silhouette > -1 && silhouette < 1) { throw ValidationError("--silhouette must be in (-1, 1)") }
        guard threshold.isFinite else { throw ValidationError("--threshold must be finite") }
        guard frr >= 0, frr < 1 else { throw ValidationError("--frr must be in [0, 1)") }
        guard overlays >= 1, overlays <= 1000 else { throw ValidationError("--overlays must be in 1...1000") }
        guard steps >= 1, steps <= 100_000 else { throw ValidationError("--steps must be in 1...100000") }
    }

    /// The detectors' settings from the flags.
    var settings: PoisonDetectorSettings {
        var s = PoisonDetectorSettings()
        s.dimensions = dimensions
        s.clusteringRule = silhouette.map { .silhouette(minimum: $0) } ?? .relativeSize(maximum: sizeThreshold)
        s.layer = layer
        s.expectedPoisonRate = expectedRate
        s.projection = projection
        s.lossThreshold = threshold
        s.falseRejectionRate = frr
        s.overlays = overlays
        s.steps = steps
        s.seed = seed
        return s
    }
}

extension SpectralSignatures.Projection: ExpressibleByArgument {}
