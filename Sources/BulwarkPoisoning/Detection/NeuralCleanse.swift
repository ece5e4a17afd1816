public import BulwarkTensor
public import BulwarkModels

/// Neural Cleanse (Wang, Yao, Shan, Li, Viswanath, Zheng & Zhao, "Neural Cleanse: Identifying and
/// Mitigating Backdoor Attacks in Neural Networks", IEEE S&P 2019): for each class, reverse-engineer
/// the smallest trigger that sends clean inputs there. A backdoored target class needs a far
/// smaller trigger than the others; the MAD-based anomaly index finds it.
///
/// Per class `t`: a mask `m = (tanh(a) + 1) / 2` (one value per pixel, shared by the channels)
/// and a pattern `p = (tanh(b) + 1) / 2` (per channel and pixel) stamp an input as
/// `x′ = (1 − m) · x + m · p`; Adam minimises `CE(f(x′), t) + λ · ‖m‖₁` over mini-batches of the
/// clean inputs. The anomaly index of class `t` is `(median − L1_t) / (1.4826 · MAD)` over the
/// classes' mask norms `L1`; classes whose index exceeds ``anomalyThreshold`` (2, the paper's) on
/// the small side are flagged.
///
/// Kept fast, unlike the paper: a fixed λ (the paper adjusts it during the run), ``steps`` Adam
/// steps (default 150) on mini-batches of ``batchSize`` (32) from at most ``examples`` (256) clean
/// inputs, learning rate 0.1. Cost: `classes × steps` forward and backward passes on a batch.
///
/// ```swift
/// let model = ZooArchitecture.cnn.makeModel(seed: 0)
/// let heldOut = Tensor.zeros([64, 1, 28, 28])
/// let result = try NeuralCleanse(steps: 10).run(model: model, cleanInputs: heldOut)
/// print(result.detection.flaggedIndices)   // suspected target classes
/// ```
public struct NeuralCleanse: Sendable {
    /// Adam steps per class.
    public var steps: Int
    /// Inputs per step.
    public var batchSize: Int
    /// Clean inputs used at most (the first ones).
    public var examples: Int
    /// λ, the weight of the mask's L1 norm.
    public var lambda: Float
    /// Adam's learning rate on the tanh-space parameters.
    public var learningRate: Float
    /// Classes whose anomaly index exceeds this are flagged (2 in the paper).
    public var anomalyThreshold: Double
    /// Seed of the mini-batch draws.
    public var seed: UInt64

    /// A run with the defaults above.
    public init(steps: Int = 150, batchSize: Int = 32, examples: Int = 256, lambda: Float = 0.01, learningRate: Float = 0.1,
                anomalyThreshold: Double = 2, seed: UInt64 = 0) {
        self.steps = steps
        self.batchSize = batchSize
        self.examples = examples
        self.lambda = lambda
        self.learningRate = learningRate
        self.anomalyThreshold = anomalyThreshold
        self.seed = seed
    }

    /// Reverse-engineers a trigger for every class (or `classes`) on `cleanInputs`.
    /// - Throws: ``PoisoningError`` when the inputs do not fit the model (rank-4 N×C×H×W images are
    ///   required) or a setting is out of range.
    public func run(model: any DifferentiableClassifier, cleanInputs: Tensor, classes: [Int]? = nil) throws(PoisoningError) -> NeuralCleanseResult {
        try DetectionInputs.check("neural-cleanse", inputs: cleanInputs, exampleShape: model.inputShape, labels: nil, classCount: model.classCount)
        guard model.inputShape.count == 3 else {
            throw PoisoningError(.shapeMismatch, "neural-cleanse: needs C×H×W image inputs, the model takes \(model.inputShape)")
        }
        guard steps >= 1, batchSize >= 1, examples >= 1 else {
            throw PoisoningError(.invalidParameter, "neural-cleanse: steps, batch size and examples must be at least 1")
        }
        guard lambda >= 0, lambda.isFinite, learningRate > 0, learningRate.isFinite, anomalyThreshold.isFinite else {
            throw PoisoningError(.invalidParameter, "neural-cleanse: lambda must be ≥ 0 and the learning rate positive")
        }
        let targets = classes ?? Array(0..<model.classCount)
        if let bad = targets.first(where: { $0 < 0 || $0 >= model.classCount }) {
            throw PoisoningError(.invalidParameter, "neural-cleanse: class \(bad) outside 0..<\(model.classCount)")
        }
        let (channels, height, width) = (model.inputShape[0], model.inputShape[1], model.inputShape[2])
        let pool = cleanInputs.rows(0..<min(examples, cleanInputs.shape[0]))
        let n = pool.shape[0]
        var triggers: [ReverseEngineeredTrigger] = []
        for target in targets {
            var rng = SeededGenerator(seed: seed &+ UInt64(target))
            // Mask starts at 0.2 everywhere (atanh(2·0.2 − 1)), pattern at grey.
            var parameters = [Tensor(repeating: -0.6931472, shape: [1, 1, height, width]), Tensor.zeros([1, channels, height, width])]
            var adam = Adam(learningRate: learningRate)
            for _ in 0..<steps {
                let batch = (0..<min(batchSize, n)).map { _ in Int(rng.next() % UInt64(n)) }
                let tape = Tape()
                let a = tape.variable(parameters[0]), b = tape.variable(parameters[1])
                let mask = (a.tanh() + 1) * 0.5, pattern = (b.tanh() + 1) * 0.5
                let x = tape.constant(pool.gatherRows(batch))
                let stamped = x * ((-mask) + 1) + pattern * mask
                let loss = softmaxCrossEntropy(logits: model.logits(stamped), labels: [Int](repeating: target, count: batch.count))
                    + mask.sum() * lambda
                let gradients = tape.gradients(of: loss, wrt: [a, b])
                adam.update(&parameters, gradients: gradients)
            }
            let mask = parameters[0].tanh().map { ($0 + 1) / 2 }, pattern = parameters[1].tanh().map { ($0 + 1) / 2 }
            let stamped = pool * (1 - mask) + pattern * mask
            let hits = model.predictions(stamped).filter { $0 == target }.count
            triggers.append(ReverseEngineeredTrigger(label: target, maskL1: Double(mask.scalars.reduce(0, +)),
                                                     attackSuccess: Double(hits) / Double(max(n, 1)),
                                                     mask: mask.scalars, pattern: pattern.scalars))
        }
        let index = Self.anomalyIndices(triggers.map(\.maskL1))
        let flagged = targets.indices.filter { index[$0] > anomalyThreshold }.map { targets[$0] }
        var scores = [Double](repeating: 0, count: model.classCount)
        var summaries: [PoisonDetectionResult.ClassSummary] = []
        for (k, t) in triggers.enumerated() {
            scores[t.label] = index[k]
            summaries.append(.init(label: t.label, examples: 0, flagged: index[k] > anomalyThreshold ? 1 : 0,
                                   values: ["maskL1": t.maskL1, "anomalyIndex": index[k], "attackSuccess": t.attackSuccess]))
        }
        let detection = PoisonDetectionResult(method: "neural-cleanse", unit: .class, scores: scores, flaggedIndices: flagged,
                                              threshold: anomalyThreshold,
                                              parameters: ["steps": "\(steps)", "batchSize": "\(batchSize)", "examples": "\(n)",
                                                           "lambda": "\(lambda)", "learningRate": "\(learningRate)", "seed": "\(seed)"],
                                              classes: summaries)
        return NeuralCleanseResult(detection: detection, triggers: triggers)
    }

    /// The anomaly index of each value, signed so that **small** values score high:
    /// `(median − v) / (1.4826 · MAD)` (the MAD falls back as in a robust z-score when it is 0).
    public static func anomalyIndices(_ norms: [Double]) -> [Double] {
        DetectionMath.robustZScores(norms).map { -$0 }
    }
}

/// The trigger Neural Cleanse reverse-engineered for one class.
public struct ReverseEngineeredTrigger: Codable, Sendable, Equatable {
    /// The class the trigger sends inputs to.
    public var label: Int
    /// The mask's L1 norm (its area, for a binary mask).
    public var maskL1: Double
    /// Fraction of the clean inputs used that the stamped trigger sends to ``label``.
    public var attackSuccess: Double
    /// The mask, H×W row-major, values in [0, 1].
    public var mask: [Float]
    /// The pattern, C×H×W row-major, values in [0, 1].
    public var pattern: [Float]
}

/// What Neural Cleanse found: per-class scores and flagged classes, and the triggers.
public struct NeuralCleanseResult: Codable, Sendable, Equatable {
    /// Scores are anomaly indices per class; flagged indices are suspected target classes.
    public var detection: PoisonDetectionResult
    /// One trigger per analysed class.
    public var triggers: [ReverseEngineeredTrigger]
}
