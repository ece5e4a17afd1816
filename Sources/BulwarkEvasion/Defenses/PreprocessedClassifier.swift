public import BulwarkTensor
public import BulwarkModels

/// Which gradient a ``PreprocessedClassifier`` exposes to attacks.
public enum AttackerGradient: Codable, Sendable, Equatable {
    /// The gradient of the pipeline as implemented (``InputTransform/plainGradient(input:output:)``):
    /// what a naive white-box attacker sees. Masked for rounding, thresholds and solvers.
    case plain
    /// Backward-pass differentiable approximation (Athalye et al. 2018): the forward pass is the
    /// real transform, the backward pass differentiates the identity or the surrogate.
    case bpda
    /// BPDA plus Expectation over Transformation: logits averaged over `samples` independent
    /// draws of a random transform (the attack then ascends the expected loss surrogate).
    case eot(samples: Int)

    /// A short label for reports: `"plain"`, `"bpda"`, `"bpda+eot(10)"`.
    public var label: String {
        switch self {
        case .plain: "plain"
        case .bpda: "bpda"
        case .eot(let k): "bpda+eot(\(k))"
        }
    }
}

/// A classifier behind an input-transform defence — itself a ``DifferentiableClassifier``, so
/// every attack runs on the defended pipeline unchanged.
///
/// Predictions (``logits(_:)-(Tensor)``) are those of the deployed defence: one draw of the
/// transform, seeded by `seed` and each input row's content. The differentiable pass
/// (``logits(_:)-(Variable)``) follows ``gradient``: build the same defence three times with
/// `.plain`, `.bpda` and `.eot` to compare the naive and the adaptive attacker.
///
/// ```swift
/// let model = try ModelFile.load(path: "cnn.safetensors").model
/// let naive = PreprocessedClassifier(model, transform: BitDepthReduction(bits: 1), gradient: .plain)
/// let adaptive = naive.withGradient(.bpda)
/// ```
public struct PreprocessedClassifier<Model: DifferentiableClassifier>: DifferentiableClassifier {
    /// The classifier behind the defence (its input shape is the transform's output shape).
    public let model: Model
    /// The pre-processing defence.
    public let transform: any InputTransform
    /// The gradient exposed to attackers.
    public let gradient: AttackerGradient
    /// Seed of the transform's randomness.
    public let seed: UInt64
    /// Input shape of the pipeline (before the transform).
    public let inputShape: [Int]

    /// Wraps `model` behind `transform`. `inputShape` defaults to `model.inputShape` (correct for
    /// shape-preserving transforms; pass it for ones that change the shape, such as thermometer
    /// encoding).
    public init(_ model: Model, transform: any InputTransform, gradient: AttackerGradient = .plain,
                inputShape: [Int]? = nil, seed: UInt64 = 0) {
        self.model = model
        self.transform = transform
        self.gradient = gradient
        self.seed = seed
        self.inputShape = inputShape ?? model.inputShape
        precondition(transform.outputShape(for: self.inputShape) == model.inputShape,
                     "\(transform.name) maps \(self.inputShape) to \(transform.outputShape(for: self.inputShape)), model expects \(model.inputShape)")
    }

    /// The same defence exposing another gradient.
    public func withGradient(_ g: AttackerGradient) -> PreprocessedClassifier<Model> {
        PreprocessedClassifier(model, transform: transform, gradient: g, inputShape: inputShape, seed: seed)
    }

    /// Classes of the wrapped model.
    public var classCount: Int { model.classCount }

    /// Logits of the deployed defence (one draw of the transform).
    public func logits(_ input: Tensor) -> Tensor {
        model.logits(transform.apply(input, seed: seed))
    }

    /// Differentiable logits with the gradient chosen by ``gradient``.
    public func logits(_ input: Variable) -> Variable {
        switch gradient {
        case .plain:
            let out = transform.apply(input.value, seed: seed)
            return model.logits(transform.plainGradient(input: input, output: out))
        case .bpda:
            return model.logits(bpdaTransform(input, seed: seed))
        case .eot(let samples):
            let k = max(1, transform.isRandom ? samples : 1)
            var sum = model.logits(bpdaTransform(input, seed: seed))
            for s in 1..<max(k, 1) {
                sum = sum + model.logits(bpdaTransform(input, seed: seed &+ UInt64(s) &* 0x9E37_79B9))
            }
            return k == 1 ? sum : sum * (1 / Float(k))
        }
    }

    /// Forward: the real transform; backward: the identity, the surrogate, or the exact gradient.
    func bpdaTransform(_ input: Variable, seed: UInt64) -> Variable {
        let out = transform.apply(input.value, seed: seed)
        switch transform.bpda {
        case .exact:
            return transform.plainGradient(input: input, output: out)
        case .identity:
            return input.tape.record(out, inputs: [input]) { g in [g] }
        case .surrogate:
            let s = transform.surrogate(input)
            precondition(s.shape == out.shape, "\(transform.name): surrogate shape \(s.shape) ≠ transform shape \(out.shape)")
            return s.tape.record(out, inputs: [s]) { g in [g] }
        }
    }
}
