public import BulwarkTensor

/// How an adaptive attacker approximates the gradient of a transform that is not usefully
/// differentiable (BPDA, Athalye, Carlini & Wagner, "Obfuscated Gradients Give a False Sense of
/// Security", ICML 2018).
public enum GradientApproximation: String, Codable, Sendable, Equatable {
    /// The transform is (close to) the identity, so its Jacobian is replaced by the identity.
    case identity
    /// A differentiable surrogate `g ≈ f` is differentiated instead (``InputTransform/surrogate(_:)``).
    case surrogate
    /// The transform is differentiable with a useful gradient; BPDA is the plain gradient.
    case exact
}

/// A pre-processing defence: a map applied to every input before the classifier sees it.
///
/// Each transform says three things an honest evaluation needs:
/// - ``apply(_:seed:)``, the transform itself (what the deployed defence computes);
/// - ``plainGradient(_:)``, the gradient a naive attacker gets by differentiating the
///   transform as implemented (zero almost everywhere for rounding or thresholding, a stopped
///   gradient for an iterative solver) — this is what produces gradient masking;
/// - ``bpda`` and ``surrogate(_:)``, the gradient an adaptive attacker substitutes;
/// and, for random transforms, ``isRandom`` and ``recommendedEOTSamples`` (Expectation over
/// Transformation, Athalye et al. 2018).
public protocol InputTransform: Sendable {
    /// Short stable name, e.g. `"bit-depth-1"`.
    var name: String { get }
    /// Output shape of one example for an input shape (most transforms keep the shape).
    func outputShape(for inputShape: [Int]) -> [Int]
    /// Applies the transform to a batch `N × inputShape`. Random transforms draw their
    /// randomness from `seed` only (the same seed gives the same output).
    func apply(_ input: Tensor, seed: UInt64) -> Tensor
    /// Records the transform on `input`'s tape with the gradient a naive attacker sees.
    /// `output` is `apply(input.value, seed:)`, already computed.
    func plainGradient(input: Variable, output: Tensor) -> Variable
    /// How an adaptive attacker approximates the gradient.
    var bpda: GradientApproximation { get }
    /// The differentiable surrogate used when ``bpda`` is ``GradientApproximation/surrogate``
    /// (its value need not equal the transform's; only its gradient is used).
    func surrogate(_ input: Variable) -> Variable
    /// Whether ``apply(_:seed:)`` depends on the seed.
    var isRandom: Bool { get }
    /// Samples an EOT attacker should average over (1 for deterministic transforms).
    var recommendedEOTSamples: Int { get }
}

extension InputTransform {
    /// Same shape as the input.
    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }
    /// Deterministic by default.
    public var isRandom: Bool { false }
    /// 1 for deterministic transforms; random ones override.
    public var recommendedEOTSamples: Int { isRandom ? 10 : 1 }
    /// The identity (used as the surrogate of transforms whose ``bpda`` is not ``GradientApproximation/surrogate``).
    public func surrogate(_ input: Variable) -> Variable { input }

    /// The gradient of a piecewise-constant map: zero everywhere it exists. Transforms built
    /// from rounding or thresholds use it as their ``plainGradient(input:output:)``.
    public func zeroGradient(input: Variable, output: Tensor) -> Variable {
        let shape = input.shape
        return input.tape.record(output, inputs: [input]) { _ in [Tensor.zeros(shape)] }
    }
}

/// Per-row seeds for random transforms: a row's randomness depends only on the defence seed,
/// the row's content and the EOT sample index, never on the batch it sits in or on call order,
/// so evaluations are reproducible and a defended model stays a pure function.
public enum TransformSeeds {
    /// FNV-1a over the row's bits mixed with `seed` and `sample`.
    public static func rowSeeds(_ input: Tensor, seed: UInt64, sample: Int = 0) -> [UInt64] {
        let n = input.shape.first ?? 0
        let d = n == 0 ? 0 : input.count / n
        var out: [UInt64] = []
        out.reserveCapacity(n)
        input.scalars.withUnsafeBufferPointer { p in
            for i in 0..<n {
                var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed ^ (UInt64(truncatingIfNeeded: sample) &* 0x9E37_79B9_7F4A_7C15)
                for j in (i * d)..<((i + 1) * d) {
                    h ^= UInt64(p[j].bitPattern)
                    h = h &* 0x0000_0100_0000_01B3
                }
                out.append(h)
            }
        }
        return out
    }
}
