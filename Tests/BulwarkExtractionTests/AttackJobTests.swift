import BulwarkExtraction
import BulwarkModels
import BulwarkTensor
import Testing

@Test func extractJobCurveRunsFreshAttacksAtEachBudget() throws {
    let victim = QueryAdapter(BlobTask.victim)
    let pool = BlobTask.sample(400, seed: 40).inputs
    let test = BlobTask.sample(300, seed: 41)
    let job = ExtractJob(attack: .copycat, queries: 200, training: BlobTask.training, curveFractions: [0.25, 0.5, 1], recordTranscript: true)
    let outcome = try job.run(victim: victim, pool: pool, test: (test.inputs, test.labels), substitute: BlobTask.substitute())
    let curve = try #require(outcome.report.curve)
    #expect(curve.map(\.queryBudget) == [50, 100, 200])
    #expect(curve.allSatisfy { $0.queriesUsed <= $0.queryBudget })
    #expect(outcome.report.queriesUsed == 200 && outcome.report.queryBudget == 200)
    #expect(outcome.transcript.reduce(0) { $0 + $1.inputs.shape[0] } == 200)
    let fidelity = try #require(outcome.report.fidelity)
    #expect(fidelity > 0.85 && fidelity == curve.last?.fidelity)
    let accuracy = try #require(outcome.report.accuracy), victimAccuracy = try #require(outcome.report.victimAccuracy)
    #expect(accuracy > 0.7 && victimAccuracy > 0.7 && accuracy <= victimAccuracy + 0.05, "accuracy \(accuracy), victim \(victimAccuracy)")
    #expect(outcome.report.testExamples == 300)
}

@Test func extractJobScoresEquivalentExtractionAgainstTheVictimsWeights() throws {
    var rng = SeededGenerator(seed: 3)
    var first = Dense(4, 3, rng: &rng)
    first.weight = Tensor.normal([3, 4], using: &rng)
    first.bias = Tensor.normal([3], standardDeviation: 0.5, using: &rng)
    let victimModel = try Sequential(inputShape: [4], layers: [Flatten(), first, ReLU(), Dense(3, 3, rng: &rng)])
    let pool = Tensor.normal([100, 4], using: &rng)
    let job = ExtractJob(attack: .equivalent, queries: 20_000, training: SubstituteTraining(seed: 2), hiddenWidth: 3)
    let outcome = try job.run(victim: QueryAdapter(victimModel), pool: pool, test: (pool, nil), substitute: nil,
                              victimFirstLayer: ExtractionMetrics.oneHiddenLayerReLU(victimModel))
    let facts = try #require(outcome.report.equivalent)
    #expect(facts.neuronsRecovered == 3 && facts.neuronsMatched == 3)
    #expect((facts.maxRelativeWeightError ?? 1) < 1e-2)
    #expect((outcome.report.fidelity ?? 0) > 0.99)
    #expect(outcome.report.queriesUsed <= 20_000)
}

@Test func badExtractionParametersThrowOneLineErrors() {
    let victim = QueryAdapter(BlobTask.victim)
    let pool = BlobTask.sample(20, seed: 50).inputs
    let substitute = BlobTask.substitute()
    var oracle = ExtractionOracle(victim: victim, budget: 10)
    #expect(throws: ExtractionError(.invalidParameter, "substitute training: epochs must be in 1…10000, got 0")) {
        _ = try CopycatCNN(training: SubstituteTraining(epochs: 0)).run(oracle: &oracle, pool: pool, substitute: substitute)
    }
    #expect(throws: ExtractionError(.shapeMismatch, "copycat: query pool examples of shape [5] do not fit the victim's input shape [10]")) {
        _ = try CopycatCNN().run(oracle: &oracle, pool: Tensor.zeros([4, 5]), substitute: substitute)
    }
    #expect(throws: ExtractionError(.invalidParameter, "jbda: rounds must be in 1…30, got 0")) {
        _ = try JacobianAugmentation(rounds: 0).run(oracle: &oracle, pool: pool, substitute: substitute)
    }
    #expect(throws: ExtractionError(.invalidParameter, "knockoff: queries must be at least 1, got 0")) {
        _ = try KnockoffNets(queries: 0).run(oracle: &oracle, pool: pool, substitute: substitute)
    }
    #expect(throws: ExtractionError(.invalidParameter, "extract: --attack equivalent needs --hidden N, the victim's hidden width (it only extracts one-hidden-layer ReLU networks)")) {
        _ = try ExtractJob(attack: .equivalent, queries: 100).run(victim: victim, pool: pool, test: nil, substitute: nil)
    }
    #expect(throws: ExtractionError(.invalidParameter, "extract: curve fractions must rise in (0, 1] and end at 1, got [0.5, 0.25]")) {
        _ = try ExtractJob(attack: .copycat, queries: 100, curveFractions: [0.5, 0.25]).run(victim: victim, pool: pool, test: nil, substitute: substitute)
    }
    // nothing was charged by the refused runs
    #expect(oracle.queriesUsed == 0)
    // a spent oracle refuses before any work
    _ = try? oracle.query(pool.rows(0..<10))
    #expect(throws: ExtractionError(.budgetExhausted, "copycat: the oracle has no queries left (budget 10)")) {
        _ = try CopycatCNN().run(oracle: &oracle, pool: pool, substitute: substitute)
    }
}
