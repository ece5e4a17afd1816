import Foundation

/// The activation of a zoo `mlp`'s hidden layers.
///
/// `relu` is the default; `square` and `poly` are the polynomial activations that homomorphic
/// encryption evaluates exactly (CKKS computes additions and multiplications only), for models
/// meant for `bulwark he infer`.
///
/// ```swift
/// print(ZooActivation.poly.layer().summary)  // Quadratic(0.125x² + 0.5x + 0.25)
/// ```
public enum ZooActivation: String, CaseIterable, Sendable, Codable {
    /// max(0, x).
    case relu
    /// x², the activation of CryptoNets (Gilad-Bachrach et al. 2016): one ciphertext
    /// multiplication.
    case square
    /// 0.125x² + 0.5x + 0.25 (``polynomialCoefficients``): a degree-2 approximation of ReLU near
    /// 0 — it matches softplus's slope ½ and curvature ¼ at 0 (softplus(x) ≈ ln 2 + x/2 + x²/8)
    /// with the constant ¼ in place of ln 2, and is within 0.25 of ReLU on [−2, 2]. Gentler than x²
    /// for small inputs, so training starts like a (smooth) ReLU network; costs one ciphertext
    /// multiplication like `square`.
    case poly

    /// The coefficients (a, b, c) of `poly`'s a·x² + b·x + c.
    public static let polynomialCoefficients: (quadratic: Float, linear: Float, constant: Float) = (0.125, 0.5, 0.25)

    /// The layer applying this activation.
    public func layer() -> Activation {
        switch self {
        case .relu: ReLU()
        case .square: Square()
        case .poly:
            Quadratic(Self.polynomialCoefficients.quadratic, Self.polynomialCoefficients.linear, Self.polynomialCoefficients.constant)
        }
    }
}

/// A variant of a zoo architecture: the hidden layer sizes and activation of `mlp`.
///
/// ``standard`` is every architecture as documented on ``ZooArchitecture``; other variants are
/// for `mlp` only (784-h₁-…-10 with the chosen activation after every hidden layer) and are
/// recorded in the model file's metadata (``ModelProvenance/variant``), so a saved variant
/// loads back as itself.
///
/// ```swift
/// let variant = try ZooVariant(hiddenSizes: [32], activation: .square)
/// let model = try ZooArchitecture.mlp.makeModel(exampleShape: [1, 28, 28], classCount: 10, variant: variant)
/// print(model.parameterCount)  // 25450
/// ```
public struct ZooVariant: Sendable, Hashable, Codable {
    /// The sizes of the hidden layers (`nil`: the architecture's own, 256, 128 for `mlp`).
    public let hiddenSizes: [Int]?
    /// The activation after every hidden layer.
    public let activation: ZooActivation

    /// The most hidden layers and the widest one a variant may ask for.
    public static let maximumHiddenLayers = 8, maximumHiddenSize = 4096

    /// The architectures as documented: no override.
    public static let standard = ZooVariant(unchecked: nil, activation: .relu)

    private init(unchecked hiddenSizes: [Int]?, activation: ZooActivation) {
        self.hiddenSizes = hiddenSizes
        self.activation = activation
    }

    /// A variant; throws ``ModelError`` (`.shapeMismatch`) for no hidden layer, more than
    /// ``maximumHiddenLayers``, or a size outside 1…``maximumHiddenSize``.
    public init(hiddenSizes: [Int]? = nil, activation: ZooActivation = .relu) throws(ModelError) {
        if let hiddenSizes {
            guard (1...Self.maximumHiddenLayers).contains(hiddenSizes.count) else {
                throw ModelError(.shapeMismatch, "an mlp needs 1…\(Self.maximumHiddenLayers) hidden layers, got \(hiddenSizes.count)")
            }
            for size in hiddenSizes where !(1...Self.maximumHiddenSize).contains(size) {
                throw ModelError(.shapeMismatch, "hidden layer size \(size) is outside 1…\(Self.maximumHiddenSize)")
            }
        }
        self.init(unchecked: hiddenSizes, activation: activation)
    }

    /// Whether this is ``standard``.
    public var isStandard: Bool { self == .standard }

    /// The hidden sizes as written in metadata and on the command line: `32` or `256,128`.
    public var hiddenSizesText: String? { hiddenSizes.map { $0.map(String.init).joined(separator: ",") } }

    /// Parses `--hidden`'s text, comma-separated positive sizes (`32`, `256,128`); throws
    /// ``ModelError`` (`.shapeMismatch`) naming the text otherwise.
    public static func parseHiddenSizes(_ text: String) throws(ModelError) -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
            throw ModelError(.shapeMismatch, "hidden sizes '\(text)' are not comma-separated integers such as 32 or 256,128")
        }
        let sizes = parts.compactMap { $0 }
        _ = try ZooVariant(hiddenSizes: sizes)
        return sizes
    }
}
