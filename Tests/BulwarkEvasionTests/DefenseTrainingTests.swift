import Testing
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

func freshBlobMLP(seed: UInt64) -> Sequential {
    var rng = SeededGenerator(seed: seed)
    guard let m = try? Sequential(inputShape: [16], layers: [Dense(16, 32, rng: &rng), Activation(.relu), Dense(32, 3, rng: &rng)]) else {
        preconditionFailure("test MLP is inconsistent")
    }
    return m
}

func pgdRobustAccuracy(_ model: any DifferentiableClassifier, _ x: Tensor, _ y: [Int], epsilon: Float) throws -> Double {
    let r = try ProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(model),
                                               configuration: AttackConfiguration(epsilon: epsilon, maxIterations: 20, seed: 1))
    return AttackMetrics(outcomes: r.outcomes).robustAccuracy
}

struct DefenseTrainingTests {
    let train: (Tensor, [Int]) = blobs(count: 600, seed: 1)
    let test: (Tensor, [Int]) = blobs(count: 150, seed: 2)
    let eps: Float = 0.12

    func trained(_ d: TrainingDefense, epochs: Int = 15) -> Sequential {
        var m = freshBlobMLP(seed: 7)
        var opt = Adam(learningRate: 1e-2)
        AdversarialTraining(defense: d, configuration: TrainingConfiguration(epochs: epochs, batchSize: 50, seed: 3))
            .train(&m, inputs: train.0, labels: train.1, optimizer: &opt)
        return m
    }

    @Test func adversarialTrainingRaisesRobustAccuracy() throws {
        let standard = trained(.standard)
        let base = try pgdRobustAccuracy(standard, test.0, test.1, epsilon: eps)
        for d in [TrainingDefense.pgd(epsilon: eps, steps: 5, stepSize: nil), .fast(epsilon: eps, stepSize: nil),
                  .trades(epsilon: eps, steps: 5, beta: 6)] {
            let m = trained(d)
            let robust = try pgdRobustAccuracy(m, test.0, test.1, epsilon: eps)
            #expect(robust > base + 0.1, "\(d.name): robust \(robust) vs standard \(base)")
            #expect(m.accuracy(test.0, labels: test.1) > 0.7, "\(d.name) clean accuracy")
        }
    }

    @Test func standardTrainingWithTheDefenseLoopMatchesThePlainTrainer() {
        var a = freshBlobMLP(seed: 7), b = freshBlobMLP(seed: 7)
        var oa = Adam(learningRate: 1e-2), ob = Adam(learningRate: 1e-2)
        let config = TrainingConfiguration(epochs: 2, batchSize: 50, seed: 3)
        AdversarialTraining(defense: .standard, configuration: config).train(&a, inputs: train.0, labels: train.1, optimizer: &oa)
        BulwarkModels.train(&b, inputs: train.0, labels: train.1, optimizer: &ob, configuration: config)
        #expect(a.parameters == b.parameters)
    }

    @Test func noiseAugmentationHelpsUnderNoise() {
        let standard = trained(.standard), noisy = trained(.gaussianNoise(sigma: 0.5))
        var rng = SeededGenerator(seed: 11)
        let x = test.0 + Tensor.normal(test.0.shape, standardDeviation: 0.5, using: &rng)
        #expect(noisy.accuracy(x, labels: test.1) > standard.accuracy(x, labels: test.1))
    }

    @Test func pgdExamplesStayInTheBallAndRaiseTheLoss() {
        var rng = SeededGenerator(seed: 4)
        let (x, y) = test
        let adv = AdversarialExamples.pgd(trainedMLP, x, y, epsilon: 0.05, steps: 10, stepSize: 0.0125, clipMin: 0, clipMax: 1, rng: &rng)
        #expect(zip(adv.scalars, x.scalars).allSatisfy { abs($0 - $1) <= 0.05 + 1e-6 && $0 >= 0 && $0 <= 1 })
        #expect(trainedMLP.lossAndInputGradient(adv, labels: y).loss > trainedMLP.lossAndInputGradient(x, labels: y).loss)
    }

    @Test func klDivergenceGradientMatchesFiniteDifferences() {
        var rng = SeededGenerator(seed: 5)
        let p = Tensor.normal([3, 4], using: &rng), q = Tensor.normal([3, 4], using: &rng)
        let tape = Tape()
        let pv = tape.variable(p), qv = tape.variable(q)
        let kl = TrainingLosses.klDivergence(pv, qv)
        let g = tape.gradients(of: kl, wrt: [pv, qv])
        func value(_ a: Tensor, _ b: Tensor) -> Float { let t = Tape(); return TrainingLosses.klDivergence(t.constant(a), t.constant(b)).value.scalar }
        let h: Float = 1e-3
        for i in [0, 5, 11] {
            var a = p, b = p
            a.scalars[i] += h; b.scalars[i] -= h
            #expect(abs((value(a, q) - value(b, q)) / (2 * h) - g[0].scalars[i]) < 2e-3)
            a = q; b = q
            a.scalars[i] += h; b.scalars[i] -= h
            #expect(abs((value(p, a) - value(p, b)) / (2 * h) - g[1].scalars[i]) < 2e-3)
        }
        #expect(kl.value.scalar >= 0)
        #expect(value(p, p) < 1e-6)
    }

    @Test func distillationTrainsAStudentWhoseGradientsSaturate() {
        var teacher = freshBlobMLP(seed: 8), student = freshBlobMLP(seed: 9)
        let r = DefensiveDistillation(temperature: 50, configuration: TrainingConfiguration(epochs: 15, batchSize: 50, seed: 3))
            .train(teacher: &teacher, student: &student, inputs: train.0, labels: train.1, makeOptimizer: { Adam(learningRate: 1e-2) })
        #expect(r.teacher.count == 15 && r.student.count == 15)
        #expect(student.accuracy(test.0, labels: test.1) > 0.8)
        // At T = 1 the student's logits are large: softmax saturates and many gradients vanish in Float.
        let health = GradientHealth.measure(student, inputs: test.0, labels: test.1)
        let plain = GradientHealth.measure(trainedMLP, inputs: test.0, labels: test.1)
        #expect(health.medianNorm < plain.medianNorm, "distilled \(health) vs plain \(plain)")
    }
}
