public import BulwarkEvasion
public import Foundation
public import BulwarkArchive
import BulwarkData
import BulwarkModels
import BulwarkReport
import BulwarkTensor

/// `bulwark defend detect` as a library call: fit and calibrate an adversarial-input detector
/// on the first (clean, held-out) examples, then attack the others with PGD on the model alone
/// (non-adaptive) and on model + detector (adaptive), and write the report when asked.
///
/// The first ``calibration`` examples (default half) are held out: Mahalanobis (Lee et al. 2018)
/// fits its class means and covariance on the first two thirds of them and sets its threshold
/// on the last third; feature squeezing (Xu et al. 2018) sets its threshold on all of them.
///
/// ```swift
/// let inputs = RunInputs(modelPath: "cnn.safetensors", source: .arrays(data: "x.npy", labels: "y.npy"), dataName: "x.npy", labelsName: "y.npy")
/// let job = DetectorJob(inputs: inputs, detector: .mahalanobis(layer: nil, ridge: 0.01), epsilon: 0.1)
/// let outcome = try job.run()
/// print(outcome.result.detection.rocAUC)
/// ```
public struct DetectorJob: Sendable {
    /// The detector to fit.
    public enum Detector: Sendable {
        /// Mahalanobis distance on the activations after `layer` (nil: the penultimate layer) of a
        /// zoo model, the covariance ridged by `ridge` × the mean variance.
        case mahalanobis(layer: Int?, ridge: Double)
        /// Feature squeezing with these squeezers.
        case featureSqueezing([any InputTransform])
    }

    /// The model and examples.
    public var inputs: RunInputs
    /// The detector.
    public var detector: Detector
    /// Perturbation norm of both attacks.
    public var norm: PerturbationNorm
    /// Perturbation budget ε.
    public var epsilon: Float
    /// PGD iterations of both attacks.
    public var steps: Int
    /// Target false-positive rate of the threshold.
    public var targetFalsePositiveRate: Double
    /// Examples held out to fit and calibrate the detector (nil: half).
    public var calibration: Int?
    /// λ of the detector term in the adaptive attack.
    public var detectorWeight: Float
    /// Examples per attack batch.
    public var batchSize: Int
    /// Seed of both attacks.
    public var seed: UInt64
    /// Where the report and `detection.json` go (nil: nothing written).
    public var outputDirectory: String?
    /// The command that reproduces the run, recorded in the report.
    public var command: String
    /// The tool version recorded.
    public var toolVersion: String

    /// A detector evaluation; the defaults are `bulwark defend detect`'s.
    public init(inputs: RunInputs, detector: Detector, norm: PerturbationNorm = .linf, epsilon: Float = 0.1, steps: Int = 20,
                targetFalsePositiveRate: Double = 0.05, calibration: Int? = nil, detectorWeight: Float = 1, batchSize: Int = 128,
                seed: UInt64 = 0, outputDirectory: String? = nil, command: String = "", toolVersion: String = BulwarkVersion.current) {
        self.inputs = inputs
        self.detector = detector
        self.norm = norm
        self.epsilon = epsilon
        self.steps = steps
        self.targetFalsePositiveRate = targetFalsePositiveRate
        self.calibration = calibration
        self.detectorWeight = detectorWeight
        self.batchSize = batchSize
        self.seed = seed
        self.outputDirectory = outputDirectory
        self.command = command
        self.toolVersion = toolVersion
    }

    /// What a run produced.
    public struct Outcome: Sendable {
        /// The detector's calibration and both attacks' metrics.
        public var result: DetectorEvaluationResult
        /// What `defend detect --json` prints.
        public var summary: DetectorSummary
        /// Examples held out to fit and calibrate the detector.
        public var heldOut: Int
        /// Examples attacked.
        public var attacked: Int
        /// Wall seconds of the evaluation (after loading).
        public var seconds: Double
        /// The files written (none without an output directory).
        public var written: [String]
    }

    /// Loads, fits, calibrates, attacks and, with ``outputDirectory``, writes the report.
    /// - Throws: ``AssessmentError`` for the inputs and a calibration split that leaves a side
    ///   empty, ``EvasionError`` from fitting or attacking, the file system's error for an
    ///   unwritable output.
    public func run() throws -> Outcome {
        let loaded = try inputs.load()
        let base = loaded.model
        let (x, y) = (loaded.examples.inputs, loaded.examples.labels)
        if let outside = x.scalars.first(where: { $0 < 0 || $0 > 1 }) {
            throw AssessmentError(.invalidConfiguration, "\(inputs.dataName): input value \(outside) outside [0, 1]")
        }
        let split = calibration ?? y.count / 2
        guard split >= 1, split < y.count else {
            throw AssessmentError(.invalidConfiguration, "--calibration \(split) leaves no examples to attack (\(y.count) examples)")
        }
        var calX = x.rows(0..<split)
        let testX = x.rows(split..<y.count), testY = Array(y[split..<y.count])
        let fitted: any DifferentiableDetector
        switch detector {
        case .mahalanobis(let layer, let ridge):
            guard let net = base as? Sequential else {
                throw AssessmentError(.invalidConfiguration, "--detector mahalanobis needs a safetensors model (its hidden layers)")
            }
            let fit = split * 2 / 3
            guard fit >= 1, fit < split else {
                throw AssessmentError(.invalidConfiguration, "--calibration \(split) is too small to both fit and calibrate the detector")
            }
            fitted = try MahalanobisDetector(model: net, layer: layer ?? max(0, net.layers.count - 2), inputs: x.rows(0..<fit),
                                             labels: Array(y[0..<fit]), ridge: ridge)
            calX = x.rows(fit..<split)
        case .featureSqueezing(let squeezers):
            for t in squeezers where t.outputShape(for: base.inputShape) != base.inputShape {
                throw AssessmentError(.invalidConfiguration, "squeezer \(t.name) changes the input shape")
            }
            fitted = FeatureSqueezingDetector(model: base, squeezers: squeezers)
        }
        let plan = DetectorEvaluation(norm: norm, epsilon: epsilon, iterations: steps, targetFalsePositiveRate: targetFalsePositiveRate,
                                      detectorWeight: detectorWeight, batchSize: batchSize, seed: seed)
        let start = Date()
        let result = try plan.run(model: base, detector: fitted, calibration: calX, inputs: testX, labels: testY)
        let seconds = Date().timeIntervalSince(start)
        var written: [String] = []
        if let outputDirectory {
            let model = inputs.modelPath
            let evidence = DefenceEvidence(name: "\(URL(fileURLWithPath: model).lastPathComponent) + \(result.detector)", detector: result,
                                           reproduce: command, artifact: model)
            let parameters = ["model": model, "data": inputs.dataName, "labels": inputs.labelsName, "detector": result.detector,
                              "eps": String(epsilon), "norm": norm.rawValue, "steps": String(steps), "fpr": String(targetFalsePositiveRate),
                              "held_out_examples": String(split), "seed": String(seed)]
            let report = DefenceFindings.report(evidence, title: "Bulwark detector evaluation: \(result.detector)", seed: seed,
                                                parameters: parameters, toolVersion: toolVersion)
            written = try ReportWriter.write(report, result: result, resultName: "detection.json", to: URL(fileURLWithPath: outputDirectory)).map(\.path)
        }
        let summary = DetectorSummary(result, targetFalsePositiveRate: targetFalsePositiveRate, heldOut: split, examples: testY.count,
                                      epsilon: epsilon, norm: norm, steps: steps, seed: seed, seconds: seconds, report: written)
        return Outcome(result: result, summary: summary, heldOut: split, attacked: testY.count, seconds: seconds, written: written)
    }
}

/// What `defend detect --json` prints: the detector's calibration, both attacks on model and
/// model + detector, the parameters as given and the files written.
public struct DetectorSummary: Codable, Sendable, Equatable {
    /// Model and model + detector under one attack: ``PipelineMetrics`` (which documents each
    /// figure) without its example count, under snake-case keys.
    public struct Pipeline: Codable, Sendable, Equatable {
        /// The attack's name, then the figures of ``PipelineMetrics``.
        public var attack: String, modelRobustAccuracy: Double, fooledModel: Int, detectionRate: Double, pipelineRobustAccuracy: Double
        /// The rest of the figures of ``PipelineMetrics``.
        public var undetectedSuccessRate: Double, rocAUC: Double, seconds: Double
        enum CodingKeys: String, CodingKey {
            case attack, seconds
            case modelRobustAccuracy = "model_robust_accuracy", fooledModel = "fooled_model", detectionRate = "detection_rate"
            case pipelineRobustAccuracy = "pipeline_robust_accuracy", undetectedSuccessRate = "undetected_success_rate", rocAUC = "roc_auc"
        }

        /// The row of `m`.
        public init(_ m: PipelineMetrics) {
            (attack, modelRobustAccuracy, fooledModel, detectionRate) = (m.attack, m.modelRobustAccuracy, m.fooledModel, m.detectionRate)
            (pipelineRobustAccuracy, undetectedSuccessRate, rocAUC, seconds) = (m.pipelineRobustAccuracy, m.undetectedSuccessRate, m.rocAUC, m.seconds)
        }
    }
    /// The detector's name.
    public var detector: String
    /// The score threshold.
    public var threshold: Double
    /// The target and the measured false-positive rate.
    public var targetFPR: Double, fpr: Double
    /// ROC AUC and true-positive rate at the threshold, against the non-adaptive attack.
    public var rocAUC: Double, tpr: Double
    /// Clean accuracy on the attacked examples.
    public var cleanAccuracy: Double
    /// Examples that set the threshold, and all examples held out (fit + threshold).
    public var calibrationExamples: Int, heldOutExamples: Int
    /// Examples attacked.
    public var examples: Int
    /// ε as given, the norm, PGD steps and seed.
    public var eps: Double, norm: String, steps: Int, seed: UInt64
    /// The two attacks.
    public var nonAdaptive: Pipeline, adaptive: Pipeline
    /// Wall seconds.
    public var seconds: Double
    /// The files written.
    public var report: [String]
    enum CodingKeys: String, CodingKey {
        case detector, threshold, fpr, tpr, examples, eps, norm, steps, seed, adaptive, seconds, report
        case targetFPR = "target_fpr", rocAUC = "roc_auc", cleanAccuracy = "clean_accuracy", calibrationExamples = "calibration_examples"
        case heldOutExamples = "held_out_examples", nonAdaptive = "non_adaptive"
    }

    /// The summary of `result` with the run's parameters.
    public init(_ result: DetectorEvaluationResult, targetFalsePositiveRate: Double, heldOut: Int, examples: Int, epsilon: Float,
                norm: PerturbationNorm, steps: Int, seed: UInt64, seconds: Double, report: [String]) {
        detector = result.detector
        threshold = result.threshold
        targetFPR = targetFalsePositiveRate
        fpr = result.falsePositiveRate
        rocAUC = result.detection.rocAUC
        tpr = result.truePositiveRate
        cleanAccuracy = result.cleanAccuracy
        calibrationExamples = result.calibrationExamples
        heldOutExamples = heldOut
        self.examples = examples
        eps = decimal(epsilon)
        self.norm = norm.rawValue
        self.steps = steps
        self.seed = seed
        nonAdaptive = Pipeline(result.nonAdaptive)
        adaptive = Pipeline(result.adaptive)
        self.seconds = seconds
        self.report = report
    }
}
