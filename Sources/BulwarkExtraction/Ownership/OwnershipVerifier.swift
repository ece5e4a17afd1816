public import BulwarkModels
public import BulwarkTensor
import Foundation

/// The outcome of checking a suspect model against an ownership key.
///
/// Encoded (sorted keys, snake case) it is the body of `bulwark watermark verify --json` and
/// `bulwark fingerprint verify --json`.
public struct OwnershipVerification: Codable, Sendable, Equatable {
    /// How the key was made.
    public var method: OwnershipMethod
    /// Whether the claim is verified: `pValue < threshold`.
    public var verified: Bool
    /// P[X ≥ matches] for X ~ Binomial(keySize, chanceAgreement): the chance that a model not
    /// derived from the owner's agrees this often or more.
    public var pValue: Double
    /// log10 of ``pValue`` (finite where the p-value underflows Double).
    public var log10PValue: Double
    /// Key inputs the suspect labels with the key label.
    public var matches: Int
    /// Key inputs.
    public var keySize: Int
    /// p0 of the test (from the key).
    public var chanceAgreement: Double
    /// The p-value below which a claim is verified.
    public var threshold: Double

    enum CodingKeys: String, CodingKey {
        case method, verified, matches, threshold
        case pValue = "p_value", log10PValue = "log10_p_value", keySize = "key_size", chanceAgreement = "chance_agreement"
    }

    /// Fraction of the key matched.
    public var matchRate: Double { keySize > 0 ? Double(matches) / Double(keySize) : 0 }
}

/// Checks ownership claims with an exact one-sided binomial test.
///
/// Count the key inputs the suspect labels with their key labels; the p-value is the binomial
/// upper tail P[X ≥ matches] with n = key size and p = the key's measured chance agreement
/// (``ChanceAgreement``). The claim is verified only when p < `threshold` (default 1e-6), else
/// refused.
///
/// ```swift
/// let key = try OwnershipKey.read(from: "wm.key")
/// let suspect = try ModelLoader.classifier(path: "suspect.onnx")
/// let result = try OwnershipVerifier.verify(model: suspect, key: key)
/// print(result.verified, result.pValue)
/// ```
public enum OwnershipVerifier {
    /// The default threshold on the p-value.
    public static let defaultThreshold = 1e-6

    /// The test on a count of `matches` out of `keySize` at chance `p0`.
    public static func test(matches: Int, keySize: Int, chanceAgreement p0: Double, threshold: Double, method: OwnershipMethod) -> OwnershipVerification {
        let logP = BinomialTail.logUpperTail(atLeast: matches, trials: keySize, probability: p0)
        let p = Foundation.exp(logP)
        return OwnershipVerification(method: method, verified: p < threshold, pValue: p, log10PValue: logP / Foundation.log(10.0),
                                     matches: matches, keySize: keySize, chanceAgreement: p0, threshold: threshold)
    }

    /// Verifies `model` against `key`, optionally on key inputs changed by `transform` (an
    /// evasion of the trigger; see ``OwnershipRobustness``).
    /// - Throws: ``ExtractionError`` when the key is malformed, does not fit the model's input
    ///   shape or classes, or the threshold is outside (0, 1).
    public static func verify(model: any DifferentiableClassifier, key: OwnershipKey, threshold: Double = defaultThreshold,
                              transform: ((Tensor) -> Tensor)? = nil) throws(ExtractionError) -> OwnershipVerification {
        guard threshold > 0, threshold < 1 else {
            throw ExtractionError(.invalidParameter, "--threshold must be in (0, 1), got \(threshold)")
        }
        try key.validate()
        guard key.exampleShape == model.inputShape else {
            throw ExtractionError(.shapeMismatch, "the key's inputs have shape \(key.exampleShape), the suspect model takes \(model.inputShape)")
        }
        guard key.classCount == model.classCount else {
            throw ExtractionError(.shapeMismatch, "the key is for \(key.classCount) classes, the suspect model has \(model.classCount)")
        }
        let inputs = transform.map { $0(key.inputs) } ?? key.inputs
        guard inputs.shape == key.inputs.shape else {
            throw ExtractionError(.shapeMismatch, "the key transform returned shape \(inputs.shape), expected \(key.inputs.shape)")
        }
        let predicted = model.predictions(inputs)
        let matches = zip(predicted, key.labels).filter { $0 == $1 }.count
        return test(matches: matches, keySize: key.count, chanceAgreement: key.chanceAgreement, threshold: threshold, method: key.method)
    }
}
