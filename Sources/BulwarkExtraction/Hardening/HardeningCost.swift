public import BulwarkModels
public import BulwarkTensor

/// What an output-hardening defence costs the honest user, measured on held-out labelled data:
/// top-1 accuracy and expected calibration error of the answers before and after hardening,
/// and how far the answers moved.
///
/// Expected calibration error (Guo et al. 2017): answers are binned by confidence (their largest
/// value) into 15 equal-width bins of (0, 1]; ECE = Σ_b |B_b|/N · |accuracy(B_b) − mean confidence(B_b)|.
///
/// ```swift
/// struct Victim: QueryClassifier {   // any model: QueryAdapter(model) for a trained one
///     var inputShape: [Int] { [4] }
///     var classCount: Int { 3 }
///     func probabilities(_ input: Tensor) -> Tensor { Tensor(repeating: 1.0 / 3, shape: [input.shape[0], 3]) }
/// }
/// let cost = try HardeningCost(victim: Victim(), hardening: .rounding(decimals: 1),
///                              inputs: Tensor.zeros([2, 4]), labels: [0, 2])
/// print(cost.accuracyAfter - cost.accuracyBefore, cost.meanL1Change)
/// ```
public struct HardeningCost: Sendable, Codable, Equatable {
    /// The defence measured, as its spec (`round=1`).
    public var hardening: String
    /// Examples measured.
    public var examples: Int
    /// Top-1 accuracy of the victim's own probabilities.
    public var accuracyBefore: Double
    /// Top-1 accuracy of the hardened answers.
    public var accuracyAfter: Double
    /// Expected calibration error (15 bins) of the victim's probabilities.
    public var calibrationErrorBefore: Double
    /// Expected calibration error (15 bins) of the hardened answers.
    public var calibrationErrorAfter: Double
    /// Mean over examples of the L1 distance between the victim's and the hardened answer.
    public var meanL1Change: Double

    /// Bins of the expected calibration error.
    public static let calibrationBins = 15

    /// Measures `hardening` (seeded with `seed`) on `victim` over `inputs` (`N × inputShape`) and their `labels`.
    /// - Throws: ``ExtractionError`` (`shapeMismatch`) when inputs, labels and victim disagree,
    ///   (`invalidParameter`) for a defence out of range or no examples.
    public init(victim: any QueryClassifier, hardening: OutputHardening, inputs: Tensor, labels: [Int], seed: UInt64 = 0) throws(ExtractionError) {
        try hardening.validate()
        guard inputs.rank >= 1, inputs.shape[0] == labels.count else {
            throw ExtractionError(.shapeMismatch, "hardening cost: inputs of shape \(inputs.shape) need one label each, got \(labels.count) labels")
        }
        guard !labels.isEmpty else { throw ExtractionError(.invalidParameter, "hardening cost: needs at least one labelled example") }
        guard Array(inputs.shape.dropFirst()) == victim.inputShape else {
            throw ExtractionError(.shapeMismatch, "hardening cost: inputs of shape \(Array(inputs.shape.dropFirst())) do not fit the victim's input shape \(victim.inputShape)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= victim.classCount }) {
            throw ExtractionError(.shapeMismatch, "hardening cost: label \(labels[bad]) of example \(bad) is outside 0..<\(victim.classCount)")
        }
        let before = victim.probabilities(inputs)
        let after = hardening.apply(to: before, inputs: inputs, seed: seed)
        self.hardening = hardening.description
        examples = labels.count
        accuracyBefore = Self.accuracy(before, labels)
        accuracyAfter = Self.accuracy(after, labels)
        calibrationErrorBefore = Self.expectedCalibrationError(before, labels)
        calibrationErrorAfter = Self.expectedCalibrationError(after, labels)
        var l1 = 0.0
        for (p, q) in zip(before.scalars, after.scalars) { l1 += Double(abs(p - q)) }
        meanL1Change = l1 / Double(labels.count)
    }

    /// Fraction of rows of `answers` (`N × C`) whose argmax is the label.
    package static func accuracy(_ answers: Tensor, _ labels: [Int]) -> Double {
        let predicted = answers.argmaxRows()
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(max(labels.count, 1))
    }

    /// Expected calibration error of `answers` (`N × C`) in ``calibrationBins`` bins.
    package static func expectedCalibrationError(_ answers: Tensor, _ labels: [Int]) -> Double {
        let c = answers.shape[1]
        let predicted = answers.argmaxRows()
        var count = [Int](repeating: 0, count: calibrationBins)
        var correct = [Double](repeating: 0, count: calibrationBins)
        var confidence = [Double](repeating: 0, count: calibrationBins)
        for (r, label) in labels.enumerated() {
            let p = Double(answers.scalars[r * c + predicted[r]])
            // Bin b holds confidences in (b/15, (b+1)/15]; 0 goes to the first bin.
            let bin = min(calibrationBins - 1, max(0, Int((p * Double(calibrationBins)).rounded(.up)) - 1))
            count[bin] += 1
            correct[bin] += predicted[r] == label ? 1 : 0
            confidence[bin] += p
        }
        var ece = 0.0
        for b in 0..<calibrationBins where count[b] > 0 {
            ece += abs(correct[b] - confidence[b]) / Double(labels.count)
        }
        return ece
    }
}
