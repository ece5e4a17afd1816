public import BulwarkModels
import BulwarkTensor

/// How shadow models are trained for a target model: the target's own architecture and recipe
/// (epochs, batch size, Adam learning rate) as its provenance records them, unless overridden.
///
/// Shadows always train without DP and with Adam; the target's learning rate is reused only
/// if the target was trained with Adam too.
///
/// ```swift
/// let recipe = try ShadowRecipe(architecture: .mlp, provenance: nil, epochs: 1)
/// let trainer = recipe.trainer   // hand to PrivacyAudit.run(…, shadowTrainer:)
/// ```
public struct ShadowRecipe: Sendable, Codable, Equatable {
    /// The shadows' architecture (the target's).
    public var architecture: ZooArchitecture
    /// The target's `mlp` variant (hidden sizes, activation) as its provenance records it; nil
    /// for the architecture as documented. Shadows are built the same way.
    public var variant: ZooVariant?
    /// The target's example shape and class count, which the shadows are built for.
    public var exampleShape: [Int], classCount: Int
    /// Training epochs per shadow.
    public var epochs: Int
    /// Examples per step.
    public var batchSize: Int
    /// Adam learning rate.
    public var learningRate: Float

    /// The recipe of a target of `architecture` built for `exampleShape` and `classCount`,
    /// trained as `provenance` records (defaults where it says nothing: 10 epochs, batch 128,
    /// the zoo's default learning rate); `epochs` and `learningRate` override it.
    /// - Throws: ``PrivacyError`` when the architecture cannot be built for that shape.
    public init(architecture: ZooArchitecture, exampleShape: [Int] = ZooArchitecture.defaultExampleShape,
                classCount: Int = ZooArchitecture.defaultClassCount, provenance: ModelProvenance?,
                epochs: Int? = nil, learningRate: Float? = nil) throws(PrivacyError) {
        let variant = provenance?.variant
        do { _ = try architecture.makeModel(exampleShape: exampleShape, classCount: classCount, variant: variant ?? .standard) } catch {
            throw PrivacyError(parameter: "model", message: error.message)
        }
        self.architecture = architecture
        self.variant = variant
        self.exampleShape = exampleShape
        self.classCount = classCount
        self.epochs = epochs ?? provenance?.epochs ?? 10
        let targetUsedAdam = (provenance?.optimizer ?? "adam") == "adam"
        self.learningRate = learningRate ?? (targetUsedAdam ? provenance?.learningRate : nil) ?? ZooArchitecture.defaultLearningRate
        self.batchSize = provenance?.batchSize ?? 128
    }

    /// Trains one fresh model of ``architecture`` per call, seeded by the call's seed.
    public var trainer: ShadowTrainer {
        let recipe = self
        return { inputs, labels, seed in
            // the shape was checked when the recipe was made
            var model = (try? recipe.architecture.makeModel(exampleShape: recipe.exampleShape, classCount: recipe.classCount, seed: seed,
                                                            variant: recipe.variant ?? .standard))
                ?? recipe.architecture.makeModel(seed: seed)
            var adam = Adam(learningRate: recipe.learningRate)
            train(&model, inputs: inputs, labels: labels, optimizer: &adam,
                  configuration: TrainingConfiguration(epochs: recipe.epochs, batchSize: recipe.batchSize, seed: seed))
            return model
        }
    }
}
