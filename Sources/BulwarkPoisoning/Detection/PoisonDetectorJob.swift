public import BulwarkTensor
public import BulwarkModels

/// The settings of every detector ``PoisonDetectorJob`` can run, with each detector's defaults.
public struct PoisonDetectorSettings: Sendable, Equatable {
    /// activation-clustering: PCA dimensions.
    public var dimensions: Int = 10
    /// activation-clustering: the flagging rule.
    public var clusteringRule: ActivationClustering.Rule = .relativeSize(maximum: 0.35)
    /// activation-clustering, spectral: activations after this layer (nil: the penultimate one).
    public var layer: Int?
    /// spectral: expected poison fraction of each class.
    public var expectedPoisonRate: Double = 0.1
    /// spectral: robust (the default), centred (the paper) or uncentred (ART 1.20) scores.
    public var projection: SpectralSignatures.Projection = .robust
    /// loss: robust z-score above which an example is flagged.
    public var lossThreshold: Double = 3
    /// strip: target false-rejection rate on the clean calibration half.
    public var falseRejectionRate: Double = 0.05
    /// strip: blends per input.
    public var overlays: Int = 20
    /// neural-cleanse: optimisation steps per class.
    public var steps: Int = 150
    /// strip, neural-cleanse: seed.
    public var seed: UInt64 = 0

    /// The defaults above.
    public init() {}
}

/// Runs one poison detector — or several, for `data check --method all` — on a training set and
/// the model trained on it, with one call.
///
/// activation-clustering and spectral need the model's hidden layers (a ``Sequential``); strip and
/// neural-cleanse need clean held-out images: strip blends with the first half and sets its
/// threshold on the second half for ``PoisonDetectorSettings/falseRejectionRate``, then screens
/// `inputs`; neural-cleanse optimises a trigger per class on them and flags classes.
///
/// ```swift
/// let model = ZooArchitecture.cnn.makeModel(seed: 0)
/// let x = Tensor.zeros([20, 1, 28, 28]), y = (0..<20).map { $0 % 10 }
/// let result = try PoisonDetectorJob.run(.spectral, model: model, inputs: x, labels: y)
/// print(result.flaggedIndices)
/// ```
public enum PoisonDetectorJob {
    /// Runs `method` (not `all`; see ``runAll(_:model:inputs:labels:clean:settings:)``).
    /// - Throws: ``PoisoningError`` when the model, inputs, labels or clean images do not fit the
    ///   method, a setting is out of range, or `method` is `all`.
    public static func run(_ method: DataCheckMethod, model: any DifferentiableClassifier, inputs: Tensor, labels: [Int],
                           clean: Tensor? = nil, settings: PoisonDetectorSettings = PoisonDetectorSettings()) throws(PoisoningError) -> PoisonDetectionResult {
        switch method {
        case .activationClustering:
            return try ActivationClustering(dimensions: settings.dimensions, rule: settings.clusteringRule, layer: settings.layer)
                .detect(model: try network(model, method), inputs: inputs, labels: labels)
        case .spectral:
            return try SpectralSignatures(expectedPoisonRate: settings.expectedPoisonRate, layer: settings.layer, projection: settings.projection)
                .detect(model: try network(model, method), inputs: inputs, labels: labels)
        case .loss:
            return try LossOutliers(threshold: settings.lossThreshold).detect(model: model, inputs: inputs, labels: labels)
        case .strip:
            let images = try cleanImages(clean, method, minimum: 2)
            let half = images.shape[0] / 2
            let strip = try STRIP(model: model, background: images.rows(0..<half), overlays: settings.overlays, seed: settings.seed)
            let cut = try strip.calibrate(clean: images.rows(half..<images.shape[0]), falseRejectionRate: settings.falseRejectionRate)
            return try strip.detect(inputs, threshold: cut)
        case .neuralCleanse:
            let images = try cleanImages(clean, method, minimum: 1)
            return try NeuralCleanse(steps: settings.steps, seed: settings.seed).run(model: model, cleanInputs: images).detection
        case .all:
            throw PoisoningError(.invalidParameter, "method all stands for several detectors: run them with runAll")
        }
    }

    /// Runs every method `methods` stands for (``DataCheckMethod/expanded``), in order.
    /// - Throws: as ``run(_:model:inputs:labels:clean:settings:)`` for the first method that fails.
    public static func runAll(_ methods: [DataCheckMethod], model: any DifferentiableClassifier, inputs: Tensor, labels: [Int],
                              clean: Tensor? = nil, settings: PoisonDetectorSettings = PoisonDetectorSettings()) throws(PoisoningError) -> [PoisonDetectionResult] {
        var seen: [DataCheckMethod] = []
        for method in methods.flatMap(\.expanded) where !seen.contains(method) { seen.append(method) }
        var results: [PoisonDetectionResult] = []
        for method in seen {
            results.append(try run(method, model: model, inputs: inputs, labels: labels, clean: clean, settings: settings))
        }
        return results
    }

    private static func network(_ model: any DifferentiableClassifier, _ method: DataCheckMethod) throws(PoisoningError) -> Sequential {
        guard let net = model as? Sequential else {
            throw PoisoningError(.invalidParameter, "method \(method.rawValue) needs a model whose hidden layers it can read (a safetensors model), not an imported graph")
        }
        return net
    }

    private static func cleanImages(_ clean: Tensor?, _ method: DataCheckMethod, minimum: Int) throws(PoisoningError) -> Tensor {
        guard let clean else { throw PoisoningError(.invalidParameter, "method \(method.rawValue) needs clean held-out images") }
        guard clean.rank >= 1, clean.shape[0] >= minimum else {
            throw PoisoningError(.invalidParameter, "method \(method.rawValue) needs at least \(minimum) clean images, got \(clean.shape.first ?? 0)")
        }
        return clean
    }
}

extension MethodScores {
    /// The summary of a detector's result: its scores' spread, threshold and flagged indices.
    public init(_ result: PoisonDetectionResult) {
        self.init(method: result.method, unit: result.unit.rawValue, summary: ScoreSummary(result.scores),
                  threshold: result.threshold, flagged: result.flaggedIndices)
    }
}

extension DataCheckReport {
    /// Adds detector results: each becomes a ``MethodScores`` entry, and the examples flagged by
    /// per-example methods join ``flaggedIndices`` (classes flagged by neural-cleanse do not: they
    /// are not examples).
    public mutating func add(detections: [PoisonDetectionResult]) {
        methods += detections.map(MethodScores.init)
        var union = Set(flaggedIndices)
        for d in detections where d.unit == .example { union.formUnion(d.flaggedIndices) }
        flaggedIndices = union.sorted()
    }
}
