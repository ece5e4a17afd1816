import BulwarkTensor
import BulwarkModels
import BulwarkEvasion
import BulwarkPoisoning

/// An adversarial-input detector fitted and calibrated for one model.
struct ConfiguredDetector: Sendable {
    let kind: DetectorSettings.Kind
    let detector: any AdversarialDetector
    let threshold: Double
    let action: DefenceAction

    /// Fits (Mahalanobis) and calibrates a detector on clean reference data.
    static func build(_ s: DetectorSettings, key: String, model: any DifferentiableClassifier, inputs: Tensor,
                      labels: [Int]) throws(ServingError) -> (detector: ConfiguredDetector, threshold: CalibratedThreshold) {
        let detector: any AdversarialDetector
        var calibration = inputs
        switch s.kind {
        case .featureSqueezing:
            var squeezers: [any InputTransform] = []
            if let b = s.bitDepth { squeezers.append(BitDepthReduction(bits: b)) }
            if let m = s.medianSize {
                guard model.inputShape.count == 3, model.inputShape[1] >= m, model.inputShape[2] >= m else {
                    throw ServingError(.invalidParameter, "\(key).medianSize: needs image inputs C×H×W of at least \(m)×\(m), the model takes \(model.inputShape)")
                }
                squeezers.append(MedianFilter(size: m))
            }
            detector = FeatureSqueezingDetector(model: model, squeezers: squeezers)
        case .mahalanobis:
            guard let sequential = model as? Sequential else {
                throw ServingError(.invalidParameter, "\(key): mahalanobis needs a Sequential model (built in Bulwark or from the zoo)")
            }
            let layer = s.layer ?? (sequential.layers.count - 2)
            guard layer >= 0, layer < sequential.layers.count - 1 else {
                throw ServingError(.invalidParameter, "\(key).layer: expected a hidden layer in 0..<\(max(0, sequential.layers.count - 1)), got \(layer)")
            }
            let n = labels.count
            guard n >= 4 else { throw ServingError(.invalidParameter, "\(key): mahalanobis needs at least 4 calibration examples, got \(n)") }
            let fitRows = Array(stride(from: 0, to: n, by: 2)), thresholdRows = Array(stride(from: 1, to: n, by: 2))
            do {
                detector = try MahalanobisDetector(model: sequential, layer: layer, inputs: inputs.gatherRows(fitRows), labels: fitRows.map { labels[$0] })
            } catch {
                throw ServingError(.invalidParameter, "\(key): calibration data: \(error.message)", underlying: error)
            }
            calibration = inputs.gatherRows(thresholdRows)
        }
        let threshold = detector.calibrateThreshold(benign: calibration, falsePositiveRate: s.falsePositiveRate)
        let configured = ConfiguredDetector(kind: s.kind, detector: detector, threshold: threshold, action: s.action)
        return (configured, CalibratedThreshold(kind: s.kind.rawValue, name: detector.name, threshold: threshold, targetRate: s.falsePositiveRate,
                                                examples: calibration.shape.first ?? 0))
    }
}

/// STRIP with its calibrated entropy threshold.
struct ConfiguredStrip: Sendable {
    let strip: STRIP
    let threshold: Double
    let action: DefenceAction
    let sampleRate: Double

    /// Blends with the first `backgroundCount` reference rows and calibrates on the rest.
    static func build(_ s: StripSettings, model: any DifferentiableClassifier, inputs: Tensor) throws(ServingError) -> (ConfiguredStrip, CalibratedThreshold) {
        let n = inputs.shape.first ?? 0
        guard n >= s.backgroundCount + 10 else {
            throw ServingError(.invalidParameter, "strip.backgroundCount: \(s.backgroundCount) backgrounds leave \(max(0, n - s.backgroundCount)) of \(n) calibration examples, expected at least 10")
        }
        let clean = inputs.rows(s.backgroundCount..<n)
        do {
            let strip = try STRIP(model: model, background: inputs.rows(0..<s.backgroundCount), overlays: s.overlays, seed: 0)
            let threshold = try strip.calibrate(clean: clean, falseRejectionRate: s.falseRejectionRate)
            return (ConfiguredStrip(strip: strip, threshold: threshold, action: s.action, sampleRate: s.sampleRate),
                    CalibratedThreshold(kind: "strip", name: "strip", threshold: threshold, targetRate: s.falseRejectionRate, examples: n - s.backgroundCount))
        } catch {
            throw ServingError(.invalidParameter, "strip: \(error.message)", underlying: error)
        }
    }
}
