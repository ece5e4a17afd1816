import Testing
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

struct AttackTests {
    let x: Tensor, y: [Int]
    init() { (x, y) = blobs(count: 120, seed: 2) }

    @Test func modelIsTrained() {
        #expect(trainedMLP.accuracy(x, labels: y) > 0.9)
    }

    @Test(arguments: [PerturbationNorm.linf, .l2])
    func fgsmAndPGDRespectEpsilonAndClipRange(norm: PerturbationNorm) throws {
        let eps: Float = norm == .linf ? 0.1 : 0.5
        let attacks: [any EvasionAttack] = [FastGradientSignMethod(), BasicIterativeMethod(), ProjectedGradientDescent(restarts: 1)]
        for attack in attacks {
            let r = try attack.run(inputs: x, labels: y, model: .whiteBox(trainedMLP),
                                   configuration: AttackConfiguration(norm: norm, epsilon: eps, clipMin: 0, clipMax: 1, maxIterations: 20, seed: 1))
            #expect(r.adversarial.shape == x.shape)
            #expect(r.adversarial.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect(r.outcomes.contains { $0.linf > 0 })
            for o in r.outcomes {
                if norm == .linf { #expect(o.linf <= eps * (1 + 1e-5)) } else { #expect(o.l2 <= eps * (1 + 1e-4)) }
            }
        }
    }

    @Test func pgdSucceedsAtLeastAsOftenAsFGSM() throws {
        let c = AttackConfiguration(epsilon: 0.08, maxIterations: 20, seed: 4)
        let f = try FastGradientSignMethod().run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        let p = try ProjectedGradientDescent(restarts: 1).run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        let fm = AttackMetrics(outcomes: f.outcomes), pm = AttackMetrics(outcomes: p.outcomes)
        #expect(pm.attackSuccessRate >= fm.attackSuccessRate)
        #expect(pm.attackSuccessRate > 0)
    }

    @Test func sameSeedSameResultDifferentSeedDifferentStart() throws {
        let c = AttackConfiguration(epsilon: 0.05, maxIterations: 5, seed: 11)
        let a = try ProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        let b = try ProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        #expect(a.adversarial == b.adversarial)
        #expect(a.outcomes.map(\.success) == b.outcomes.map(\.success))
        var c2 = c; c2.seed = 12
        let d = try ProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c2)
        #expect(d.adversarial != a.adversarial)
    }

    @Test func stopsPerturbingExamplesOnceTheySucceed() throws {
        let c = AttackConfiguration(epsilon: 0.3, maxIterations: 30, seed: 2)
        let r = try ProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        let succeededEarly = r.outcomes.filter { $0.success && $0.cleanPrediction == $0.label && $0.iterations < 30 }
        #expect(!succeededEarly.isEmpty)
        // Already-misclassified examples are returned untouched.
        for (i, o) in r.outcomes.enumerated() where o.cleanPrediction != o.label {
            #expect(o.iterations == 0 && o.l2 == 0)
            #expect(r.adversarial.slice(i) == x.slice(i))
        }
    }

    @Test func targetedPGDReachesTheTarget() throws {
        let targets = y.map { ($0 + 1) % 3 }
        let c = AttackConfiguration(epsilon: 0.5, maxIterations: 40, targets: targets, seed: 3)
        let r = try ProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        let hits = r.outcomes.enumerated().filter { $0.element.adversarialPrediction == targets[$0.offset] }.count
        #expect(r.outcomes.filter(\.success).count == hits)
        #expect(hits > x.shape[0] / 2)
    }

    /// Linear two-class model: PGD succeeds iff ε exceeds the closed-form minimal perturbation.
    @Test(arguments: [PerturbationNorm.linf, .l2])
    func pgdMatchesClosedFormOnLinearModel(norm: PerturbationNorm) throws {
        let d = 8
        var rng = SeededGenerator(seed: 5)
        let w = (0..<(2 * d)).map { _ in rng.nextNormal() }
        let model = LinearClassifier(weight: Tensor(shape: [2, d], scalars: w), bias: Tensor([0.3, -0.2]))
        let n = 20
        let xs = Tensor(shape: [n, d], scalars: (0..<(n * d)).map { _ in rng.nextUniform() })
        let labels = model.predictions(xs)
        let diff = (0..<d).map { w[d + $0] - w[$0] }
        let l1 = diff.reduce(0) { $0 + abs($1) }, l2 = diff.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let z = model.logits(xs)
        for i in 0..<n {
            let margin = abs(z.scalars[2 * i + 1] - z.scalars[2 * i])
            let optimum = margin / (norm == .linf ? l1 : l2)
            let xi = xs.rows(i..<(i + 1))
            for (factor, expected) in [(Float(0.97), false), (Float(1.05), true)] {
                let c = AttackConfiguration(norm: norm, epsilon: optimum * factor, clipMin: -100, clipMax: 100, maxIterations: 50, seed: 1)
                let r = try ProjectedGradientDescent(relativeStepSize: 0.1).run(inputs: xi, labels: [labels[i]], model: .whiteBox(model), configuration: c)
                #expect(r.outcomes[0].success == expected, "example \(i) ε factor \(factor)")
            }
        }
    }

    /// BIM, batched with early stopping, equals a plain per-example loop written from the
    /// definition: `x ← Π(x + α·sign ∇ CE)` until the prediction changes.
    @Test func bimEqualsAPerExampleReferenceLoop() throws {
        let eps: Float = 0.1, alpha: Float = 0.02, steps = 12
        let c = AttackConfiguration(epsilon: eps, maxIterations: steps, seed: 0, stepSize: alpha)
        let r = try BasicIterativeMethod().run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        var agree = 0
        for i in 0..<y.count {
            let x0 = x.slice(i).scalars
            var xi = x0
            var used = 0
            if trainedMLP.predictions(Tensor(shape: [1, 16], scalars: x0))[0] == y[i] {
                for _ in 0..<steps {
                    let g = trainedMLP.lossAndInputGradient(Tensor(shape: [1, 16], scalars: xi), labels: [y[i]]).gradient.scalars
                    for j in 0..<16 {
                        let stepped = xi[j] + alpha * (g[j] > 0 ? 1 : (g[j] < 0 ? -1 : 0))
                        xi[j] = min(max(x0[j] + min(max(stepped - x0[j], -eps), eps), 0), 1)
                    }
                    used += 1
                    if trainedMLP.predictions(Tensor(shape: [1, 16], scalars: xi))[0] != y[i] { break }
                }
            }
            let mine = r.adversarial.slice(i).scalars
            let close = zip(mine, xi).allSatisfy { abs($0 - $1) <= 1e-5 }
            if close && r.outcomes[i].iterations == used { agree += 1 }
        }
        #expect(agree >= y.count - 2)  // a gradient component within rounding of 0 may flip a sign
    }

    /// An explicit step size replaces the default schedule (here 2.5ε for one step, cut to ε).
    @Test(arguments: [PerturbationNorm.linf, .l2])
    func stepSizeOverridesTheDefaultStep(norm: PerturbationNorm) throws {
        let eps: Float = norm == .linf ? 0.1 : 0.5
        let step: Float = eps / 4
        let base = AttackConfiguration(norm: norm, epsilon: eps, clipMin: -10, clipMax: 10, maxIterations: 1, seed: 1)
        var small = base; small.stepSize = step
        for attack in [FastGradientSignMethod(), BasicIterativeMethod()] as [any EvasionAttack] {
            let byDefault = try attack.run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: base)
            let bySmall = try attack.run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: small)
            for (a, b) in zip(byDefault.outcomes, bySmall.outcomes) where a.cleanPrediction == a.label {
                let (da, db) = norm == .linf ? (a.linf, b.linf) : (a.l2, b.l2)
                #expect(abs(da - eps) <= eps * 1e-4, "\(attack.name) default step")
                #expect(abs(db - step) <= step * 1e-4, "\(attack.name) stepSize")
            }
        }
        // Through an evaluation plan, as `bulwark evaluate --step-size` runs it.
        let plan = Evaluation(specs: [AttackSpec(.bim, norm: norm, maxIterations: 1, stepSize: step)], epsilons: [eps],
                              clipMin: -10, clipMax: 10)
        let result = try plan.run(model: trainedMLP, inputs: x, labels: y)
        for o in result.attacks[0].outcomes where o.cleanPrediction == o.label {
            #expect(abs((norm == .linf ? o.linf : o.l2) - step) <= step * 1e-4)
        }
        #expect(throws: EvasionError.self) {
            var bad = base; bad.stepSize = 0
            _ = try ProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: bad)
        }
    }

    @Test func stepSizeChangesAPGD() throws {
        let c = AttackConfiguration(epsilon: 0.05, maxIterations: 10, seed: 3)
        var small = c; small.stepSize = 0.001
        let a = try AutoProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        let b = try AutoProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: small)
        #expect(a.adversarial != b.adversarial)
        // Steps of 0.001 for 10 iterations move few examples across the boundary.
        #expect(b.outcomes.filter(\.success).count < a.outcomes.filter(\.success).count)
    }

    @Test func rejectsInconsistentInput() {
        #expect(throws: EvasionError.self) {
            try ProjectedGradientDescent().run(inputs: x, labels: [1, 2], model: .whiteBox(trainedMLP), configuration: AttackConfiguration(epsilon: 0.1))
        }
        #expect(throws: EvasionError.self) {
            try ProjectedGradientDescent().run(inputs: x, labels: y, model: .blackBox(QueryAdapter(trainedMLP)), configuration: AttackConfiguration(epsilon: 0.1))
        }
    }
}

struct DeepFoolTests {
    /// On a linear two-class model DeepFool-L2 lands on the closed-form minimal perturbation
    /// (times the overshoot) in one step.
    @Test func deepFoolMatchesClosedFormOnLinearModel() throws {
        let d = 8
        var rng = SeededGenerator(seed: 6)
        let w = (0..<(2 * d)).map { _ in rng.nextNormal() }
        let model = LinearClassifier(weight: Tensor(shape: [2, d], scalars: w), bias: Tensor([0.1, 0]))
        let n = 16
        let xs = Tensor(shape: [n, d], scalars: (0..<(n * d)).map { _ in rng.nextUniform() })
        let labels = model.predictions(xs)
        let diff = (0..<d).map { w[d + $0] - w[$0] }
        let l2 = diff.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let z = model.logits(xs)
        let r = try DeepFool(boundedByEpsilon: false).run(inputs: xs, labels: labels, model: .whiteBox(model),
            configuration: AttackConfiguration(norm: .l2, epsilon: 0, clipMin: -100, clipMax: 100, maxIterations: 50))
        for i in 0..<n {
            let optimum = abs(z.scalars[2 * i + 1] - z.scalars[2 * i]) / l2
            #expect(r.outcomes[i].success)
            #expect(r.outcomes[i].l2 >= optimum * 0.999 && r.outcomes[i].l2 <= optimum * 1.03 + 1e-3)
            #expect(r.outcomes[i].iterations == 1)
        }
    }

    @Test func deepFoolFindsSmallerL2ThanPGDAtSuccess() throws {
        let (x, y) = blobs(count: 90, seed: 4)
        let c = AttackConfiguration(norm: .l2, epsilon: 2, maxIterations: 50, seed: 1)
        let df = try DeepFool(boundedByEpsilon: false).run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        let pgd = try ProjectedGradientDescent().run(inputs: x, labels: y, model: .whiteBox(trainedMLP), configuration: c)
        let both = zip(df.outcomes, pgd.outcomes).filter { $0.0.success && $0.1.success && $0.0.cleanPrediction == $0.0.label }
        #expect(both.count > 10)
        let dfMean = both.reduce(Float(0)) { $0 + $1.0.l2 } / Float(both.count)
        let pgdMean = both.reduce(Float(0)) { $0 + $1.1.l2 } / Float(both.count)
        #expect(dfMean < pgdMean)
    }
}
