/// What a poison detector found: one score per example (or per class, for trigger
/// reverse-engineering), the flagged indices and the settings that produced them.
///
/// Every detector in this module returns one, so a data check can merge them and compare the
/// flagged indices with ground truth (``DetectionQuality``).
///
/// ```swift
/// let model = ZooArchitecture.cnn.makeModel(seed: 0)
/// let (x, y) = (Tensor.zeros([20, 1, 28, 28]), (0..<20).map { $0 % 10 })
/// let truth = [3, 7]   // e.g. read from poison_indices.npy
/// let result = try SpectralSignatures(expectedPoisonRate: 0.1).detect(model: model, inputs: x, labels: y)
/// let quality = try DetectionQuality(flagged: result.flaggedIndices, poisonIndices: truth, count: y.count)
/// print(result.method, quality.precision, quality.recall)
/// ```
public struct PoisonDetectionResult: Codable, Sendable, Equatable {
    /// What the scores and indices refer to.
    public enum Unit: String, Codable, Sendable {
        /// One score per input example; flagged indices are example indices.
        case example
        /// One score per class; flagged indices are classes (Neural Cleanse).
        case `class`
    }

    /// Which way a score points.
    public enum Direction: String, Codable, Sendable {
        /// A larger score is more suspicious.
        case higherIsSuspicious
        /// A smaller score is more suspicious (STRIP's prediction entropy).
        case lowerIsSuspicious
    }

    /// The detector: `activation-clustering`, `spectral-signatures`, `loss-outlier`, `strip` or
    /// `neural-cleanse`.
    public var method: String
    /// Whether ``scores`` and ``flaggedIndices`` refer to examples or classes.
    public var unit: Unit
    /// One score per example (or class), in input order.
    public var scores: [Double]
    /// Which way ``scores`` point.
    public var direction: Direction
    /// The indices (examples or classes) the detector flags, ascending.
    public var flaggedIndices: [Int]
    /// The score beyond which an index is flagged, when one global threshold decides (STRIP,
    /// loss outliers, Neural Cleanse); `nil` when the decision is per class.
    public var threshold: Double?
    /// The settings that produced the result (name → value as text), for the report.
    public var parameters: [String: String]
    /// Per-class facts (cluster sizes, silhouettes, cut-offs, mask norms), one entry per class
    /// that was analysed.
    public var classes: [ClassSummary]

    /// Per-class facts of a detector's run.
    public struct ClassSummary: Codable, Sendable, Equatable {
        /// The class (label).
        public var label: Int
        /// Examples of the class that were analysed (0 for per-class detectors on clean data).
        public var examples: Int
        /// How many the detector flagged in this class.
        public var flagged: Int
        /// Detector-specific numbers (e.g. `smallerClusterFraction`, `silhouette`, `cutoff`,
        /// `maskL1`, `anomalyIndex`).
        public var values: [String: Double]

        /// A summary of one class.
        public init(label: Int, examples: Int, flagged: Int, values: [String: Double] = [:]) {
            self.label = label
            self.examples = examples
            self.flagged = flagged
            self.values = values
        }
    }

    /// A result; `flaggedIndices` is sorted here.
    public init(method: String, unit: Unit = .example, scores: [Double], direction: Direction = .higherIsSuspicious,
                flaggedIndices: [Int], threshold: Double? = nil, parameters: [String: String] = [:], classes: [ClassSummary] = []) {
        self.method = method
        self.unit = unit
        self.scores = scores
        self.direction = direction
        self.flaggedIndices = flaggedIndices.sorted()
        self.threshold = threshold
        self.parameters = parameters
        self.classes = classes
    }
}

/// Precision and recall of flagged indices against the ground-truth poison indices (for
/// example the `poison_indices.npy` an attack wrote).
///
/// Precision = flagged ∩ poison / flagged (1 when nothing is flagged and there is no poison, 0
/// when nothing is flagged but there is poison); recall = flagged ∩ poison / poison (1 when there
/// is no poison).
public struct DetectionQuality: Codable, Sendable, Equatable {
    /// Flagged indices that are poison.
    public var truePositives: Int
    /// Flagged indices that are clean.
    public var falsePositives: Int
    /// Poison indices not flagged.
    public var falseNegatives: Int
    /// Clean indices not flagged.
    public var trueNegatives: Int
    /// `truePositives / (truePositives + falsePositives)`.
    public var precision: Double
    /// `truePositives / (truePositives + falseNegatives)`.
    public var recall: Double
    /// The harmonic mean of precision and recall (0 when both are 0).
    public var f1: Double

    /// Compares `flagged` with `poisonIndices` over `count` examples (duplicates are ignored).
    /// - Throws: ``PoisoningError`` (`.invalidParameter`) when an index is outside `0..<count`.
    public init(flagged: [Int], poisonIndices: [Int], count: Int) throws(PoisoningError) {
        for (name, list) in [("flagged", flagged), ("poison", poisonIndices)] {
            if let bad = list.first(where: { $0 < 0 || $0 >= count }) {
                throw PoisoningError(.invalidParameter, "\(name) index \(bad) is outside the \(count) examples")
            }
        }
        let f = Set(flagged), p = Set(poisonIndices)
        let tp = f.intersection(p).count
        truePositives = tp
        falsePositives = f.count - tp
        falseNegatives = p.count - tp
        trueNegatives = count - f.union(p).count
        precision = f.isEmpty ? (p.isEmpty ? 1 : 0) : Double(tp) / Double(f.count)
        recall = p.isEmpty ? 1 : Double(tp) / Double(p.count)
        f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
    }
}
