import Testing
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

/// `generate` skips only the scoring pass: its examples are exactly `run`'s.
struct GenerateTests {
    let x: Tensor, y: [Int]
    init() { (x, y) = blobs(count: 90, seed: 5) }

    @Test(arguments: [PerturbationNorm.linf, .l2])
    func generateEqualsRunsAdversarialExamples(norm: PerturbationNorm) throws {
        let eps: Float = norm == .linf ? 0.08 : 0.4
        let attacks: [any EvasionAttack] = [
            FastGradientSignMethod(), BasicIterativeMethod(), ProjectedGradientDescent(),
            ProjectedGradientDescent(restarts: 2), DeepFool(),
        ]
        for attack in attacks {
            let c = AttackConfiguration(norm: norm, epsilon: eps, clipMin: 0, clipMax: 1, maxIterations: 6, seed: 3)
            let run = try attack.run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
            let generated = try attack.generate(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
            #expect(generated == run.adversarial, "\(attack.name)")
            // and the attack did something: some examples moved, some flipped
            #expect(run.outcomes.contains { $0.linf > 0 }, "\(attack.name)")
        }
    }

    @Test func generateNeedsAWhiteBoxModel() {
        let query = QueryAdapter(trainedMLP)
        #expect(throws: EvasionError.self) {
            _ = try FastGradientSignMethod().generate(inputs: x, labels: y, model: .blackBox(query),
                                                      configuration: AttackConfiguration(epsilon: 0.1))
        }
    }
}
