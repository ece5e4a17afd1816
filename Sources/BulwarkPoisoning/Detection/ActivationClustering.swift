public import BulwarkTensor
public import BulwarkModels

/// Activation clustering (Chen, Carvalho, Baracaldo, Ludwig, Edwards, Lee, Molloy & Srivastava,
/// "Detecting Backdoor Attacks on Deep Neural Networks by Activation Clustering", 2018): poison
/// that carries a backdoor into a class is classified there for a different reason than the
/// class's clean examples, so the class's hidden activations split into two groups.
///
/// Per class: the activations after ``layer`` (default the penultimate layer) are centred and
/// reduced to ``dimensions`` dimensions by **PCA** (the paper uses ICA; PCA keeps the same
/// subspace up to rotation, which 2-means is not invariant to but rarely minds), then split by
/// 2-means (Lloyd's algorithm, deterministic farthest-point seeds). The smaller cluster is
/// flagged by ``rule``: by default when it holds less than 35 % of the class (the paper's
/// relative-size analysis, ART's `cluster_analysis="relative-size"` with its `size_threshold`; ART's own default, `"smaller"`, flags the smaller cluster of every class), or, with ``Rule/silhouette(minimum:)``,
/// when the 2-way split's mean silhouette reaches the minimum (a genuine two-group structure).
///
/// Each example's score is `(d_large − d_small) / (d_large + d_small)` in the reduced space, with
/// `d` the distances to the two cluster centres: positive for members of the smaller cluster,
/// in [−1, 1]. Cost: one forward pass, then per class an O(n·d²) Gram matrix, an O(d³)
/// eigen-decomposition and O(n·k) per 2-means round.
///
/// ```swift
/// let model = ZooArchitecture.cnn.makeModel(seed: 0)
/// let (x, y) = (Tensor.zeros([20, 1, 28, 28]), (0..<20).map { $0 % 10 })
/// let result = try ActivationClustering().detect(model: model, inputs: x, labels: y)
/// print(result.flaggedIndices.count)
/// ```
public struct ActivationClustering: Sendable {
    /// When the smaller of a class's two clusters is declared poison.
    public enum Rule: Sendable, Equatable {
        /// When it holds less than this fraction of the class (default 0.35).
        case relativeSize(maximum: Double)
        /// When the mean silhouette of the split is at least `minimum` (in [−1, 1]; 0.15–0.3
        /// separates real two-group structure from an arbitrary cut of one blob).
        case silhouette(minimum: Double)
    }

    /// Dimensions kept by PCA before clustering (the paper's 10).
    public var dimensions: Int
    /// The flagging rule.
    public var rule: Rule
    /// Activations after this layer index (nil: the penultimate layer).
    public var layer: Int?
    /// Examples per forward pass.
    public var batchSize: Int

    /// A detector with the paper's defaults: 10 dimensions, relative size below 0.35.
    public init(dimensions: Int = 10, rule: Rule = .relativeSize(maximum: 0.35), layer: Int? = nil, batchSize: Int = 256) {
        self.dimensions = dimensions
        self.rule = rule
        self.layer = layer
        self.batchSize = batchSize
    }

    /// Runs the detector on a training set and the model trained on it.
    /// - Throws: ``PoisoningError`` when inputs, labels and model disagree or a setting is out of range.
    public func detect(model: Sequential, inputs: Tensor, labels: [Int]) throws(PoisoningError) -> PoisonDetectionResult {
        let features = try DetectionInputs.features("activation-clustering", model: model, inputs: inputs, labels: labels,
                                                    layer: layer, batchSize: batchSize)
        return try detect(features: features, labels: labels)
    }

    /// Runs the detector on precomputed features (`N × d`, one row per example).
    /// - Throws: ``PoisoningError`` when features and labels disagree or a setting is out of range.
    public func detect(features: Tensor, labels: [Int]) throws(PoisoningError) -> PoisonDetectionResult {
        try DetectionInputs.checkFeatures("activation-clustering", features, labels: labels)
        guard dimensions >= 1 else { throw PoisoningError(.invalidParameter, "activation-clustering: dimensions \(dimensions) must be at least 1") }
        let ruleText: String
        switch rule {
        case .relativeSize(let m):
            guard m > 0, m <= 0.5 else { throw PoisoningError(.invalidParameter, "activation-clustering: relative-size threshold \(m) must be in (0, 0.5]") }
            ruleText = "relative-size<\(m)"
        case .silhouette(let m):
            guard m > -1, m < 1 else { throw PoisoningError(.invalidParameter, "activation-clustering: silhouette threshold \(m) must be in (-1, 1)") }
            ruleText = "silhouette>=\(m)"
        }
        let d = features.shape[1]
        let groups = DetectionInputs.byClass(labels)
        // Classes are independent: analyse them on parallel workers (the eigen-decomposition,
        // 2-means and silhouette are serial per class), then merge in class order.
        let analyses = [ClassAnalysis?](unsafeUninitializedCapacity: groups.count) { buffer, count in
            let out = UncheckedBox(buffer)
            parallelChunks(groups.count, costPerItem: 32_768) { range in
                for g in range {
                    out.value.initializeElement(at: g, to: analyse(features: features, columns: d, indices: groups[g].indices))
                }
            }
            count = groups.count
        }
        var scores = [Double](repeating: 0, count: labels.count)
        var flagged: [Int] = []
        var summaries: [PoisonDetectionResult.ClassSummary] = []
        for ((label, indices), analysis) in zip(groups, analyses) {
            guard let analysis else {
                summaries.append(.init(label: label, examples: indices.count, flagged: 0))
                continue
            }
            for (r, score) in analysis.scores.enumerated() { scores[indices[r]] = score }
            let poisoned: Bool
            switch rule {
            case .relativeSize(let m): poisoned = analysis.fraction < m
            case .silhouette(let m): poisoned = analysis.silhouette >= m && analysis.smallSize > 0
            }
            let members = poisoned ? analysis.smallMembers.map { indices[$0] } : []
            flagged += members
            summaries.append(.init(label: label, examples: indices.count, flagged: members.count,
                                   values: ["smallerClusterFraction": analysis.fraction, "silhouette": analysis.silhouette]))
        }
        return PoisonDetectionResult(method: "activation-clustering", scores: scores, flaggedIndices: flagged,
                                     parameters: ["dimensions": "\(dimensions)", "reduction": "pca", "rule": ruleText,
                                                  "layer": layer.map(String.init) ?? "penultimate"],
                                     classes: summaries)
    }

    /// One class's clustering: per-row scores (row order of the class), the smaller cluster's
    /// rows, its share and the silhouette. `nil` for a class of fewer than two examples.
    private struct ClassAnalysis {
        var scores: [Double]
        var smallMembers: [Int]
        var smallSize: Int
        var fraction: Double
        var silhouette: Double
    }

    private func analyse(features: Tensor, columns d: Int, indices: [Int]) -> ClassAnalysis? {
        let n = indices.count
        guard n >= 2 else { return nil }
        let x = DetectionMath.centred(DetectionInputs.rows(features, indices), rows: n, columns: d)
        let (reduced, k) = DetectionMath.principalComponents(x, rows: n, columns: d, keep: dimensions)
        let assignment = DetectionMath.twoMeans(reduced, rows: n, columns: k)
        let sizes = [assignment.filter { $0 == 0 }.count, assignment.filter { $0 == 1 }.count]
        let small = sizes[0] <= sizes[1] ? 0 : 1
        var centres = [[Double]](repeating: [Double](repeating: 0, count: k), count: 2)
        for (r, c) in assignment.enumerated() { for j in 0..<k { centres[c][j] += reduced[r * k + j] } }
        for c in 0..<2 where sizes[c] > 0 { centres[c] = centres[c].map { $0 / Double(sizes[c]) } }
        var scores = [Double](repeating: 0, count: n)
        for r in 0..<n {
            var ds = 0.0, dl = 0.0
            for j in 0..<k {
                let v = reduced[r * k + j]
                ds += (v - centres[small][j]) * (v - centres[small][j])
                dl += (v - centres[1 - small][j]) * (v - centres[1 - small][j])
            }
            let (a, b) = (ds.squareRoot(), dl.squareRoot())
            scores[r] = a + b > 0 ? (b - a) / (a + b) : 0
        }
        return ClassAnalysis(scores: scores, smallMembers: (0..<n).filter { assignment[$0] == small }, smallSize: sizes[small],
                             fraction: Double(sizes[small]) / Double(n),
                             silhouette: DetectionMath.silhouette(reduced, rows: n, columns: k, assignment: assignment))
    }
}
