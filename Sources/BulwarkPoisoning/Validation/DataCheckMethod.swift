/// A poison detector that `data check --model M --method …` can run on the training set as
/// part of validation.
///
/// The cases name every detector the module is meant to hold; ``isAvailable`` says which this
/// build has. A caller asked for an unavailable method refuses with
/// ``unavailableError`` instead of skipping it, so nobody mistakes a check that did not run
/// for a clean result.
public enum DataCheckMethod: String, Codable, Sendable, CaseIterable {
    /// Activation clustering (Chen et al. 2018, "Detecting backdoor attacks on deep neural
    /// networks by activation clustering").
    case activationClustering = "activation-clustering"
    /// Spectral signatures (Tran et al. 2018, "Spectral signatures in backdoor attacks").
    case spectral
    /// STRIP (Gao et al. 2019, "STRIP: a defence against trojan attacks on deep neural networks").
    case strip
    /// Neural Cleanse (Wang et al. 2019, "Neural Cleanse: identifying and mitigating backdoor
    /// attacks in neural networks").
    case neuralCleanse = "neural-cleanse"
    /// Per-class robust z-scores of the training loss (``LossOutliers``).
    case loss
    /// Every available method.
    case all

    /// Whether this build can run the method (every one can, through ``PoisonDetectorJob``).
    public var isAvailable: Bool { true }

    /// Whether the method needs clean held-out images besides the training set (strip,
    /// neural-cleanse, and so all).
    public var needsCleanImages: Bool { expanded.contains { $0 == .strip || $0 == .neuralCleanse } }

    /// The methods `self` stands for (`all`: every other case).
    public var expanded: [DataCheckMethod] {
        self == .all ? Self.allCases.filter { $0 != .all } : [self]
    }

    /// The one-line refusal for an unavailable method: `method X is not available in this build`.
    public var unavailableError: PoisoningError {
        PoisoningError(.invalidParameter, "method \(rawValue) is not available in this build")
    }
}
