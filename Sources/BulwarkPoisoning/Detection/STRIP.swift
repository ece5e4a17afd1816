public import BulwarkTensor
public import BulwarkModels
import Foundation

/// STRIP (Gao, Xu, Wang, Chen, Ranasinghe & Nepal, "STRIP: A Defence Against Trojan Attacks on
/// Deep Neural Networks", ACSAC 2019), an inference-time detector: blend an input with clean
/// images and watch the predictions. A clean input's prediction scatters (high entropy); an
/// input carrying a trigger keeps predicting the target whatever it is blended with (low entropy).
///
/// Each input `x` is superimposed on ``overlays`` images `b` drawn (seeded by ``seed`` and the
/// input's index) from the clean ``background`` set, by ``superimposition``: by default as the
/// paper does (OpenCV's `addWeighted(x, 1, b, 1, 0)` on 8-bit images), the saturating sum
/// `min(x + b, 1)`, which keeps a bright trigger whole; or a weighted average. Its score is the
/// mean Shannon entropy (nats) of the model's softmax over the blends. Lower is more suspicious.
///
/// ``calibrate(clean:falseRejectionRate:)`` sets the threshold on clean held-out inputs (keep them
/// disjoint from ``background``): the threshold is the `⌊frr · n⌋`-th smallest clean entropy, so
/// exactly that many calibration inputs fall strictly below it (fewer with ties), i.e. the
/// false-rejection rate on the calibration set is at most `frr`.
///
/// Cost: `overlays` forward passes per input.
///
/// ```swift
/// let model = ZooArchitecture.cnn.makeModel(seed: 0)
/// let (heldOut, suspects) = (Tensor.zeros([1000, 1, 28, 28]), Tensor.ones([4, 1, 28, 28]))
/// let strip = try STRIP(model: model, background: heldOut.rows(0..<500))
/// let threshold = try strip.calibrate(clean: heldOut.rows(500..<1000), falseRejectionRate: 0.05)
/// let result = try strip.detect(suspects, threshold: threshold)
/// ```
public struct STRIP: Sendable {
    /// The classifier under test.
    public let model: any DifferentiableClassifier
    /// Clean images the inputs are blended with.
    public let background: Tensor
    /// Blends per input, N (the paper uses 100; 20 is the default here for speed).
    public var overlays: Int
    /// How an input and a background image are combined.
    public enum Superimposition: Sendable, Equatable {
        /// `min(x + b, maximum)` per pixel (the paper's; `maximum` is the top of the input range).
        case saturatingSum(maximum: Float)
        /// `w · x + (1 − w) · b` per pixel, `w` in (0, 1).
        case weighted(inputWeight: Float)
    }

    /// How each input is combined with a background image.
    public var superimposition: Superimposition
    /// Seed of the overlay draws.
    public var seed: UInt64
    /// Inputs whose blends share one forward pass.
    public var inputsPerBatch: Int

    /// A detector for `model` blending with `background`.
    /// - Throws: ``PoisoningError`` when the background does not fit the model or a setting is out of range.
    public init(model: any DifferentiableClassifier, background: Tensor, overlays: Int = 20,
                superimposition: Superimposition = .saturatingSum(maximum: 1),
                seed: UInt64 = 0, inputsPerBatch: Int = 16) throws(PoisoningError) {
        try DetectionInputs.check("strip background", inputs: background, exampleShape: model.inputShape, labels: nil, classCount: model.classCount)
        guard overlays >= 1 else { throw PoisoningError(.invalidParameter, "strip: overlays \(overlays) must be at least 1") }
        switch superimposition {
        case .saturatingSum(let m):
            guard m.isFinite else { throw PoisoningError(.invalidParameter, "strip: saturation \(m) must be finite") }
        case .weighted(let w):
            guard w > 0, w < 1 else { throw PoisoningError(.invalidParameter, "strip: input weight \(w) must be in (0, 1)") }
        }
        guard inputsPerBatch >= 1 else { throw PoisoningError(.invalidParameter, "strip: inputs per batch \(inputsPerBatch) must be at least 1") }
        self.model = model
        self.background = background
        self.overlays = overlays
        self.superimposition = superimposition
        self.seed = seed
        self.inputsPerBatch = inputsPerBatch
    }

    /// The mean prediction entropy (nats) of each input over its blends.
    /// - Throws: ``PoisoningError`` when the inputs do not fit the model.
    public func entropies(_ inputs: Tensor) throws(PoisoningError) -> [Double] {
        try DetectionInputs.check("strip", inputs: inputs, exampleShape: model.inputShape, labels: nil, classCount: model.classCount)
        let n = inputs.shape[0], m = background.shape[0], width = inputs.count / n
        let c = model.classCount
        var out: [Double] = []
        out.reserveCapacity(n)
        for start in stride(from: 0, to: n, by: inputsPerBatch) {
            let end = min(n, start + inputsPerBatch)
            let rows = (end - start) * overlays
            var blended = [Float](repeating: 0, count: rows * width)
            for i in start..<end {
                var rng = SeededGenerator(seed: seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
                for o in 0..<overlays {
                    let b = Int(rng.next() % UInt64(m))
                    let row = ((i - start) * overlays + o) * width
                    switch superimposition {
                    case .saturatingSum(let top):
                        for j in 0..<width { blended[row + j] = min(inputs.scalars[i * width + j] + background.scalars[b * width + j], top) }
                    case .weighted(let w):
                        for j in 0..<width { blended[row + j] = w * inputs.scalars[i * width + j] + (1 - w) * background.scalars[b * width + j] }
                    }
                }
            }
            let p = model.logits(Tensor(shape: [rows] + model.inputShape, scalars: blended)).softmax(axis: 1)
            for i in 0..<(end - start) {
                var h = 0.0
                for o in 0..<overlays {
                    let row = (i * overlays + o) * c
                    for k in 0..<c {
                        let q = Double(p.scalars[row + k])
                        if q > 0 { h -= q * log(q) }
                    }
                }
                out.append(h / Double(overlays))
            }
        }
        return out
    }

    /// The entropy threshold that rejects at most `falseRejectionRate` of the clean inputs
    /// `clean`: the `⌊rate · n⌋`-th smallest of their entropies (inputs strictly below it are flagged).
    /// - Throws: ``PoisoningError`` when the rate is outside [0, 1) or the inputs do not fit.
    public func calibrate(clean: Tensor, falseRejectionRate: Double = 0.05) throws(PoisoningError) -> Double {
        guard falseRejectionRate >= 0, falseRejectionRate < 1 else {
            throw PoisoningError(.invalidParameter, "strip: false-rejection rate \(falseRejectionRate) must be in [0, 1)")
        }
        let h = try entropies(clean).sorted()
        return Self.threshold(sortedCleanEntropies: h, falseRejectionRate: falseRejectionRate)
    }

    /// The `⌊rate · n⌋`-th smallest value of ascending `h` (0-based), so that at most `rate · n`
    /// values lie strictly below it.
    package static func threshold(sortedCleanEntropies h: [Double], falseRejectionRate: Double) -> Double {
        guard !h.isEmpty else { return 0 }
        let k = min(h.count - 1, Int((falseRejectionRate * Double(h.count)).rounded(.down)))
        return h[k]
    }

    /// Scores `inputs` and flags those whose entropy is strictly below `threshold`.
    /// - Throws: ``PoisoningError`` when the inputs do not fit the model.
    public func detect(_ inputs: Tensor, threshold: Double) throws(PoisoningError) -> PoisonDetectionResult {
        let h = try entropies(inputs)
        return PoisonDetectionResult(method: "strip", scores: h, direction: .lowerIsSuspicious,
                                     flaggedIndices: h.indices.filter { h[$0] < threshold }, threshold: threshold,
                                     parameters: ["overlays": "\(overlays)", "superimposition": "\(superimposition)", "seed": "\(seed)",
                                                  "backgroundImages": "\(background.shape[0])"])
    }
}
