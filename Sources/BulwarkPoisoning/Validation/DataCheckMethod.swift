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
    /// Every available method.
    case all

    /// Whether this build can run the method (none of the detectors is wired in yet).
    public var isAvailable: Bool { false }

    /// The methods `self` stands for (`all`: every other case).
    public var expanded: [DataCheckMethod] {
        self == .all ? Self.allCases.filter { $0 != .all } : [self]
    }

    /// The one-line refusal for an unavailable method: `method X is not available in this build`.
    public var unavailableError: PoisoningError {
        PoisoningError(.invalidParameter, "method \(rawValue) is not available in this build")
    }
}
