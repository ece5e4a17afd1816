public import BulwarkEvasion

/// What a report says about defences: any of a checked evaluation (defended vs undefended model
/// with the gradient-masking checklist), a randomized-smoothing certification and a detector
/// evaluation, with how to reproduce them.
public struct DefenceEvidence: Sendable {
    /// Name of the defended model or defence, used in headings and finding ids.
    public var name: String
    /// An evaluation of the defended model with the checklist's verdict.
    public var checked: CheckedEvaluationResult?
    /// Randomized-smoothing certificates.
    public var certification: CertificationResult?
    /// A detector evaluated with a non-adaptive and an adaptive attack.
    public var detector: DetectorEvaluationResult?
    /// The command that reproduces the evidence.
    public var reproduce: String
    /// The model file, when there is one.
    public var artifact: String?

    /// Evidence for a report.
    public init(name: String, checked: CheckedEvaluationResult? = nil, certification: CertificationResult? = nil,
                detector: DetectorEvaluationResult? = nil, reproduce: String, artifact: String? = nil) {
        self.name = name
        self.checked = checked
        self.certification = certification
        self.detector = detector
        self.reproduce = reproduce
        self.artifact = artifact
    }
}
