public import BulwarkModels

/// An input-transform defence put in front of a model, with the two attacker views an honest
/// evaluation needs: the **naive** one (the pipeline differentiated as implemented) and the
/// **adaptive** one (BPDA for non-differentiable transforms, BPDA + EOT for random ones;
/// Athalye, Carlini & Wagner 2018).
///
/// ```swift
/// let model = try ModelLoader.classifier(path: "cnn.safetensors")
/// let defence = TransformDefence(transform: JPEGCompression(quality: 75))
/// let adaptive = try defence.view(of: model, gradient: defence.adaptiveGradient)
/// ```
public struct TransformDefence: Sendable {
    /// The pre-processing defence.
    public let transform: any InputTransform
    /// EOT samples for random transforms (the transform's recommendation when `nil`).
    public let eotSamples: Int?
    /// Seed of the transform's randomness.
    public let seed: UInt64

    /// A defence; `eotSamples` applies to random transforms only.
    public init(transform: any InputTransform, eotSamples: Int? = nil, seed: UInt64 = 0) {
        self.transform = transform
        self.eotSamples = eotSamples
        self.seed = seed
    }

    /// The gradient an adaptive attacker uses: `.eot` for random transforms, else `.bpda`.
    public var adaptiveGradient: AttackerGradient {
        transform.isRandom ? .eot(samples: max(1, eotSamples ?? transform.recommendedEOTSamples)) : .bpda
    }

    /// The defended pipeline around `model`, exposing `gradient` to attacks.
    /// - Throws: ``EvasionError`` when the transform changes the input shape the model expects.
    public func view(of model: any DifferentiableClassifier, gradient: AttackerGradient) throws(EvasionError)
        -> PreprocessedClassifier<ErasedClassifier> {
        guard transform.outputShape(for: model.inputShape) == model.inputShape else {
            throw EvasionError("defence \(transform.name) maps inputs \(model.inputShape) to \(transform.outputShape(for: model.inputShape)); "
                               + "the model must expect the transform's output")
        }
        return PreprocessedClassifier(ErasedClassifier(model), transform: transform, gradient: gradient, seed: seed)
    }
}
