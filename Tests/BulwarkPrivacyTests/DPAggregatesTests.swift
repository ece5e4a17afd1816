import Foundation
import Testing
@testable import BulwarkPrivacy

@Test func noisyCountHasDiscreteLaplaceNoise() throws {
    var queries = try DPAggregates(budget: 1e6, generator: InsecureSeededGeneratorForTestsOnly(seed: 29))
    let eps = 0.5, n = 4000
    let noise = try (0..<n).map { _ in Double(try queries.count(100, epsilon: eps) - 100) }
    let mean = noise.reduce(0, +) / Double(n)
    let variance = noise.reduce(0) { $0 + $1 * $1 } / Double(n)
    let p = exp(-eps), expected = 2 * p / ((1 - p) * (1 - p))  // scale rounded up by < 2^-20
    #expect(abs(mean) < 4 * (expected / Double(n)).squareRoot())
    #expect(abs(variance - expected) < 0.1 * expected)
    #expect(abs(queries.budget.spent - eps * Double(n)) < 1e-6)
}

@Test func sumAndMeanClampTheirInputs() throws {
    var queries = try DPAggregates(budget: 1e6, generator: InsecureSeededGeneratorForTestsOnly(seed: 31))
    let values = [1000.0, -5, 5, 2.5]  // clamped to [0, 10]: 10 + 0 + 5 + 2.5 = 17.5
    var sums: [Double] = [], means: [Double] = []
    for _ in 0..<400 {
        sums.append(try queries.sum(values, lower: 0, upper: 10, epsilon: 5))
        means.append(try queries.mean(values, lower: 0, upper: 10, epsilon: 50))
    }
    let meanSum: Double = sums.reduce(0, +) / 400
    let meanOfMeans: Double = means.reduce(0, +) / 400
    // Noise scale Δ/ε = 10/5 = 2 per release, std 2√2; the average of 400 has std ≈ 0.14.
    #expect(abs(meanSum - 17.5) < 0.6)
    #expect(means.allSatisfy { $0 >= 0 && $0 <= 10 })
    #expect(abs(meanOfMeans - 4.375) < 0.2)
    #expect(throws: PrivacyError.self) { try queries.sum(values, lower: 1, upper: 0, epsilon: 1) }
    #expect(throws: PrivacyError.self) { try queries.sum([.nan], lower: 0, upper: 1, epsilon: 1) }
}

@Test func histogramCostsOneEpsilonAndCountsEveryBin() throws {
    var queries = try DPAggregates(budget: 2, generator: InsecureSeededGeneratorForTestsOnly(seed: 37))
    let data = Array(repeating: 0, count: 500) + Array(repeating: 1, count: 300) + Array(repeating: 2, count: 200) + [7, -3]
    let histogram = try queries.histogram(data, bins: 3, epsilon: 1)
    #expect(histogram.count == 3)
    // -3 joins bin 0 and 7 joins bin 2; noise std √2·e^{-1/2}/(1 − e^{-1}) ≈ 1.4.
    for (h, truth) in zip(histogram, [501, 300, 201]) { #expect(abs(h - truth) < 12) }
    #expect(queries.budget.spent == 1)
}

@Test func budgetIsEnforced() throws {
    var queries = try DPAggregates(budget: 1, generator: InsecureSeededGeneratorForTestsOnly(seed: 41))
    _ = try queries.count(10, epsilon: 0.5)
    _ = try queries.mean([1, 2, 3], lower: 0, upper: 5, epsilon: 0.5)
    #expect(abs(queries.budget.remaining) < 1e-12)
    #expect(throws: PrivacyError.self) { try queries.count(10, epsilon: 0.01) }
    #expect(abs(queries.budget.spent - 1) < 1e-12)
    #expect(throws: PrivacyError.self) { try PrivacyBudget(total: 0) }
    #expect(try PrivacyBudget.split(1, into: 4) == [0.25, 0.25, 0.25, 0.25])
}
