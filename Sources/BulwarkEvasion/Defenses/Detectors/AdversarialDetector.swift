public import BulwarkTensor

/// A detector of adversarial inputs: a score per input, higher meaning more suspicious, and a
/// threshold calibrated on benign data for a target false-alarm rate.
public protocol AdversarialDetector: Sendable {
    /// Short stable name.
    var name: String { get }
    /// One score per row of `inputs`.
    func scores(_ inputs: Tensor) -> [Double]
}

extension AdversarialDetector {
    /// Detection metrics on a benign and an adversarial batch at a target false-positive rate.
    public func evaluate(benign: Tensor, adversarial: Tensor, targetFalsePositiveRate: Double = 0.05) -> DetectionMetrics {
        DetectionMetrics(benign: scores(benign), adversarial: scores(adversarial), targetFalsePositiveRate: targetFalsePositiveRate)
    }

    /// The threshold that flags at most `falsePositiveRate` of `benign` (calibration data).
    public func calibrateThreshold(benign: Tensor, falsePositiveRate: Double) -> Double {
        DetectionMetrics.threshold(benign: scores(benign), falsePositiveRate: falsePositiveRate)
    }
}
