import BulwarkExtraction
import BulwarkModels
import BulwarkTensor
import Testing

// Learning-based extraction (Copycat CNN, Knockoff Nets, JBDA) against the blob victim: the
// stolen substitute agrees with the victim far above chance (1/4), and no attack ever sends
// more queries than its oracle's budget.

@Test func copycatStealsTheBlobVictimWithinBudget() throws {
    let victim = QueryAdapter(BlobTask.victim)
    let pool = BlobTask.sample(600, seed: 20).inputs
    let test = BlobTask.sample(400, seed: 30)
    var oracle = ExtractionOracle(victim: victim, budget: 300)
    let run = try CopycatCNN(training: BlobTask.training, seed: 1).run(oracle: &oracle, pool: pool, substitute: BlobTask.substitute())
    #expect(run.queriesUsed == 300 && oracle.queriesUsed == 300 && run.transferSetSize == 300)
    let fidelity = ExtractionMetrics.fidelity(substitute: run.substitute, victim: victim, inputs: test.inputs)
    #expect(fidelity > 0.85, "fidelity \(fidelity)")
}

@Test func anUntrainedSubstituteAgreesWithTheVictimOnlyByChance() {
    // the control of the fidelity thresholds above: no stealing, no fidelity
    let test = BlobTask.sample(400, seed: 30)
    let fidelity = ExtractionMetrics.fidelity(substitute: BlobTask.substitute(), victim: QueryAdapter(BlobTask.victim), inputs: test.inputs)
    #expect(fidelity < 0.5, "fidelity \(fidelity)")
}

@Test func knockoffRandomAndAdaptiveStealWithinBudget() throws {
    let victim = QueryAdapter(BlobTask.victim)
    let pool = BlobTask.sample(600, seed: 21).inputs
    let test = BlobTask.sample(400, seed: 31)
    for selection in KnockoffSelection.allCases {
        var oracle = ExtractionOracle(victim: victim, budget: 250)
        let attack = KnockoffNets(selection: selection, training: BlobTask.training, seed: 2, actionCount: 6)
        let run = try attack.run(oracle: &oracle, pool: pool, substitute: BlobTask.substitute())
        #expect(run.queriesUsed == 250 && oracle.queriesUsed == 250, "\(selection): \(run.queriesUsed) queries")
        let fidelity = ExtractionMetrics.fidelity(substitute: run.substitute, victim: victim, inputs: test.inputs)
        #expect(fidelity > 0.85, "\(selection): fidelity \(fidelity)")
    }
}

@Test func knockoffAdaptiveUsesThePoolGroupsAsActions() throws {
    // one group per class of the pool; the policy must draw from all and stay within budget
    let victim = QueryAdapter(BlobTask.victim)
    let pool = BlobTask.sample(200, seed: 22)
    var oracle = ExtractionOracle(victim: victim, budget: 120, recordTranscript: true)
    let attack = KnockoffNets(selection: .adaptive, training: SubstituteTraining(epochs: 2, seed: 1), seed: 3, adaptiveBatchSize: 8)
    let run = try attack.run(oracle: &oracle, pool: pool.inputs, poolGroups: pool.labels, substitute: BlobTask.substitute())
    #expect(run.queriesUsed == 120)
    #expect(oracle.transcript.allSatisfy { $0.inputs.shape[0] <= 8 })
    #expect(oracle.transcript.reduce(0) { $0 + $1.inputs.shape[0] } == 120)
}

@Test func jbdaGrowsTheSeedSetWithinBudget() throws {
    let victim = QueryAdapter(BlobTask.victim)
    let pool = BlobTask.sample(100, seed: 23).inputs
    let test = BlobTask.sample(400, seed: 33)
    var oracle = ExtractionOracle(victim: victim, budget: 150)
    let attack = JacobianAugmentation(seedSize: 20, rounds: 4, stepSize: 0.5, period: 2, training: BlobTask.training, seed: 4)
    let run = try attack.run(oracle: &oracle, pool: pool, substitute: BlobTask.substitute())
    // 20 + 20 + 40 + (80 → cut to the 70 left) = 150
    #expect(run.queriesUsed == 150 && oracle.queriesUsed == 150 && run.transferSetSize == 150)
    let fidelity = ExtractionMetrics.fidelity(substitute: run.substitute, victim: victim, inputs: test.inputs)
    #expect(fidelity > 0.7, "fidelity \(fidelity)")
}

@Test func attacksAreReproducibleFromTheirSeed() throws {
    let victim = QueryAdapter(BlobTask.victim)
    let pool = BlobTask.sample(200, seed: 24).inputs
    func steal(_ seed: UInt64) throws -> [Float] {
        var oracle = ExtractionOracle(victim: victim, budget: 100)
        let attack = KnockoffNets(selection: .adaptive, training: SubstituteTraining(epochs: 2, seed: seed), seed: seed, actionCount: 4)
        return try attack.run(oracle: &oracle, pool: pool, substitute: BlobTask.substitute()).substitute.parameters.flatMap(\.scalars)
    }
    let first = try steal(5)
    #expect(try steal(5) == first)
    #expect(try steal(6) != first)
}

@Test func softTargetCrossEntropyEqualsHardCrossEntropyOnOneHotTargets() {
    var rng = SeededGenerator(seed: 1)
    let logits = Tensor.normal([5, 4], using: &rng)
    let labels = [0, 3, 1, 1, 2]
    var oneHot = Tensor.zeros([5, 4])
    for (r, y) in labels.enumerated() { oneHot.scalars[r * 4 + y] = 1 }
    let tape = Tape()
    let z = tape.variable(logits)
    let soft = softTargetCrossEntropy(logits: z, targets: oneHot)
    let hard = softmaxCrossEntropy(logits: z, labels: labels)
    #expect(abs(soft.value.scalar - hard.value.scalar) < 1e-6)
    let gs = tape.gradients(of: soft, wrt: [z])[0], gh = tape.gradients(of: hard, wrt: [z])[0]
    #expect(gs.isApproximatelyEqual(to: gh, absoluteTolerance: 1e-6))
}
