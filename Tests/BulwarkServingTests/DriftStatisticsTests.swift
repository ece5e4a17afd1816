import BulwarkServing
import BulwarkTensor
import Foundation
import Testing

@Test func populationStabilityIndexMatchesNumpy() {
    for case let (reference, current, expected) in DriftKnownAnswers.psi {
        let psi = DriftStatistics.populationStabilityIndex(reference: reference, current: current)
        #expect(abs(psi - expected) <= 1e-12 * max(1, expected), "\(reference) vs \(current): \(psi), numpy \(expected)")
    }
    #expect(DriftStatistics.populationStabilityIndex(reference: [3, 4, 5], current: [3, 4, 5]) == 0)
    #expect(DriftStatistics.populationStabilityIndex(reference: [], current: []) == 0)
}

@Test func kolmogorovSmirnovMatchesScipy() {
    for case let (first, second, statistic, pValue) in DriftKnownAnswers.kolmogorovSmirnov {
        let result = DriftStatistics.kolmogorovSmirnov(first, second)
        #expect(abs(result.statistic - statistic) <= 1e-12, "D \(result.statistic), scipy \(statistic)")
        #expect(abs(result.pValue - pValue) <= 1e-9, "p \(result.pValue), scipy \(pValue)")
        // Symmetric in its two samples.
        #expect(DriftStatistics.kolmogorovSmirnov(second, first) == result)
    }
    #expect(DriftStatistics.kolmogorovSmirnov([], [1]).pValue == 1)
}

@Test func kolmogorovSurvivalMatchesScipy() {
    for (lambda, survival) in DriftKnownAnswers.kolmogorov {
        let value = DriftStatistics.kolmogorovSurvival(lambda)
        #expect(abs(value - survival) <= 1e-10, "Q(\(lambda)) = \(value), scipy \(survival)")
    }
    #expect(DriftStatistics.kolmogorovSurvival(0) == 1)
    #expect(DriftStatistics.kolmogorovSurvival(10) < 1e-80)
}

@Test func medianHeuristicAndMMDMatchNumpy() {
    let d = DriftKnownAnswers.mmdDimension
    let sigma = DriftStatistics.medianPairwiseDistance(DriftKnownAnswers.mmdFirst, dimension: d)
    #expect(abs(sigma - DriftKnownAnswers.mmdBandwidth) <= 1e-6 * DriftKnownAnswers.mmdBandwidth, "σ \(sigma)")
    let mmd = DriftStatistics.maximumMeanDiscrepancySquared(DriftKnownAnswers.mmdFirst, DriftKnownAnswers.mmdSecond, dimension: d,
                                                            bandwidth: DriftKnownAnswers.mmdBandwidth)
    #expect(abs(mmd - DriftKnownAnswers.mmdSquared) <= 1e-6, "MMD² \(mmd), numpy \(DriftKnownAnswers.mmdSquared)")
    // A sample against itself: the unbiased estimate is small and the biased part cancels.
    let same = DriftStatistics.maximumMeanDiscrepancySquared(DriftKnownAnswers.mmdFirst, DriftKnownAnswers.mmdFirst, dimension: d, bandwidth: sigma)
    #expect(abs(same) < 0.05)
}

@Test func mmdPermutationThresholdIsSeededAndSeparatesAShift() {
    var generator = SeededGenerator(seed: 7)
    let d = 4
    let reference = (0..<(120 * d)).map { _ in generator.nextNormal() }
    let sigma = DriftStatistics.medianPairwiseDistance(reference, dimension: d)
    func threshold(seed: UInt64) -> Double {
        DriftStatistics.maximumMeanDiscrepancyThreshold(reference: reference, dimension: d, bandwidth: sigma, windowSize: 40,
                                                        permutations: 200, alpha: 0.05, seed: seed)
    }
    let t = threshold(seed: 1)
    #expect(t == threshold(seed: 1))
    #expect(t > 0 && t < 0.2)
    let fresh = (0..<(40 * d)).map { _ in generator.nextNormal() }
    let shifted = (0..<(40 * d)).map { k in generator.nextNormal() + (k % d == 0 ? 1.5 : 0) }
    #expect(DriftStatistics.maximumMeanDiscrepancySquared(reference, fresh, dimension: d, bandwidth: sigma) < t)
    #expect(DriftStatistics.maximumMeanDiscrepancySquared(reference, shifted, dimension: d, bandwidth: sigma) > t)
}
