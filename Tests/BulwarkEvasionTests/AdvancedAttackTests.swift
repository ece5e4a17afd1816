import Testing
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

/// Fraction of the correctly classified examples an attack broke.
private func brokenFraction(_ r: AttackResult) -> Double {
    let correct = r.outcomes.filter { $0.cleanPrediction == $0.label }
    guard !correct.isEmpty else { return 0 }
    return Double(correct.filter(\.success).count) / Double(correct.count)
}

private func checkBounds(_ r: AttackResult, norm: PerturbationNorm, epsilon: Float) {
    #expect(r.adversarial.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
    for o in r.outcomes {
        if norm == .linf { #expect(o.linf <= epsilon * (1 + 1e-5)) } else { #expect(o.l2 <= epsilon * (1 + 1e-4)) }
    }
}

/// A random 4-class linear model on 16 inputs (for targeted DLR, which needs ≥ 4 classes).
private func fourClassModel() -> LinearClassifier {
    var rng = SeededGenerator(seed: 21)
    return LinearClassifier(weight: Tensor(shape: [4, 16], scalars: (0..<64).map { _ in rng.nextNormal() }),
                            bias: Tensor([0, 0.1, -0.1, 0.05]))
}

struct AutoPGDTests {
    let x: Tensor, y: [Int]
    init() { (x, y) = blobs(count: 120, seed: 2) }

    /// Croce & Hein's checkpoints for 100 iterations.
    @Test func checkpointsMatchThePaper() {
        #expect(AutoProjectedGradientDescent.checkpoints(iterations: 100) == [0, 22, 41, 57, 70, 80, 87, 93, 99])
    }

    @Test(arguments: [(AutoPGDLoss.crossEntropy, PerturbationNorm.linf), (.crossEntropy, .l2), (.dlr, .linf), (.dlr, .l2)])
    func breaksTheModelWithinBudget(loss: AutoPGDLoss, norm: PerturbationNorm) throws {
        let eps: Float = norm == .linf ? 0.15 : 0.8
        let c = AttackConfiguration(norm: norm, epsilon: eps, maxIterations: 30, seed: 5)
        let r = try AutoProjectedGradientDescent(loss: loss).run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        checkBounds(r, norm: norm, epsilon: eps)
        #expect(r.outcomes.allSatisfy { $0.iterations <= 30 })
        let pgd = try ProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        #expect(brokenFraction(r) > 0.5)
        #expect(brokenFraction(r) >= brokenFraction(pgd) - 0.05)
        // Early stop: broken examples that needed few iterations were not pushed on.
        #expect(r.outcomes.contains { $0.success && $0.iterations < 30 })
    }

    @Test func sameSeedSameResult() throws {
        let c = AttackConfiguration(epsilon: 0.05, maxIterations: 10, seed: 9)
        let a = try AutoProjectedGradientDescent(loss: .dlr).run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        let b = try AutoProjectedGradientDescent(loss: .dlr).run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        #expect(a.adversarial == b.adversarial)
        var c2 = c; c2.seed = 10
        let d = try AutoProjectedGradientDescent(loss: .dlr).run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c2)
        #expect(d.adversarial != a.adversarial)
    }

    @Test(arguments: [AutoPGDLoss.crossEntropy, .dlr])
    func targetedReachesTheTarget(loss: AutoPGDLoss) throws {
        let model = fourClassModel()
        var rng = SeededGenerator(seed: 3)
        let xs = Tensor(shape: [40, 16], scalars: (0..<640).map { _ in rng.nextUniform() })
        let labels = model.predictions(xs)
        let targets = labels.map { ($0 + 1) % 4 }
        let c = AttackConfiguration(epsilon: 0.5, maxIterations: 40, targets: targets, seed: 1)
        let r = try AutoProjectedGradientDescent(loss: loss).run(inputs: xs, labels: labels, model: .whiteBox(model), configuration: c)
        let hits = r.outcomes.enumerated().filter { $0.element.adversarialPrediction == targets[$0.offset] }.count
        #expect(hits == r.outcomes.filter(\.success).count)
        #expect(hits >= 36)
    }

    @Test func targetedDLRNeedsFourClasses() {
        #expect(throws: EvasionError.self) {
            try AutoProjectedGradientDescent(loss: .dlr).run(inputs: x, labels: y, model: .whiteBox(trainedMLP),
                configuration: AttackConfiguration(epsilon: 0.1, targets: y.map { ($0 + 1) % 3 }))
        }
    }
}

struct CarliniWagnerTests {
    let x: Tensor, y: [Int]
    init() { (x, y) = blobs(count: 60, seed: 3) }

    @Test func findsSmallL2Perturbations() throws {
        let c = AttackConfiguration(norm: .l2, epsilon: 0, maxIterations: 100, seed: 0)
        let cw = try CarliniWagnerL2(learningRate: 0.05, binarySearchSteps: 6, initialConstant: 0.1)
            .run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        #expect(cw.adversarial.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(brokenFraction(cw) > 0.9)
        #expect(cw.outcomes.allSatisfy { $0.iterations <= 600 })
        // Smaller than what an ε-bounded PGD at a sure-success ε spends.
        let pgd = try ProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(trainedMLP),
            configuration: AttackConfiguration(norm: .l2, epsilon: 3, maxIterations: 40, seed: 1))
        let both = zip(cw.outcomes, pgd.outcomes).filter { $0.0.success && $0.1.success && $0.0.cleanPrediction == $0.0.label }
        #expect(both.count > 20)
        let cwMean = both.reduce(Float(0)) { $0 + $1.0.l2 } / Float(both.count)
        let pgdMean = both.reduce(Float(0)) { $0 + $1.1.l2 } / Float(both.count)
        #expect(cwMean < pgdMean)
    }

    @Test func boundedVariantRevertsBeyondEpsilon() throws {
        let c = AttackConfiguration(norm: .l2, epsilon: 0.3, maxIterations: 50, seed: 0)
        let r = try CarliniWagnerL2(learningRate: 0.05, binarySearchSteps: 4, initialConstant: 0.1, boundedByEpsilon: true)
            .run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        checkBounds(r, norm: .l2, epsilon: 0.3)
    }

    @Test func targetedReachesTheTarget() throws {
        let targets = y.map { ($0 + 2) % 3 }
        let c = AttackConfiguration(norm: .l2, epsilon: 0, maxIterations: 100, targets: targets, seed: 0)
        let r = try CarliniWagnerL2(confidence: 0.5, learningRate: 0.05, binarySearchSteps: 6, initialConstant: 0.1)
            .run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        let hits = r.outcomes.enumerated().filter { $0.element.adversarialPrediction == targets[$0.offset] }.count
        #expect(hits == r.outcomes.filter(\.success).count)
        #expect(hits >= 54)
    }
}

struct CarliniWagnerLineSearchTests {
    let x: Tensor, y: [Int]
    init() { (x, y) = blobs(count: 60, seed: 3) }

    private func attack(_ steps: Int = 5) -> CarliniWagnerL2 {
        CarliniWagnerL2(learningRate: 0.01, binarySearchSteps: steps, initialConstant: 0.1, optimizer: .lineSearch)
    }

    @Test func findsSmallL2Perturbations() throws {
        let c = AttackConfiguration(norm: .l2, epsilon: 0, maxIterations: 50, seed: 0)
        let cw = try attack(6).run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        #expect(cw.adversarial.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(brokenFraction(cw) > 0.9)
        #expect(cw.outcomes.allSatisfy { $0.iterations <= 6 * 50 })
        for (i, o) in cw.outcomes.enumerated() where o.success {
            #expect(trainedMLP.predictions(cw.adversarial.rows(i..<(i + 1)))[0] != y[i])
        }
        let pgd = try ProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(trainedMLP),
            configuration: AttackConfiguration(norm: .l2, epsilon: 3, maxIterations: 40, seed: 1))
        let both = zip(cw.outcomes, pgd.outcomes).filter { $0.0.success && $0.1.success && $0.0.cleanPrediction == $0.0.label }
        #expect(both.count > 20)
        let cwMean = both.reduce(Float(0)) { $0 + $1.0.l2 } / Float(both.count)
        let pgdMean = both.reduce(Float(0)) { $0 + $1.1.l2 } / Float(both.count)
        #expect(cwMean < pgdMean)
    }

    /// More constant-search rounds can only keep or shrink the best L2 of every example.
    @Test func moreSearchRoundsNeverHurt() throws {
        let c = AttackConfiguration(norm: .l2, epsilon: 0, maxIterations: 20, seed: 0)
        let short = try attack(2).run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        let long = try attack(5).run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        for (a, b) in zip(short.outcomes, long.outcomes) where a.success {
            #expect(b.success)
            #expect(b.l2 <= a.l2 * (1 + 1e-5))
        }
        #expect(long.outcomes.filter(\.success).count >= short.outcomes.filter(\.success).count)
    }

    @Test func targetedReachesTheTarget() throws {
        let targets = y.map { ($0 + 2) % 3 }
        let c = AttackConfiguration(norm: .l2, epsilon: 0, maxIterations: 50, targets: targets, seed: 0)
        let r = try CarliniWagnerL2(confidence: 0.5, learningRate: 0.01, binarySearchSteps: 6, initialConstant: 0.1,
                                    optimizer: .lineSearch)
            .run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        let hits = r.outcomes.enumerated().filter { $0.element.adversarialPrediction == targets[$0.offset] }.count
        #expect(hits == r.outcomes.filter(\.success).count)
        #expect(hits >= 54)
    }

    @Test func rejectsBadLineSearchSettings() {
        let c = AttackConfiguration(norm: .l2, epsilon: 0, maxIterations: 5)
        #expect(throws: EvasionError.self) {
            try CarliniWagnerL2(optimizer: .lineSearch, maxHalving: 0).run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        }
        #expect(throws: EvasionError.self) {
            try CarliniWagnerL2(initialConstant: 0).run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        }
    }
}

struct SquareAttackTests {
    let x: Tensor, y: [Int]
    init() { (x, y) = blobs(count: 60, seed: 5) }

    @Test(arguments: [PerturbationNorm.linf, .l2])
    func breaksTheModelWithinTheQueryBudget(norm: PerturbationNorm) throws {
        let eps: Float = norm == .linf ? 0.15 : 0.8
        let c = AttackConfiguration(norm: norm, epsilon: eps, maxQueries: 300, seed: 2)
        let r = try SquareAttack().run(inputs: x, labels: y, model: .blackBox(QueryAdapter(trainedMLP)), configuration: c)
        checkBounds(r, norm: norm, epsilon: eps)
        #expect(r.outcomes.allSatisfy { $0.queries <= 300 })
        #expect(brokenFraction(r) > 0.5)
        #expect(r.outcomes.contains { $0.success && $0.queries < 300 })
    }

    @Test func sameSeedSameResult() throws {
        let c = AttackConfiguration(epsilon: 0.1, maxQueries: 50, seed: 4)
        let a = try SquareAttack().run(inputs: x, labels: y, model: .blackBox(QueryAdapter(trainedMLP)), configuration: c)
        let b = try SquareAttack().run(inputs: x, labels: y, model: .blackBox(QueryAdapter(trainedMLP)), configuration: c)
        #expect(a.adversarial == b.adversarial)
        #expect(a.outcomes == b.outcomes.enumerated().map { var o = $0.element; o.seconds = a.outcomes[$0.offset].seconds; return o })
    }

    @Test func targetedReachesTheTarget() throws {
        let targets = y.map { ($0 + 1) % 3 }
        let c = AttackConfiguration(epsilon: 0.3, maxQueries: 500, targets: targets, seed: 2)
        let r = try SquareAttack().run(inputs: x, labels: y, model: .blackBox(QueryAdapter(trainedMLP)), configuration: c)
        let hits = r.outcomes.enumerated().filter { $0.element.adversarialPrediction == targets[$0.offset] }.count
        #expect(hits == r.outcomes.filter(\.success).count)
        #expect(hits > 40)
    }
}

struct HopSkipJumpTests {
    let x: Tensor, y: [Int]
    init() { (x, y) = blobs(count: 24, seed: 6) }

    @Test(arguments: [PerturbationNorm.l2, .linf])
    func breaksTheModelWithinTheQueryBudget(norm: PerturbationNorm) throws {
        let eps: Float = norm == .linf ? 0.25 : 1.0
        let c = AttackConfiguration(norm: norm, epsilon: eps, maxIterations: 20, maxQueries: 1500, seed: 3)
        let r = try HopSkipJump().run(inputs: x, labels: y, model: .blackBox(QueryAdapter(trainedMLP)), configuration: c)
        checkBounds(r, norm: norm, epsilon: eps)
        #expect(r.outcomes.allSatisfy { $0.queries <= 1500 })
        #expect(brokenFraction(r) > 0.5)
    }

    @Test func unboundedShrinksTowardTheBoundaryAndIsReproducible() throws {
        let c = AttackConfiguration(norm: .l2, epsilon: 0, maxIterations: 15, maxQueries: 1200, seed: 3)
        let short = try HopSkipJump(boundedByEpsilon: false).run(inputs: x, labels: y, model: .blackBox(QueryAdapter(trainedMLP)),
            configuration: AttackConfiguration(norm: .l2, epsilon: 0, maxIterations: 1, maxQueries: 1200, seed: 3))
        let long = try HopSkipJump(boundedByEpsilon: false).run(inputs: x, labels: y, model: .blackBox(QueryAdapter(trainedMLP)), configuration: c)
        let again = try HopSkipJump(boundedByEpsilon: false).run(inputs: x, labels: y, model: .blackBox(QueryAdapter(trainedMLP)), configuration: c)
        #expect(long.adversarial == again.adversarial)
        let pairs = zip(short.outcomes, long.outcomes).filter { $0.0.success && $0.1.success }
        #expect(pairs.count > 15)
        let s = pairs.reduce(Float(0)) { $0 + $1.0.l2 }, l = pairs.reduce(Float(0)) { $0 + $1.1.l2 }
        #expect(l < s)
    }

    @Test func targetedReachesTheTarget() throws {
        let targets = y.map { ($0 + 1) % 3 }
        let c = AttackConfiguration(norm: .l2, epsilon: 2, maxIterations: 10, maxQueries: 1500, targets: targets, seed: 3)
        let r = try HopSkipJump().run(inputs: x, labels: y, model: .blackBox(QueryAdapter(trainedMLP)), configuration: c)
        let hits = r.outcomes.enumerated().filter { $0.element.adversarialPrediction == targets[$0.offset] }.count
        #expect(hits == r.outcomes.filter(\.success).count)
        #expect(hits > 18)
    }
}

struct AttackSpecTests {
    @Test func rawValuesNameEveryAttack() {
        let names = AttackSpec.Kind.allCases.map(\.rawValue)
        #expect(names == ["fgsm", "bim", "pgd", "deepfool", "apgd-ce", "apgd-dlr", "cw", "square", "hsj"])
        for kind in AttackSpec.Kind.allCases {
            #expect(AttackSpec.Kind(rawValue: kind.rawValue) == kind)
            #expect(AttackSpec(kind).makeAttack().name == kind.rawValue)
        }
    }

    /// Per attack (not the cumulative ensemble curve): PGD's robust accuracy falls as ε grows.
    @Test(arguments: [AttackSpec.Kind.pgd, .apgdCE])
    func robustAccuracyFallsAsEpsilonGrows(kind: AttackSpec.Kind) throws {
        let (x, y) = blobs(count: 90, seed: 12)
        let plan = Evaluation(specs: [AttackSpec(kind, maxIterations: 20)], epsilons: [0, 0.1, 0.2, 0.3], batchSize: 45, seed: 2)
        let accuracies = try plan.run(model: trainedMLP, inputs: x, labels: y).attacks.map(\.metrics.robustAccuracy)
        #expect(accuracies.count == 4)
        for (a, b) in zip(accuracies, accuracies.dropFirst()) { #expect(b <= a) }
        #expect(accuracies[2] < accuracies[0])
        #expect(accuracies[3] < accuracies[1])
    }

    @Test func evaluationRunsBlackBoxAttacksThroughTheQueryView() throws {
        let (x, y) = blobs(count: 30, seed: 8)
        let plan = Evaluation(specs: [AttackSpec(.square, maxQueries: 100), AttackSpec(.apgdCE, maxIterations: 10)],
                              epsilons: [0.1], batchSize: 16, seed: 1)
        let r = try plan.run(model: trainedMLP, inputs: x, labels: y)
        #expect(r.attacks.count == 2)
        #expect(r.attacks[0].outcomes.allSatisfy { $0.queries <= 100 })
    }
}
