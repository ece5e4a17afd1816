import BulwarkDP
import BulwarkFederated
import Testing

@Suite struct AggregationTests {
    let honest = [
        ClientUpdate(client: 0, delta: [1.0, 2.0, 0.0], exampleCount: 10),
        ClientUpdate(client: 1, delta: [1.2, 1.8, 0.1], exampleCount: 30),
        ClientUpdate(client: 2, delta: [0.9, 2.1, -0.1], exampleCount: 20),
        ClientUpdate(client: 3, delta: [1.1, 1.9, 0.0], exampleCount: 20),
    ]
    var withAttacker: [ClientUpdate] { honest + [ClientUpdate(client: 9, delta: [-100, 300, 50], exampleCount: 1000)] }

    @Test func fedAvgWeightsByExampleCount() throws {
        let a = try AggregationRule.fedAvg.aggregate(honest)
        let expected0 = (1.0 * 10 + 1.2 * 30 + 0.9 * 20 + 1.1 * 20) / 80
        #expect(abs(Double(a.delta[0]) - expected0) < 1e-6)
        #expect(a.verdicts.map(\.weight) == [0.125, 0.375, 0.25, 0.25])
    }

    @Test func fedAvgFollowsAnAttackerWhileRobustRulesDoNot() throws {
        let fedAvg = try AggregationRule.fedAvg.aggregate(withAttacker)
        #expect(fedAvg.delta[0] < -50)
        for rule: AggregationRule in [.median, .trimmedMean(fraction: 0.2), .krum(byzantine: 1), .multiKrum(byzantine: 1, selected: 3)] {
            let a = try rule.aggregate(withAttacker)
            #expect(abs(a.delta[0] - 1.05) < 0.2, "\(rule): \(a.delta)")
            #expect(abs(a.delta[1] - 1.95) < 0.2, "\(rule): \(a.delta)")
        }
    }

    @Test func medianOfOddAndEvenCounts() throws {
        let odd = try AggregationRule.median.aggregate(Array(honest.prefix(3)))
        #expect(odd.delta == [1.0, 2.0, 0.0])
        let even = try AggregationRule.median.aggregate(honest)
        #expect(abs(even.delta[0] - 1.05) < 1e-6)
        #expect(abs(even.delta[2] - 0.0) < 1e-6)
    }

    @Test func trimmedMeanDropsTheExtremes() throws {
        // 5 updates, fraction 0.2: one value dropped at each end of every coordinate.
        let a = try AggregationRule.trimmedMean(fraction: 0.2).aggregate(withAttacker)
        #expect(abs(a.delta[0] - Float((0.9 + 1.0 + 1.1) / 3)) < 1e-6)
        let attacker = try #require(a.verdicts.last)
        #expect(attacker.weight == 0)
        #expect(throws: FederatedError.self) { try AggregationRule.trimmedMean(fraction: 0.5).aggregate(honest) }
    }

    @Test func krumExcludesTheOutlierAndNeedsEnoughClients() throws {
        let a = try AggregationRule.krum(byzantine: 1).aggregate(withAttacker)
        #expect(a.verdicts.last?.weight == 0)
        #expect(a.verdicts.filter { $0.weight > 0 }.count == 1)
        #expect(a.verdicts.last?.note?.contains("Krum") == true)
        // n = 4 with f = 1 needs n > 4.
        #expect(throws: FederatedError.self) { try AggregationRule.krum(byzantine: 1).aggregate(honest) }
    }

    @Test func normBoundClipsLargeUpdates() throws {
        let a = try AggregationRule.normBound(maxNorm: 3).aggregate(withAttacker)
        let attacker = try #require(a.verdicts.last)
        #expect(attacker.note?.hasPrefix("clipped") == true)
        // The attacker's clipped contribution has norm ≤ 3 × its weight.
        #expect(abs(a.delta[0]) < 3)
    }

    @Test func flTrustGivesNoTrustToUpdatesAgainstTheServer() throws {
        let reference: [Float] = [1, 2, 0]
        let flipped = honest + [ClientUpdate(client: 7, delta: [-1, -2, 0], exampleCount: 10)]
        let a = try AggregationRule.flTrust.aggregate(flipped, reference: reference)
        #expect(a.verdicts.last?.weight == 0)
        #expect(a.delta[0] > 0.5 && a.delta[1] > 1.5)
        #expect(throws: FederatedError.self) { try AggregationRule.flTrust.aggregate(honest) }
    }

    @Test func badUpdatesAreRefused() {
        let short = honest + [ClientUpdate(client: 5, delta: [1, 2], exampleCount: 1)]
        #expect(throws: FederatedError.self) { try AggregationRule.fedAvg.aggregate(short) }
        let nan = honest + [ClientUpdate(client: 5, delta: [.nan, 2, 0], exampleCount: 1)]
        #expect(throws: FederatedError.self) { try AggregationRule.median.aggregate(nan) }
        #expect(throws: FederatedError.self) { try AggregationRule.fedAvg.aggregate([]) }
    }

    @Test func scalarTensorsSurviveFlatteningAndReplacing() throws {
        let weights = try ModelWeights(tensors: [.init(name: "w", shape: [2], values: [1, 2]), .init(name: "t", shape: [], values: [3])])
        #expect(weights.flattened == [1, 2, 3])
        let replaced = try weights.replacing(with: [4, 5, 6])
        #expect(replaced.tensors[1].shape == [] && replaced.tensors[1].values == [6])
        #expect(throws: FederatedError.self) { try ModelWeights(tensors: [.init(name: "t", shape: [], values: [])]) }
        #expect(throws: FederatedError.self) { try weights.replacing(with: [1]) }
    }
}

@Suite struct DPFedAvgTests {
    @Test func epsilonMatchesTheAccountantForTheSamePoissonSampler() throws {
        let plan = try DPFedAvg(clipNorm: 1, noiseMultiplier: 1.1, samplingRate: 0.1, population: 100, delta: 1e-5)
        let direct = try PrivacyCalibration.epsilon(noiseMultiplier: 1.1, samplingRate: 0.1, steps: 40, delta: 1e-5)
        #expect(try plan.epsilon(afterRounds: 40) == direct)
        #expect(try plan.epsilon(afterRounds: 0) == 0)
        let sigma = try DPFedAvg.noiseMultiplier(targetEpsilon: 8, rounds: 40, samplingRate: 0.1, delta: 1e-5)
        #expect(try PrivacyCalibration.epsilon(noiseMultiplier: sigma, samplingRate: 0.1, steps: 40, delta: 1e-5) <= 8)
    }

    @Test func clipsEachUpdateAndAddsNoiseOfTheStatedScale() throws {
        let plan = try DPFedAvg(clipNorm: 1, noiseMultiplier: 2, samplingRate: 0.5, population: 4, delta: 1e-5)
        var random = DPRandomSource(.seededInsecure(seed: 7))
        let big = ClientUpdate(client: 0, delta: [Float](repeating: 10, count: 4000), exampleCount: 1)
        let a = try plan.aggregate([big], dimension: 4000, using: &random)
        #expect(a.verdicts[0].note?.hasPrefix("clipped") == true)
        // Mean over coordinates ≈ clipped value / (qN); spread ≈ σS / (qN) = 1.
        let clipped = 10 / (10 * Float(4000).squareRoot()) / 2
        let mean = a.delta.reduce(0, +) / 4000
        let variance = a.delta.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 4000
        #expect(abs(mean - clipped) < 0.1)
        #expect(abs(variance.squareRoot() - 1) < 0.05)
    }

    @Test func samplingIsPoissonAtTheStatedRate() throws {
        let plan = try DPFedAvg(clipNorm: 1, noiseMultiplier: 1, samplingRate: 0.2, population: 1000, delta: 1e-5)
        var random = DPRandomSource(.seededInsecure(seed: 3))
        let counts = (0..<50).map { _ in plan.sampleClients(using: &random).count }
        let mean = Double(counts.reduce(0, +)) / 50
        #expect(abs(mean - 200) < 10)
        #expect(Set(counts).count > 5)
    }

    @Test func refusesPlansWithoutNoise() {
        #expect(throws: FederatedError.self) { try DPFedAvg(clipNorm: 1, noiseMultiplier: 0, samplingRate: 0.1, population: 10, delta: 1e-5) }
        #expect(throws: FederatedError.self) { try DPFedAvg(clipNorm: 0, noiseMultiplier: 1, samplingRate: 0.1, population: 10, delta: 1e-5) }
        #expect(throws: FederatedError.self) { try DPFedAvg(clipNorm: 1, noiseMultiplier: 1, samplingRate: 1.5, population: 10, delta: 1e-5) }
    }
}

@Suite struct LocalDPTests {
    @Test func clipsAddsNoiseAndAccountsAsAGaussianOfSensitivityTwoS() throws {
        let ldp = try LocalDP(clipNorm: 1, noiseMultiplier: 4, delta: 1e-5)
        var random = DPRandomSource(.seededInsecure(seed: 3))
        let out = ldp.privatize([Float](repeating: 5, count: 10_000), using: &random)
        let mean = out.reduce(0, +) / Float(out.count)
        let sd = (out.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(out.count)).squareRoot()
        #expect(abs(mean - 0.01) < 0.1)        // clipped: 5 / (5·√10 000) per coordinate
        #expect(abs(sd - 4) < 0.1)
        let expected = try PrivacyCalibration.epsilon(noiseMultiplier: 2, samplingRate: 1, steps: 10, delta: 1e-5)
        #expect(try ldp.epsilon(afterRounds: 10) == expected)
        #expect(throws: FederatedError.self) { try LocalDP(clipNorm: 1, noiseMultiplier: 0, delta: 1e-5) }
    }
}
