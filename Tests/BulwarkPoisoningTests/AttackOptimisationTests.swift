import BulwarkModels
import BulwarkPoisoning
import BulwarkTensor
import Testing

/// Largest |a − b| over the rows `rows` of two equally shaped batches.
private func linf(_ a: Tensor, _ b: Tensor, rows: [Int]) -> Float {
    rows.map { i in zip(a.slice(i).scalars, b.slice(i).scalars).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
}

@Test func cleanLabelBackdoorKeepsLabelsAndMakesTargetExamplesHard() throws {
    let (x, y) = stripeImages(count: 90, seed: 4)
    let eps: Float = 0.1
    let trigger = Trigger.whiteSquare(size: 2, position: .topLeft)
    let p = try CleanLabelBackdoor.poison(inputs: x, labels: y, model: stripeModel, trigger: trigger, targetClass: 1,
                                          rate: 0.5, epsilon: eps, steps: 10, seed: 6)
    #expect(p.labels == y)
    #expect(p.poisonIndices.count == 15)
    #expect(p.poisonIndices.allSatisfy { y[$0] == 1 })
    let objective = try #require(p.objective)
    #expect(objective.after > objective.before)
    // outside the 2×2 patch every pixel moved at most eps; under it the trigger is in place
    for i in p.poisonIndices {
        let poisoned = p.inputs.slice(i).scalars, clean = x.slice(i).scalars
        for k in 0..<36 {
            let underPatch = k / 6 < 2 && k % 6 < 2
            if underPatch { #expect(poisoned[k] == 1) } else { #expect(abs(poisoned[k] - clean[k]) <= eps + 1e-6) }
        }
    }
    let rest = y.indices.filter { !p.poisonIndices.contains($0) }
    #expect(linf(p.inputs, x, rows: rest) == 0)
}

@Test func featureCollisionPullsPoisonFeaturesTowardTheVictim() throws {
    let (x, y) = stripeImages(count: 60, seed: 5)
    let (test, testLabels) = stripeImages(count: 6, seed: 9)
    let victim = test.gatherRows([testLabels.firstIndex(of: 2) ?? 0])
    let features = try #require(FeatureCollision.penultimateFeatures(of: stripeModel))
    #expect(features.classCount == 16)
    let p = try FeatureCollision.poison(inputs: x, labels: y, features: features, classCount: 3, victims: victim, targetClass: 0,
                                        rate: 0.2, steps: 60, seed: 1)
    #expect(p.labels == y)
    #expect(p.poisonIndices.count == 4 && p.poisonIndices.allSatisfy { y[$0] == 0 })
    let objective = try #require(p.objective)
    #expect(objective.after < 0.5 * objective.before)
    // the distance measured independently of the attack's own bookkeeping
    let goal = features.logits(victim).scalars
    func distance(_ inputs: Tensor) -> Float {
        let f = features.logits(inputs.gatherRows(p.poisonIndices))
        return (0..<p.poisonIndices.count).map { r in (0..<16).map { k in let d = f.scalars[r * 16 + k] - goal[k]; return d * d }.reduce(0, +) }.reduce(0, +)
    }
    #expect(distance(p.inputs) < distance(x))
    #expect(p.inputs.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
}

@Test func gradientMatchingAlignsThePoisonGradientWithTheAdversarialOne() throws {
    let (x, y) = stripeImages(count: 60, seed: 7)
    let (test, testLabels) = stripeImages(count: 9, seed: 10)
    let victims = test.gatherRows(testLabels.indices.filter { testLabels[$0] == 2 })
    let eps: Float = 0.1
    let p = try GradientMatching.poison(inputs: x, labels: y, model: stripeModel, victims: victims, targetClass: 0,
                                        rate: 0.3, epsilon: eps, steps: 12, seed: 2)
    #expect(p.labels == y)
    #expect(p.poisonIndices.count == 6 && p.poisonIndices.allSatisfy { y[$0] == 0 })
    let objective = try #require(p.objective)
    #expect(objective.after < objective.before)
    let labels = [Int](repeating: 0, count: p.poisonIndices.count)
    let before = GradientMatching.gradientCosine(model: stripeModel, inputs: x.gatherRows(p.poisonIndices), labels: labels, victims: victims, targetClass: 0)
    let after = GradientMatching.gradientCosine(model: stripeModel, inputs: p.inputs.gatherRows(p.poisonIndices), labels: labels, victims: victims, targetClass: 0)
    #expect(after > before + 0.05)
    #expect(abs((1 - after) - objective.after) < 1e-6)
    #expect(linf(p.inputs, x, rows: Array(y.indices)) <= eps + 1e-6)
}

@Test func optimisingAttacksReproduceFromTheirSeed() throws {
    let (x, y) = stripeImages(count: 30, seed: 7)
    let victims = stripeImages(count: 3, seed: 10).inputs.gatherRows([2])
    let a = try GradientMatching.poison(inputs: x, labels: y, model: stripeModel, victims: victims, targetClass: 0, rate: 0.3, epsilon: 0.05, steps: 3, seed: 9)
    let b = try GradientMatching.poison(inputs: x, labels: y, model: stripeModel, victims: victims, targetClass: 0, rate: 0.3, epsilon: 0.05, steps: 3, seed: 9)
    #expect(a == b)
}
