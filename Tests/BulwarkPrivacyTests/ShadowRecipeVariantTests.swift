import BulwarkModels
import BulwarkPrivacy
import BulwarkTensor
import Testing

/// Shadow models copy the target's mlp variant (hidden sizes, activation) from its provenance:
/// a shadow of another shape would understate what a membership attack learns.
@Suite struct ShadowRecipeVariantTests {
    @Test func shadowsAreBuiltLikeAVariantTarget() throws {
        var provenance = ModelProvenance(architecture: .mlp)
        provenance.variant = try ZooVariant(hiddenSizes: [32], activation: .square)
        provenance.epochs = 1
        let recipe = try ShadowRecipe(architecture: .mlp, provenance: provenance)
        #expect(recipe.variant == provenance.variant)
        let inputs = Tensor(shape: [8, 1, 28, 28], scalars: (0..<(8 * 784)).map { Float($0 % 7) / 7 })
        let shadow = recipe.trainer(inputs, Array(0..<8), 3)
        let target = try ZooArchitecture.mlp.makeModel(exampleShape: [1, 28, 28], classCount: 10, variant: try #require(provenance.variant))
        #expect((shadow as? Sequential)?.parameterCount == target.parameterCount)   // 784-32-10, not the standard 784-256-128-10
        let standard = try ShadowRecipe(architecture: .mlp, provenance: ModelProvenance(architecture: .mlp), epochs: 1)
        #expect((standard.trainer(inputs, Array(0..<8), 3) as? Sequential)?.parameterCount == ZooArchitecture.mlp.makeModel().parameterCount)
    }
}
