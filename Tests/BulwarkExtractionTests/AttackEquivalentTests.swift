import BulwarkExtraction
import BulwarkModels
import BulwarkTensor
import Testing

/// A random one-hidden-layer ReLU network `features → hidden → classes` (PyTorch initialisation,
/// then biases spread so that the kinks cross the region the pool covers).
private func randomReLUNetwork(features: Int, hidden: Int, classes: Int, seed: UInt64) throws -> Sequential {
    var rng = SeededGenerator(seed: seed)
    var first = Dense(features, hidden, rng: &rng)
    first.weight = Tensor.normal([hidden, features], using: &rng)
    first.bias = Tensor.normal([hidden], standardDeviation: 0.5, using: &rng)
    var second = Dense(hidden, classes, rng: &rng)
    second.weight = Tensor.normal([classes, hidden], using: &rng)
    return try Sequential(inputShape: [features], layers: [Flatten(), first, ReLU(), second])
}

@Test func equivalentExtractionRecoversTheFirstLayerOfASmallReLUNetwork() throws {
    let victimModel = try randomReLUNetwork(features: 6, hidden: 5, classes: 3, seed: 8)
    let victim = QueryAdapter(victimModel)
    var rng = SeededGenerator(seed: 9)
    let pool = Tensor.normal([200, 6], using: &rng)
    var oracle = ExtractionOracle(victim: victim, budget: 50_000)
    let run = try FunctionallyEquivalentExtraction(hiddenWidth: 5, seed: 1).run(oracle: &oracle, pool: pool)
    #expect(run.neuronsRecovered == 5)
    #expect(run.queriesUsed == oracle.queriesUsed && run.queriesUsed <= 50_000)
    let truth = try #require(ExtractionMetrics.oneHiddenLayerReLU(victimModel))
    let comparison = ExtractionMetrics.firstLayerError(recoveredWeights: run.firstLayerWeights, recoveredBias: run.firstLayerBias,
                                                       trueWeights: truth.weights, trueBias: truth.bias)
    #expect(comparison.matched == 5)
    #expect(comparison.maxRelativeError < 1e-2, "max relative error \(comparison.maxRelativeError)")
    let test = Tensor.normal([1000, 6], standardDeviation: 1.5, using: &rng)
    let fidelity = ExtractionMetrics.fidelity(substitute: run.substitute, victim: victim, inputs: test)
    #expect(fidelity > 0.99, "fidelity \(fidelity)")
    // the extracted network answers (nearly) the same probabilities, not only the same labels
    let gap = (run.substitute.logits(test).softmax(axis: 1) - victim.probabilities(test)).abs().scalars.max() ?? 1
    #expect(gap < 1e-2, "largest probability gap \(gap)")
}

@Test func firstLayerErrorIgnoresScaleAndSignButNotDirection() {
    let truth = Tensor(shape: [2, 3], scalars: [1, 0, 0, 0, 2, 0]), bias = Tensor([0.5, -1])
    let scaled = Tensor(shape: [2, 3], scalars: [0, -1, 0, 3, 0, 0]), scaledBias = Tensor([0.5, 1.5])
    let same = ExtractionMetrics.firstLayerError(recoveredWeights: scaled, recoveredBias: scaledBias, trueWeights: truth, trueBias: bias)
    #expect(same.matched == 2 && same.maxRelativeError < 1e-6)
    let tilted = Tensor(shape: [2, 3], scalars: [1, 0.2, 0, 0, 2, 0])
    let off = ExtractionMetrics.firstLayerError(recoveredWeights: tilted, recoveredBias: bias, trueWeights: truth, trueBias: bias)
    #expect(off.matched == 1 && off.maxRelativeError > 0.1)
}

@Test func equivalentExtractionRefusesAVictimAnsweringZeroProbabilities() {
    // a victim whose class 0 never gets probability: log p_0 is −∞
    struct Saturated: QueryClassifier {
        var inputShape: [Int] { [3] }
        var classCount: Int { 2 }
        func probabilities(_ input: Tensor) -> Tensor {
            Tensor(shape: [input.shape[0], 2], scalars: (0..<input.shape[0]).flatMap { _ in [Float(0), 1] })
        }
    }
    var oracle = ExtractionOracle(victim: Saturated(), budget: 10_000)
    var rng = SeededGenerator(seed: 1)
    #expect(throws: ExtractionError(.invalidParameter, "equivalent: the victim answered a zero probability, so log p is not finite; it needs full-precision probabilities")) {
        _ = try FunctionallyEquivalentExtraction(hiddenWidth: 2).run(oracle: &oracle, pool: Tensor.normal([10, 3], using: &rng))
    }
    // the 6 × 17 grid queries (the line halved five times) it sent before refusing are on the oracle's count
    #expect(oracle.queriesUsed == 6 * 17)
}

@Test func equivalentExtractionRecoversAPyTorchInitialisedNetwork() throws {
    // small weights (±1/√20) and biases, as a freshly initialised or lightly trained layer has
    var rng = SeededGenerator(seed: 12)
    let victimModel = try Sequential(inputShape: [20], layers: [Flatten(), Dense(20, 12, rng: &rng), ReLU(), Dense(12, 4, rng: &rng)])
    let pool = Tensor.uniform([300, 20], using: &rng)
    var oracle = ExtractionOracle(victim: QueryAdapter(victimModel), budget: 200_000)
    let run = try FunctionallyEquivalentExtraction(hiddenWidth: 12, seed: 2).run(oracle: &oracle, pool: pool)
    let truth = try #require(ExtractionMetrics.oneHiddenLayerReLU(victimModel))
    let comparison = ExtractionMetrics.firstLayerError(recoveredWeights: run.firstLayerWeights, recoveredBias: run.firstLayerBias,
                                                       trueWeights: truth.weights, trueBias: truth.bias)
    #expect(run.neuronsRecovered == 12 && comparison.matched == 12, "\(run.neuronsRecovered) recovered, \(comparison.matched) matched, \(run.linesSearched) lines")
    #expect(comparison.maxRelativeError < 1e-2, "max relative error \(comparison.maxRelativeError)")
    let test = Tensor.uniform([1000, 20], using: &rng)
    #expect(ExtractionMetrics.fidelity(substitute: run.substitute, victim: QueryAdapter(victimModel), inputs: test) > 0.99)
}
