import Foundation
import Testing
@testable import BulwarkDP
@testable import BulwarkPrivacy

/// Mean and variance of samples.
private func moments(_ xs: [Double]) -> (mean: Double, variance: Double) {
    let mean = xs.reduce(0, +) / Double(xs.count)
    let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)
    return (mean, variance)
}

@Test func snappedLaplaceHasTheLaplaceMomentsOnItsGrid() throws {
    var generator = InsecureSeededGeneratorForTestsOnly(seed: 11)
    let mechanism = try LaplaceMechanism(epsilon: 0.1, sensitivity: 1, bound: 10_000)
    #expect(mechanism.scale == 10)
    #expect(mechanism.granularity == 16)
    #expect(abs(mechanism.guaranteedEpsilon - 0.1 * (1 + 10_000 * 0x1p-49)) < 1e-18)
    let samples = try (0..<20_000).map { _ in try mechanism.release(3.7, using: &generator) }
    #expect(samples.allSatisfy { $0.remainder(dividingBy: 16) == 0 && abs($0) <= 10_000 })
    let (mean, variance) = moments(samples)
    // Laplace variance 2b² plus the rounding's Λ²/12; standard error of the mean ≈ 0.105.
    #expect(abs(mean - 3.7) < 0.5)
    let expected = 2 * 100 + 256.0 / 12
    #expect(abs(variance - expected) < 0.05 * expected)
}

@Test func snappedLaplaceRefusesBoundsOutsideMironovsCondition() {
    #expect(throws: PrivacyError.self) { try LaplaceMechanism(epsilon: 1, sensitivity: 1, bound: 0.5) }
    #expect(throws: PrivacyError.self) { try LaplaceMechanism(epsilon: 0, sensitivity: 1, bound: 100) }
    #expect(throws: PrivacyError.self) { try LaplaceMechanism(epsilon: 1, sensitivity: 1, bound: 100).release(.nan) }
}

@Test func fullPrecisionUniformIsUniform() {
    var generator = InsecureSeededGeneratorForTestsOnly(seed: 5)
    let xs = (0..<100_000).map { _ in RandomDraws.uniformFullPrecision(using: &generator) }
    #expect(xs.allSatisfy { $0 > 0 && $0 < 1 })
    let (mean, variance) = moments(xs)
    #expect(abs(mean - 0.5) < 0.004)
    #expect(abs(variance - 1.0 / 12) < 0.002)
    // P(U < 2^-10) = 2^-10: about 98 of 100,000.
    let small = xs.filter { $0 < 0x1p-10 }.count
    #expect(small > 60 && small < 140)
}

@Test func gaussianMechanismCalibratesAndSamplesOnTheLattice() throws {
    var generator = InsecureSeededGeneratorForTestsOnly(seed: 13)
    let mechanism = try GaussianMechanism(epsilon: 1, delta: 1e-5)
    #expect(abs(mechanism.sigma - 3.7306) < 1e-3)
    #expect(mechanism.guaranteedDelta <= 1e-5)
    #expect(mechanism.noiseScale >= mechanism.sigma)
    #expect(mechanism.noiseScale < mechanism.sigma * 1.01)
    let samples = try (0..<20_000).map { _ in try mechanism.release(-2.25, using: &generator) }
    #expect(samples.allSatisfy { ($0 / mechanism.granularity).rounded() == $0 / mechanism.granularity })
    let (mean, variance) = moments(samples)
    #expect(abs(mean + 2.25) < 4 * mechanism.noiseScale / (20_000.0).squareRoot())
    let expected = mechanism.noiseScale * mechanism.noiseScale
    #expect(abs(variance - expected) < 0.05 * expected)
}

@Test func classicGaussianCalibrationIsTheClosedForm() throws {
    let classic = try GaussianMechanism(epsilon: 0.5, delta: 1e-6, sensitivity: 2, calibration: .classic)
    #expect(abs(classic.sigma - 2 * (2 * log(1.25 / 1e-6)).squareRoot() / 0.5) < 1e-12)
    let analytic = try GaussianMechanism(epsilon: 0.5, delta: 1e-6, sensitivity: 2)
    #expect(analytic.sigma < classic.sigma)
    #expect(throws: PrivacyError.self) { try GaussianMechanism(epsilon: 2, delta: 1e-5, calibration: .classic) }
}

@Test func discreteGaussianMomentsMatchTheory() throws {
    var generator = InsecureSeededGeneratorForTestsOnly(seed: 17)
    let n = 40_000
    let xs = try (0..<n).map { _ in Double(try DiscreteGaussian.sample(sigmaNumerator: 3, using: &generator)) }
    let (mean, variance) = moments(xs)
    let theory = try DiscreteGaussian.variance(sigma: 3)
    #expect(abs(theory - 9) < 1e-6)  // N_ℤ(0, 9)'s variance is 9 − O(e^{-2π²·9})
    #expect(abs(mean) < 4 * 3 / Double(n).squareRoot())
    #expect(abs(variance - theory) < 0.04 * theory)
    // P(0) = 1/Σ_k e^{-k²/18}.
    let total = (-60...60).reduce(0.0) { $0 + exp(-Double($1 * $1) / 18) }
    let zeros = Double(xs.filter { $0 == 0 }.count) / Double(n)
    #expect(abs(zeros - 1 / total) < 0.006)
    // Rational σ = 7/2.
    let ys = try (0..<20_000).map { _ in Double(try DiscreteGaussian.sample(sigmaNumerator: 7, sigmaDenominator: 2, using: &generator)) }
    #expect(abs(moments(ys).variance - 12.25) < 0.05 * 12.25)
}

/// CKS Theorem 7's δ equals the hockey-stick divergence of N_ℤ(0, σ²) and N_ℤ(Δ, σ²) summed point by
/// point, and stays near the continuous Gaussian's.
@Test func discreteGaussianPrivacyCurveIsTheHockeyStickDivergence() throws {
    for (sigma, eps, sensitivity) in [(2.0, 0.5, 1), (5.0, 1.0, 1), (10.0, 0.3, 3)] {
        let discrete = try DiscreteGaussian.delta(sigma: sigma, epsilon: eps, sensitivity: sensitivity)
        var total = 0.0, divergence = 0.0
        for k in -400...400 { total += exp(-Double(k * k) / (2 * sigma * sigma)) }
        for k in -400...400 {
            let p = exp(-Double(k * k) / (2 * sigma * sigma)) / total
            let shifted = Double(k - sensitivity)
            let q = exp(-shifted * shifted / (2 * sigma * sigma)) / total
            divergence += max(0, p - exp(eps) * q)
        }
        #expect(abs(discrete - divergence) < 1e-12, "σ=\(sigma) ε=\(eps): \(discrete) vs \(divergence)")
        let continuous = try GaussianCalibration.delta(sigma: sigma, epsilon: eps, sensitivity: Double(sensitivity))
        #expect(abs(discrete - continuous) / continuous < 0.1, "σ=\(sigma) ε=\(eps): \(discrete) vs continuous \(continuous)")
    }
    let sigma = try DiscreteGaussian.sigma(epsilon: 1, delta: 1e-5)
    #expect(try DiscreteGaussian.delta(sigma: sigma, epsilon: 1) <= 1e-5)
    #expect(try DiscreteGaussian.delta(sigma: sigma * (1 - 1e-5), epsilon: 1) > 1e-5)
    #expect(abs(sigma - 3.7306) < 0.05)
    #expect(throws: PrivacyError.self) { try DiscreteGaussian.sample(sigmaNumerator: 0) }
}

@Test func exponentialMechanismSelectsWithTheExactProbabilities() throws {
    var generator = InsecureSeededGeneratorForTestsOnly(seed: 19)
    let mechanism = try ExponentialMechanism(epsilon: 1)
    let utilities = [0.0, 1, 2, 3]
    let p = try mechanism.probabilities(utilities: utilities)
    let z = utilities.reduce(0) { $0 + exp($1 / 2) }
    for (pi, u) in zip(p, utilities) { #expect(abs(pi - exp(u / 2) / z) < 1e-15) }
    let n = 40_000
    var counts = [0, 0, 0, 0]
    for _ in 0..<n { counts[try mechanism.select(utilities: utilities, using: &generator)] += 1 }
    for (c, pi) in zip(counts, p) {
        let se = (pi * (1 - pi) / Double(n)).squareRoot()
        #expect(abs(Double(c) / Double(n) - pi) < 4 * se)
    }
    let monotonic = try ExponentialMechanism(epsilon: 1, monotonic: true).probabilities(utilities: [0, 1])
    #expect(abs(monotonic[1] / monotonic[0] - exp(1)) < 1e-12)
    // Huge utilities do not overflow.
    #expect(try mechanism.probabilities(utilities: [1e6, 1e6]).allSatisfy { abs($0 - 0.5) < 1e-15 })
    #expect(throws: PrivacyError.self) { try mechanism.probabilities(utilities: []) }
}

@Test func randomizedResponseIsUnbiasedAfterInversion() throws {
    var generator = InsecureSeededGeneratorForTestsOnly(seed: 23)
    let rr = try RandomizedResponse(epsilon: 1, categories: 4)
    #expect(abs(rr.keepProbability - exp(1) / (exp(1) + 3)) < 1e-15)
    #expect(abs(rr.guaranteedEpsilon - 1) < 1e-12)
    let truth = [0.1, 0.2, 0.3, 0.4], n = 60_000
    var values: [Int] = []
    for (v, f) in truth.enumerated() { values += Array(repeating: v, count: Int(f * Double(n))) }
    let reports = try values.map { try rr.respond($0, using: &generator) }
    let kept = zip(values, reports).filter { $0 == $1 }.count
    let keepSE = (rr.keepProbability * (1 - rr.keepProbability) / Double(n)).squareRoot()
    #expect(abs(Double(kept) / Double(n) - rr.keepProbability) < 4 * keepSE)
    let estimates = try rr.estimateFrequencies(reports: reports)
    // Standard error of each estimate ≈ √(1/(4n))/(p − q) ≈ 0.005.
    for (e, t) in zip(estimates, truth) { #expect(abs(e - t) < 0.02, "\(estimates)") }
    // Raw report frequencies are biased towards uniform.
    let raw = Double(reports.filter { $0 == 3 }.count) / Double(n)
    #expect(raw < 0.35)
    #expect(throws: PrivacyError.self) { try rr.respond(4, using: &generator) }
}
