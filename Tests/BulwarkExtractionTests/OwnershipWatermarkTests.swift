import BulwarkData
import BulwarkExtraction
import BulwarkModels
import BulwarkTensor
import Foundation
import Testing

/// A small watermarking setup shared by the tests: 400 Fashion-MNIST test rows, an MLP with a
/// 30-input trigger set, three references for p0 and two further independent models.
struct WatermarkSetup: Sendable {
    let train: (inputs: Tensor, labels: [Int])
    let test: (inputs: Tensor, labels: [Int])
    let watermarked: Sequential
    let key: OwnershipKey
    let independent: [Sequential]

    static func plan(seed: UInt64, epochs: Int = 4) -> SupervisedTraining<Adam, StandardTrainingStep> {
        SupervisedTraining(configuration: TrainingConfiguration(epochs: epochs, batchSize: 32, seed: seed), optimizer: Adam(learningRate: 2e-3))
    }

    static func make() throws -> WatermarkSetup {
        let data = try FashionMNIST.load(.test, limit: 600)
        let train = (inputs: data.inputs.rows(0..<400), labels: Array(data.labels[0..<400]))
        let test = (inputs: data.inputs.rows(400..<600), labels: Array(data.labels[400..<600]))
        let recipe = WatermarkRecipe(kind: .triggerSet, keySize: 30, seed: 7)
        let run = try Watermark.embed(model: ZooArchitecture.mlp.makeModel(seed: 1), procedure: plan(seed: 1), training: train, recipe: recipe)
        let references = try OwnershipReferences.train(count: 3, initial: { ZooArchitecture.mlp.makeModel(seed: 100 + UInt64($0)) },
                                                       procedure: { plan(seed: 100 + UInt64($0)) }, training: train)
        let key = Watermark.key(triggers: run.triggers, recipe: recipe, classCount: 10, references: references)
        let independent = try OwnershipReferences.train(count: 2, initial: { ZooArchitecture.mlp.makeModel(seed: 200 + UInt64($0)) },
                                                        procedure: { plan(seed: 200 + UInt64($0)) }, training: train)
        return WatermarkSetup(train: train, test: test, watermarked: run.model, key: key, independent: independent)
    }

    static let shared: Result<WatermarkSetup, any Error> = Result { try make() }
}

@Test func watermarkedModelVerifiesAndIndependentModelsDoNot() throws {
    let s = try WatermarkSetup.shared.get()
    #expect(s.key.chanceAgreement >= 0.1 && s.key.referenceAgreements.count == 3)
    let own = try OwnershipVerifier.verify(model: s.watermarked, key: s.key)
    // Measured: the watermarked mlp matches 20/30 (p 2e-10 at p0 0.149: the Wilson bound over
    // reference agreements of 1/30 each); the two independent models match 1/30 each.
    #expect(own.verified, "watermarked: \(own.matches)/\(own.keySize), p \(own.pValue), p0 \(own.chanceAgreement)")
    for model in s.independent {
        let other = try OwnershipVerifier.verify(model: model, key: s.key)
        #expect(!other.verified, "independent: \(other.matches)/\(other.keySize), p \(other.pValue)")
    }
}

@Test func watermarkSurvivesThirtyPercentPruning() throws {
    let s = try WatermarkSetup.shared.get()
    let table = try OwnershipRobustness.evaluate(model: s.watermarked, key: s.key, pruneFractions: [0.3],
                                                 fineTune: Optional<(procedure: SupervisedTraining<Adam, StandardTrainingStep>, data: (inputs: Tensor, labels: [Int]))>.none,
                                                 noiseSigmas: [], test: s.test)
    #expect(table.rows.map(\.modification) == ["original", "prune-global-30%"])
    // Measured: 20/30 before and after pruning 30 % (test accuracy 0.635 both).
    #expect(table.rows[1].verified, "\(table.text)")
}

@Test func pruningZeroesTheRequestedShareOfWeights() {
    let model = ZooArchitecture.mlp.makeModel(seed: 3)
    for scope in PruningScope.allCases {
        let pruned = OwnershipRobustness.pruned(model, fraction: 0.6, scope: scope)
        let weights = pruned.parameters.filter { $0.shape.count >= 2 }
        let zeros = weights.reduce(0) { $0 + $1.scalars.filter { $0 == 0 }.count }
        let total = weights.reduce(0) { $0 + $1.count }
        #expect(abs(Double(zeros) / Double(total) - 0.6) < 0.001, "\(scope): \(zeros) of \(total)")
        #expect(pruned.parameters.filter { $0.shape.count == 1 } == model.parameters.filter { $0.shape.count == 1 })
    }
}

@Test func contentAndNoiseTriggersRelabelOtherClassesToTheTarget() throws {
    let x = Tensor(shape: [40, 1, 28, 28], scalars: (0..<(40 * 784)).map { Float($0 % 97) / 200 })
    let y = (0..<40).map { $0 % 10 }
    for kind in [OwnershipMethod.content, .noise] {
        let t = try WatermarkRecipe(kind: kind, keySize: 12, seed: 2, targetClass: 4).makeTriggers(inputs: x, labels: y, classCount: 10)
        #expect(t.labels == [Int](repeating: 4, count: 12))
        #expect(t.inputs.shape == [12, 1, 28, 28])
        #expect(t.inputs.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
    #expect(throws: ExtractionError.self) {
        try WatermarkRecipe(kind: .content, keySize: 39, targetClass: 4).makeTriggers(inputs: x, labels: y, classCount: 10)
    }
}
