public import BulwarkTensor
public import BulwarkModels

/// How a model + detector pipeline fared under one attack.
///
/// The pipeline rejects inputs the detector flags. An attack on an example succeeds against the
/// pipeline only if its adversarial input is misclassified **and** not flagged.
public struct PipelineMetrics: Codable, Sendable, Equatable {
    /// The attack, e.g. `"pgd (non-adaptive)"`.
    public var attack: String
    /// Examples attacked.
    public var examples: Int
    /// Accuracy of the model alone on the adversarial inputs (correct clean and still correct).
    public var modelRobustAccuracy: Double
    /// Adversarial inputs (of examples correct when clean) that the model misclassifies.
    public var fooledModel: Int
    /// Fraction of those the detector flags.
    public var detectionRate: Double
    /// Fraction of all examples correct when clean whose adversarial input is classified
    /// correctly or flagged: the robust accuracy of model + detector.
    public var pipelineRobustAccuracy: Double
    /// Fraction of the examples correct when clean that the attack turned into an undetected misclassification.
    public var undetectedSuccessRate: Double
    /// ROC AUC of the detector: benign inputs vs the adversarial inputs that fool the model.
    public var rocAUC: Double
    /// Wall seconds of the attack.
    public var seconds: Double

    /// Metrics from per-example facts (all arrays in data order).
    public init(attack: String, labels: [Int], cleanPredictions: [Int], adversarialPredictions: [Int], adversarialScores: [Double],
                benignScores: [Double], threshold: Double, seconds: Double) {
        self.attack = attack
        let n = labels.count
        examples = n
        var correct = 0, stillCorrect = 0, fooled = 0, fooledFlagged = 0
        var fooling: [Double] = []
        for i in 0..<n where cleanPredictions[i] == labels[i] {
            correct += 1
            if adversarialPredictions[i] == labels[i] { stillCorrect += 1; continue }
            fooled += 1
            fooling.append(adversarialScores[i])
            if adversarialScores[i] > threshold { fooledFlagged += 1 }
        }
        modelRobustAccuracy = n == 0 ? 0 : Double(stillCorrect) / Double(n)
        fooledModel = fooled
        detectionRate = fooled == 0 ? 0 : Double(fooledFlagged) / Double(fooled)
        pipelineRobustAccuracy = n == 0 ? 0 : Double(stillCorrect + fooledFlagged) / Double(n)
        undetectedSuccessRate = correct == 0 ? 0 : Double(fooled - fooledFlagged) / Double(correct)
        rocAUC = ROCCurve(positives: fooling, negatives: benignScores).auc
        self.seconds = seconds
    }
}

/// Everything a detector evaluation measured.
public struct DetectorEvaluationResult: Codable, Sendable, Equatable {
    /// Detector name.
    public var detector: String
    /// Threshold chosen on the calibration data for the target false-positive rate.
    public var threshold: Double
    /// Target false-positive rate.
    public var targetFalsePositiveRate: Double
    /// Examples the detector was fitted and calibrated on, and examples attacked (disjoint).
    public var calibrationExamples: Int, examples: Int
    /// Model accuracy on the attacked examples.
    public var cleanAccuracy: Double
    /// False-positive rate on the attacked examples' clean inputs at the threshold.
    public var falsePositiveRate: Double
    /// Detector ROC on benign vs non-adaptive adversarial inputs that fool the model (FPR ascending).
    public var roc: [ROCPoint]
    /// Detection metrics of that pair at the target FPR (threshold from those benign scores).
    public var detection: DetectionMetrics
    /// True-positive rate at the calibrated threshold on the non-adaptive adversarial inputs that fool the model.
    public var truePositiveRate: Double
    /// PGD on the model alone, judged on the pipeline.
    public var nonAdaptive: PipelineMetrics
    /// ``DetectorAwarePGD`` on model + detector.
    public var adaptive: PipelineMetrics
    /// Threat model.
    public var norm: PerturbationNorm
    /// ε, iterations, detector weight λ of the adaptive attack, seed.
    public var epsilon: Float, iterations: Int, detectorWeight: Float, seed: UInt64
}

/// Calibrates a detector on clean data, then attacks model + detector non-adaptively (PGD on the
/// model) and adaptively (``DetectorAwarePGD``), and reports ROC, TPR at the target FPR, the
/// threshold, and detection rate and robust accuracy of the pipeline under both attacks.
public struct DetectorEvaluation: Sendable {
    /// Threat-model norm.
    public var norm: PerturbationNorm
    /// Perturbation budget.
    public var epsilon: Float
    /// PGD iterations of both attacks.
    public var iterations: Int
    /// Target false-positive rate of the threshold.
    public var targetFalsePositiveRate: Double
    /// λ of the adaptive attack.
    public var detectorWeight: Float
    /// Examples per attack batch.
    public var batchSize: Int
    /// Seed of both attacks.
    public var seed: UInt64
    /// Input clip range.
    public var clipMin: Float, clipMax: Float

    /// A plan; defaults: 20 iterations, 5 % FPR, λ = 1.
    public init(norm: PerturbationNorm = .linf, epsilon: Float, iterations: Int = 20, targetFalsePositiveRate: Double = 0.05,
                detectorWeight: Float = 1, batchSize: Int = 128, seed: UInt64 = 0, clipMin: Float = 0, clipMax: Float = 1) {
        self.norm = norm
        self.epsilon = epsilon
        self.iterations = iterations
        self.targetFalsePositiveRate = targetFalsePositiveRate
        self.detectorWeight = detectorWeight
        self.batchSize = batchSize
        self.seed = seed
        self.clipMin = clipMin
        self.clipMax = clipMax
    }

    /// Runs the evaluation. `calibration` (clean inputs, disjoint from `inputs`) sets the threshold.
    /// - Throws: ``EvasionError`` for inconsistent data or plan.
    public func run(model: any DifferentiableClassifier, detector: any DifferentiableDetector, calibration: Tensor,
                    inputs: Tensor, labels: [Int]) throws(EvasionError) -> DetectorEvaluationResult {
        guard inputs.shape.first == labels.count, !labels.isEmpty else { throw EvasionError("detector evaluation: \(labels.count) labels for inputs \(inputs.shape)") }
        guard (calibration.shape.first ?? 0) > 0 else { throw EvasionError("detector evaluation: no calibration inputs") }
        guard targetFalsePositiveRate >= 0, targetFalsePositiveRate < 1 else { throw EvasionError("detector evaluation: target FPR must be in [0, 1)") }
        guard batchSize > 0, iterations >= 1 else { throw EvasionError("detector evaluation: batch size and iterations must be positive") }
        let threshold = detector.calibrateThreshold(benign: calibration, falsePositiveRate: targetFalsePositiveRate)
        let benign = detector.scores(inputs)
        let clean = model.predictions(inputs, batchSize: batchSize)
        let n = labels.count
        func attack(_ salt: UInt64, _ body: (Tensor, [Int], AttackConfiguration) throws(EvasionError) -> AttackResult) throws(EvasionError) -> (Tensor, Double) {
            let start = now()
            var parts: [Tensor] = []
            for s in stride(from: 0, to: n, by: batchSize) {
                let range = s..<min(n, s + batchSize)
                let c = AttackConfiguration(norm: norm, epsilon: epsilon, clipMin: clipMin, clipMax: clipMax, maxIterations: iterations,
                                            seed: seed &+ salt &* 7919 &+ UInt64(s))
                parts.append(try body(inputs.rows(range), Array(labels[range]), c).adversarial)
            }
            return (Tensor.concatenateRows(parts), now() - start)
        }
        let pgd = ProjectedGradientDescent()
        let (plainAdv, plainSeconds) = try attack(1) { (x, y, c) throws(EvasionError) in try pgd.run(inputs: x, labels: y, model: .whiteBox(model), configuration: c) }
        let adaptiveAttack = DetectorAwarePGD(detector: detector, threshold: threshold, detectorWeight: detectorWeight)
        let (adaptiveAdv, adaptiveSeconds) = try attack(2) { (x, y, c) throws(EvasionError) in try adaptiveAttack.run(inputs: x, labels: y, model: model, configuration: c) }
        let plainPred = model.predictions(plainAdv, batchSize: batchSize), plainScores = detector.scores(plainAdv)
        let adaptivePred = model.predictions(adaptiveAdv, batchSize: batchSize), adaptiveScores = detector.scores(adaptiveAdv)
        let plain = PipelineMetrics(attack: "pgd (non-adaptive)", labels: labels, cleanPredictions: clean, adversarialPredictions: plainPred,
                                    adversarialScores: plainScores, benignScores: benign, threshold: threshold, seconds: plainSeconds)
        let adaptive = PipelineMetrics(attack: "detector-aware pgd (adaptive)", labels: labels, cleanPredictions: clean,
                                       adversarialPredictions: adaptivePred, adversarialScores: adaptiveScores, benignScores: benign,
                                       threshold: threshold, seconds: adaptiveSeconds)
        let fooling = (0..<n).filter { clean[$0] == labels[$0] && plainPred[$0] != labels[$0] }.map { plainScores[$0] }
        let op = DetectionMetrics.operatingPoint(threshold: threshold, benign: benign, adversarial: fooling)
        return DetectorEvaluationResult(
            detector: detector.name, threshold: threshold, targetFalsePositiveRate: targetFalsePositiveRate,
            calibrationExamples: calibration.shape.first ?? 0, examples: n,
            cleanAccuracy: Double(zip(clean, labels).filter { $0 == $1 }.count) / Double(n),
            falsePositiveRate: op.falsePositiveRate, roc: ROCCurve(positives: fooling, negatives: benign).points,
            detection: DetectionMetrics(benign: benign, adversarial: fooling, targetFalsePositiveRate: targetFalsePositiveRate),
            truePositiveRate: op.truePositiveRate, nonAdaptive: plain, adaptive: adaptive, norm: norm, epsilon: epsilon,
            iterations: iterations, detectorWeight: detectorWeight, seed: seed)
    }
}
