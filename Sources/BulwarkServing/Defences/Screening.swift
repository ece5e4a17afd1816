/// One detector's reading of one example.
public struct DetectorScore: Sendable, Codable, Equatable {
    /// Which detector: `featureSqueezing`, `mahalanobis` or `strip`.
    public var kind: String
    /// The detector's own name (e.g. `feature-squeezing(bit-depth-1)`, `mahalanobis(layer 2)`).
    public var name: String
    /// Its score. Higher is more suspicious, except for STRIP (an entropy: lower is more suspicious).
    public var score: Double
    /// The calibrated threshold.
    public var threshold: Double
    /// Whether it fired: score above the threshold (STRIP: below), or a score that is not a number.
    public var fired: Bool
    /// The configured action.
    public var action: DefenceAction

    /// A reading.
    public init(kind: String, name: String, score: Double, threshold: Double, fired: Bool, action: DefenceAction) {
        self.kind = kind
        self.name = name
        self.score = score
        self.threshold = threshold
        self.fired = fired
        self.action = action
    }
}

/// What the adversarial-input screening says about one example of a request.
public struct Screening: Sendable, Codable, Equatable {
    /// The outcome for one example.
    public enum Verdict: String, Sendable, Codable, Equatable {
        /// Serve it normally (detectors whose action is `log` may still have fired).
        case pass
        /// Serve it and mark the answer as flagged.
        case flag
        /// Refuse it.
        case reject
    }

    /// The strongest action among the detectors that fired (`log` gives `pass`).
    public var verdict: Verdict
    /// The first detector with that strongest action that fired (`nil` when none fired).
    public var cause: String?
    /// Every detector's reading, in configuration order, STRIP last when it screened this example.
    public var scores: [DetectorScore]

    /// A screening from readings: the verdict and cause follow from them.
    public init(scores: [DetectorScore]) {
        self.scores = scores
        let fired = scores.filter(\.fired)
        let strongest = fired.map(\.action).max()
        cause = strongest.flatMap { a in fired.first { $0.action == a }?.name }
        switch strongest {
        case .reject?: verdict = .reject
        case .flag?: verdict = .flag
        case .log?, nil: verdict = .pass
        }
    }
}

/// A calibrated threshold, as the pipeline set it at build time (for status pages and evidence).
public struct CalibratedThreshold: Sendable, Codable, Equatable {
    /// `featureSqueezing`, `mahalanobis`, `strip`, `prada` or `coverage`.
    public var kind: String
    /// The detector's name.
    public var name: String
    /// The threshold (PRADA: δ; coverage: the lower bound of the cell-entropy band).
    public var threshold: Double
    /// The false-positive (STRIP: false-rejection) rate asked for; `nil` where the threshold is set otherwise.
    public var targetRate: Double?
    /// Clean reference examples the threshold was measured on.
    public var examples: Int
}
