public import BulwarkTensor
public import BulwarkModels

/// Loss-based outlier scores: each training example's cross-entropy under the model trained on
/// it, turned into a robust z-score within its labelled class,
/// `z = (loss − median) / (1.4826 · MAD)`, and flagged when `z > threshold` (or `|z|` with
/// ``Side/both``).
///
/// What it finds: examples the model could not fit to their label — flipped labels and
/// mislabelled data (high loss). A backdoor the model has learnt has *low* loss (the trigger
/// makes it easy), so BadNets-style poison is usually not found on the high side; ``Side/low``
/// looks there, but clean examples of an easy class sit there too. Say so in a report rather
/// than expect this detector to catch backdoors.
///
/// Cost: one forward pass over the data.
///
/// ```swift
/// let model = ZooArchitecture.cnn.makeModel(seed: 0)
/// let (x, y) = (Tensor.zeros([20, 1, 28, 28]), (0..<20).map { $0 % 10 })
/// let result = try LossOutliers().detect(model: model, inputs: x, labels: y)
/// ```
public struct LossOutliers: Sendable {
    /// Which tail of the per-class loss distribution is suspicious.
    public enum Side: String, Sendable, Codable {
        /// High loss (label noise, label flipping): score = z.
        case high
        /// Low loss (examples fitted far better than their class): score = −z.
        case low
        /// Either: score = |z|.
        case both
    }

    /// Flag examples whose score exceeds this robust z (default 3).
    public var threshold: Double
    /// The suspicious tail.
    public var side: Side
    /// Examples per forward pass.
    public var batchSize: Int

    /// A detector flagging robust z-scores above `threshold` on `side`.
    public init(threshold: Double = 3, side: Side = .high, batchSize: Int = 256) {
        self.threshold = threshold
        self.side = side
        self.batchSize = batchSize
    }

    /// Per-example softmax cross-entropy of `model` on `inputs` against `labels`.
    /// - Throws: ``PoisoningError`` when inputs, labels and model disagree.
    public static func losses(model: any DifferentiableClassifier, inputs: Tensor, labels: [Int], batchSize: Int = 256) throws(PoisoningError) -> [Double] {
        try DetectionInputs.check("loss-outlier", inputs: inputs, exampleShape: model.inputShape, labels: labels, classCount: model.classCount)
        let n = labels.count, c = model.classCount, step = max(1, batchSize)
        var out: [Double] = []
        out.reserveCapacity(n)
        for start in stride(from: 0, to: n, by: step) {
            let end = min(n, start + step)
            let logp = model.logits(inputs.rows(start..<end)).logSoftmax(axis: 1)
            for r in 0..<(end - start) { out.append(-Double(logp.scalars[r * c + labels[start + r]])) }
        }
        return out
    }

    /// Runs the detector on a training set and the model trained on it.
    /// - Throws: ``PoisoningError`` when inputs, labels and model disagree or the threshold is not finite.
    public func detect(model: any DifferentiableClassifier, inputs: Tensor, labels: [Int]) throws(PoisoningError) -> PoisonDetectionResult {
        guard threshold.isFinite else { throw PoisoningError(.invalidParameter, "loss-outlier: threshold \(threshold) must be finite") }
        let loss = try Self.losses(model: model, inputs: inputs, labels: labels, batchSize: batchSize)
        var scores = [Double](repeating: 0, count: labels.count)
        var summaries: [PoisonDetectionResult.ClassSummary] = []
        var flagged: [Int] = []
        for (label, indices) in DetectionInputs.byClass(labels) {
            let values = indices.map { loss[$0] }
            let z = DetectionMath.robustZScores(values)
            var count = 0
            for (r, i) in indices.enumerated() {
                let s: Double
                switch side {
                case .high: s = z[r]
                case .low: s = -z[r]
                case .both: s = abs(z[r])
                }
                scores[i] = s
                if s > threshold { flagged.append(i); count += 1 }
            }
            summaries.append(.init(label: label, examples: indices.count, flagged: count,
                                   values: ["medianLoss": DetectionMath.median(values)]))
        }
        return PoisonDetectionResult(method: "loss-outlier", scores: scores, flaggedIndices: flagged, threshold: threshold,
                                     parameters: ["threshold": "\(threshold)", "side": side.rawValue], classes: summaries)
    }
}
