public import BulwarkTensor
public import BulwarkModels

/// Spectral signatures (Tran, Li & Madry, "Spectral Signatures in Backdoor Attacks", NeurIPS
/// 2018): in a class that holds poison, the poison's mean representation differs from the clean
/// mean, so the poison stands out along the top singular direction of the centred
/// representations.
///
/// Per class: the activations after ``layer`` (default the penultimate layer) are centred; `v` is
/// the top right singular vector of that matrix (power iteration on its Gram matrix). The
/// paper scores each example by its squared projection `((r − μ)·v)²` (``Projection/centred``).
/// The `⌈removalMultiplier · expectedPoisonRate · n⌉` highest scores of each class (the paper's
/// 1.5·ε) are flagged. Like ART's `expected_pp_poison`, ``expectedPoisonRate`` is the fraction of
/// **each class** expected to be poison; every class loses that many examples, so precision is
/// bounded by construction.
///
/// The default, ``Projection/robust``, measures the projection from the class's median instead
/// of its mean: the poison drags the mean towards itself, so under the paper's score clean
/// examples on the far side look as far out as the poison, while the median stays inside the
/// clean majority. On the poisoned sets of Benchmarks/poisoning it had the higher recall of the
/// two on all but one (see the README). ``Projection/uncentred`` scores `(r · v)²`,
/// projecting the raw representation as ART 1.20's `SpectralSignatureDefense` does.
///
/// Cost: one forward pass, then per class an O(n·d²) Gram matrix and O(d²) per power step.
///
/// ```swift
/// let model = ZooArchitecture.cnn.makeModel(seed: 0)
/// let (x, y) = (Tensor.zeros([20, 1, 28, 28]), (0..<20).map { $0 % 10 })
/// let result = try SpectralSignatures(expectedPoisonRate: 0.33).detect(model: model, inputs: x, labels: y)
/// ```
public struct SpectralSignatures: Sendable {
    /// How an example's projection on the top singular vector becomes its score.
    public enum Projection: String, Sendable, Codable {
        /// `((r − μ)·v)²`, the paper's score.
        case centred
        /// `(r·v)²`, as ART 1.20 scores.
        case uncentred
        /// `((r − μ)·v − m)²` with `m` the median projection of the class: the paper's score
        /// measured from a robust centre. The poison drags the mean towards itself, so under
        /// the paper's score clean examples on the far side look as far out as the poison; the
        /// median stays inside the clean majority.
        case robust
    }

    /// How examples are scored (default robust).
    public var projection: Projection
    /// The expected fraction of a class's examples that are poison, ε, in (0, 1].
    public var expectedPoisonRate: Double
    /// How many times ε·n examples to remove per class (the paper's 1.5).
    public var removalMultiplier: Double
    /// Activations after this layer index (nil: the penultimate layer).
    public var layer: Int?
    /// Examples per forward pass.
    public var batchSize: Int

    /// A detector removing `removalMultiplier · expectedPoisonRate` of each class.
    public init(expectedPoisonRate: Double = 0.1, removalMultiplier: Double = 1.5, layer: Int? = nil, batchSize: Int = 256,
                projection: Projection = .robust) {
        self.projection = projection
        self.expectedPoisonRate = expectedPoisonRate
        self.removalMultiplier = removalMultiplier
        self.layer = layer
        self.batchSize = batchSize
    }

    /// Runs the detector on a training set and the model trained on it.
    /// - Throws: ``PoisoningError`` when inputs, labels and model disagree or a setting is out of range.
    public func detect(model: Sequential, inputs: Tensor, labels: [Int]) throws(PoisoningError) -> PoisonDetectionResult {
        try checkSettings()
        let features = try DetectionInputs.features("spectral-signatures", model: model, inputs: inputs, labels: labels,
                                                    layer: layer, batchSize: batchSize)
        return try detect(features: features, labels: labels)
    }

    /// Runs the detector on precomputed features (`N × d`, one row per example).
    /// - Throws: ``PoisoningError`` when features and labels disagree or a setting is out of range.
    public func detect(features: Tensor, labels: [Int]) throws(PoisoningError) -> PoisonDetectionResult {
        try checkSettings()
        try DetectionInputs.checkFeatures("spectral-signatures", features, labels: labels)
        let d = features.shape[1]
        var scores = [Double](repeating: 0, count: labels.count)
        var flagged: [Int] = []
        var summaries: [PoisonDetectionResult.ClassSummary] = []
        let fraction = min(1, removalMultiplier * expectedPoisonRate)
        for (label, indices) in DetectionInputs.byClass(labels) {
            let n = indices.count
            let raw = DetectionInputs.rows(features, indices)
            let x = DetectionMath.centred(raw, rows: n, columns: d)
            let v = DetectionMath.topRightSingularVector(x, rows: n, columns: d)
            let projected = projection == .uncentred ? raw : x
            var classScores = [Double](repeating: 0, count: n)
            for r in 0..<n {
                var s = 0.0
                for j in 0..<d { s += projected[r * d + j] * v[j] }
                classScores[r] = s
            }
            let centre = projection == .robust ? Self.median(classScores) : 0
            for r in 0..<n {
                let s = classScores[r] - centre
                classScores[r] = s * s
                scores[indices[r]] = s * s
            }
            let removed = min(n, Int((fraction * Double(n)).rounded(.up)))
            let order = (0..<n).sorted { classScores[$0] != classScores[$1] ? classScores[$0] > classScores[$1] : $0 < $1 }
            flagged += order.prefix(removed).map { indices[$0] }
            let cutoff = removed > 0 ? classScores[order[removed - 1]] : .infinity
            summaries.append(.init(label: label, examples: n, flagged: removed, values: ["cutoff": cutoff]))
        }
        return PoisonDetectionResult(method: "spectral-signatures", scores: scores, flaggedIndices: flagged,
                                     parameters: ["expectedPoisonRate": "\(expectedPoisonRate)", "removalMultiplier": "\(removalMultiplier)",
                                                  "projection": projection.rawValue,
                                                  "layer": layer.map(String.init) ?? "penultimate"],
                                     classes: summaries)
    }

    /// The median of `values` (not empty).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    private func checkSettings() throws(PoisoningError) {
        guard expectedPoisonRate > 0, expectedPoisonRate <= 1 else {
            throw PoisoningError(.invalidParameter, "spectral-signatures: expected poison rate \(expectedPoisonRate) must be in (0, 1]")
        }
        guard removalMultiplier > 0, removalMultiplier.isFinite else {
            throw PoisoningError(.invalidParameter, "spectral-signatures: removal multiplier \(removalMultiplier) must be positive")
        }
    }
}
