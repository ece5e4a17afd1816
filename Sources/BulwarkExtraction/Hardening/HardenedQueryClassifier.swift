public import BulwarkModels
public import BulwarkTensor

/// A victim behind an output-hardening defence: a ``QueryClassifier`` that answers
/// ``OutputHardening/apply(to:inputs:seed:)`` of the wrapped classifier's probabilities.
///
/// It is a value type with no mutable state, so it is `Sendable` and concurrent queries cannot
/// race. The Gaussian-noise defence still draws reproducibly: each row's noise comes from a
/// generator seeded by a hash of that row's bits and ``seed``, so the same query always gets
/// the same answer (which also stops an attacker from averaging the noise away by repeating a
/// query) and a run is reproducible whatever the batching or thread order.
///
/// ```swift
/// struct Victim: QueryClassifier {   // any model: QueryAdapter(model) for a trained one
///     var inputShape: [Int] { [4] }
///     var classCount: Int { 3 }
///     func probabilities(_ input: Tensor) -> Tensor { Tensor(repeating: 1.0 / 3, shape: [input.shape[0], 3]) }
/// }
/// let hardened = try HardenedQueryClassifier(Victim(), hardening: .labelsOnly)
/// var oracle = ExtractionOracle(victim: hardened, budget: 10_000)
/// let answers = try oracle.query(Tensor.zeros([2, 4]))   // one-hot rows
/// ```
public struct HardenedQueryClassifier: QueryClassifier {
    /// The classifier whose answers are hardened.
    public let victim: any QueryClassifier
    /// The defence.
    public let hardening: OutputHardening
    /// Seed of the noise defences (unused by the deterministic ones).
    public let seed: UInt64

    /// Wraps `victim` with `hardening`.
    /// - Throws: ``ExtractionError`` (`invalidParameter`) when the defence's parameters are out of range.
    public init(_ victim: any QueryClassifier, hardening: OutputHardening, seed: UInt64 = 0) throws(ExtractionError) {
        try hardening.validate()
        self.victim = victim
        self.hardening = hardening
        self.seed = seed
    }

    /// Input shape of the victim.
    public var inputShape: [Int] { victim.inputShape }
    /// Class count of the victim.
    public var classCount: Int { victim.classCount }

    /// The hardened probabilities for a batch `N × inputShape` → `N × classCount`.
    public func probabilities(_ input: Tensor) -> Tensor {
        hardening.apply(to: victim.probabilities(input), inputs: input, seed: seed)
    }
}
