import Foundation
import Testing
@testable import BulwarkDP
@testable import BulwarkPrivacy

private struct PLDFixture: Decodable {
    struct Row: Decodable, Sendable { let noiseMultiplier, samplingRate: Double; let steps: Int; let delta, epsilon: Double }
    let rows: [Row]
}

private func pldFixtureRows() throws -> [PLDFixture.Row] {
    let url = try #require(Bundle.module.url(forResource: "pld_fixtures", withExtension: "json", subdirectory: "Fixtures"))
    return try JSONDecoder().decode(PLDFixture.self, from: Data(contentsOf: url)).rows
}

/// The whole issue-8 grid (σ 0.5–4, q 0.001–0.1, T 100–10,000, δ = 1e-5) against dp-accounting 0.6.0's
/// PLDAccountant; rows run two at a time (about 6 s of CPU in all).
@Test func pldAgreesWithDPAccountingOnTheGrid() async throws {
    let rows = try pldFixtureRows()
    #expect(rows.count == 45)
    let results = try await withThrowingTaskGroup(of: (PLDFixture.Row, Double).self) { group in
        var iterator = rows.makeIterator(), out: [(PLDFixture.Row, Double)] = []
        func add(_ row: PLDFixture.Row) {
            group.addTask {
                (row, try PrivacyCalibration.epsilon(noiseMultiplier: row.noiseMultiplier, samplingRate: row.samplingRate,
                                                     steps: row.steps, delta: row.delta, accountant: .pld))
            }
        }
        for _ in 0..<2 { if let row = iterator.next() { add(row) } }
        while let result = try await group.next() {
            out.append(result)
            if let row = iterator.next() { add(row) }
        }
        return out
    }
    #expect(results.count == rows.count)
    for (row, eps) in results {
        let rel = abs(eps - row.epsilon) / row.epsilon
        #expect(rel < 1e-3, "σ=\(row.noiseMultiplier) q=\(row.samplingRate) T=\(row.steps): \(eps) vs \(row.epsilon)")
    }
}

@Test func pldIsTighterThanRDPForManySteps() throws {
    let pld = try PrivacyCalibration.epsilon(noiseMultiplier: 1.1, samplingRate: 0.01, steps: 1000, delta: 1e-5, accountant: .pld)
    let rdp = try PrivacyCalibration.epsilon(noiseMultiplier: 1.1, samplingRate: 0.01, steps: 1000, delta: 1e-5)
    #expect(pld < rdp)
    #expect(pld > 0.8 * rdp)
}

/// Without subsampling the Gaussian PLD is exact in closed form: δ(ε) is Balle & Wang's formula with
/// σ/√T, so the pessimistic discretisation must be slightly above and within 1e-3 of it.
@Test func pldMatchesTheGaussianClosedFormWithoutSampling() throws {
    var accountant = try PLDAccountant()
    try accountant.compose(.poissonSubsampledGaussian(noiseMultiplier: 2, samplingRate: 1, steps: 16))
    let exact = try GaussianCalibration.delta(sigma: 2 / 4, epsilon: 3)
    let delta = try accountant.delta(epsilon: 3)
    #expect(delta >= exact * (1 - 1e-9))
    #expect(abs(delta - exact) / exact < 1e-3)
}

@Test func pldDeltaAndEpsilonAreInverse() throws {
    var accountant = try PLDAccountant()
    try accountant.compose(.poissonSubsampledGaussian(noiseMultiplier: 1.1, samplingRate: 0.01, steps: 500))
    let eps = try accountant.epsilon(delta: 1e-5)
    #expect(abs(try accountant.delta(epsilon: eps) - 1e-5) < 1e-9)
    #expect(try accountant.delta(epsilon: eps * 0.9) > 1e-5)
}

@Test func pldComposesEventsLikeOneLongerEvent() throws {
    var split = try PLDAccountant(), whole = try PLDAccountant()
    try split.compose(.poissonSubsampledGaussian(noiseMultiplier: 1.1, samplingRate: 0.01, steps: 300))
    try split.compose(.poissonSubsampledGaussian(noiseMultiplier: 1.1, samplingRate: 0.01, steps: 700))
    try whole.compose(.poissonSubsampledGaussian(noiseMultiplier: 1.1, samplingRate: 0.01, steps: 1000))
    let a = try split.epsilon(delta: 1e-5), b = try whole.epsilon(delta: 1e-5)
    #expect(abs(a - b) / b < 1e-6)
}

@Test func pldEdgeCasesAndBadInput() throws {
    var empty = try PLDAccountant()
    #expect(try empty.epsilon(delta: 1e-5) == 0)
    try empty.compose(.poissonSubsampledGaussian(noiseMultiplier: 1, samplingRate: 0, steps: 100))
    #expect(try empty.epsilon(delta: 1e-5) == 0)
    var open = try PLDAccountant()
    try open.compose(.poissonSubsampledGaussian(noiseMultiplier: 0, samplingRate: 0.1, steps: 10))
    #expect(try open.epsilon(delta: 1e-5) == .infinity)
    var acc = try PLDAccountant()
    #expect(throws: PrivacyError.self) { try acc.compose(.poissonSubsampledGaussian(noiseMultiplier: 1, samplingRate: 1.5, steps: 1)) }
    #expect(throws: PrivacyError.self) { try acc.compose(.poissonSubsampledGaussian(noiseMultiplier: .nan, samplingRate: 0.1, steps: 1)) }
    #expect(throws: PrivacyError.self) { try acc.compose(.poissonSubsampledGaussian(noiseMultiplier: 1, samplingRate: 0.1, steps: -1)) }
    #expect(throws: PrivacyError.self) { try acc.compose(.poissonSubsampledGaussian(noiseMultiplier: 0.01, samplingRate: 0.1, steps: 1)) }
    #expect(throws: PrivacyError.self) { try acc.epsilon(delta: 0) }
    #expect(throws: PrivacyError.self) { try PLDAccountant(valueDiscretizationInterval: 0) }
}

@Test func pldNoiseCalibrationInvertsEpsilon() throws {
    let sigma = try PrivacyCalibration.noiseMultiplier(targetEpsilon: 2, samplingRate: 0.01, steps: 1000, delta: 1e-5,
                                                       tolerance: 1e-4, accountant: .pld)
    #expect(try PrivacyCalibration.epsilon(noiseMultiplier: sigma, samplingRate: 0.01, steps: 1000, delta: 1e-5, accountant: .pld) <= 2)
    #expect(try PrivacyCalibration.epsilon(noiseMultiplier: sigma * (1 - 2e-4), samplingRate: 0.01, steps: 1000, delta: 1e-5, accountant: .pld) > 2)
    let rdpSigma = try PrivacyCalibration.noiseMultiplier(targetEpsilon: 2, samplingRate: 0.01, steps: 1000, delta: 1e-5)
    #expect(sigma < rdpSigma)
}

@Test func pldStepsCalibrationIsTheLargestWithinTarget() throws {
    let steps = try PrivacyCalibration.steps(targetEpsilon: 1, noiseMultiplier: 1.1, samplingRate: 0.01, delta: 1e-5, accountant: .pld)
    #expect(steps > 100)
    #expect(try PrivacyCalibration.epsilon(noiseMultiplier: 1.1, samplingRate: 0.01, steps: steps, delta: 1e-5, accountant: .pld) <= 1)
    #expect(try PrivacyCalibration.epsilon(noiseMultiplier: 1.1, samplingRate: 0.01, steps: steps + 1, delta: 1e-5, accountant: .pld) > 1)
    let rdpSteps = try PrivacyCalibration.steps(targetEpsilon: 1, noiseMultiplier: 1.1, samplingRate: 0.01, delta: 1e-5)
    #expect(steps >= rdpSteps)
}

/// The FFT convolution agrees with the direct sum.
@Test func realFFTConvolutionMatchesDirectSum() {
    var generator = InsecureSeededGeneratorForTestsOnly(seed: 3)
    let a = (0..<37).map { _ in Double.random(in: 0...1, using: &generator) }
    let b = (0..<50).map { _ in Double.random(in: 0...1, using: &generator) }
    var direct = [Double](repeating: 0, count: a.count + b.count - 1)
    for i in a.indices { for j in b.indices { direct[i + j] += a[i] * b[j] } }
    let fft = RealFFT(length: RealFFT.size(atLeast: direct.count))
    let (ar, ai) = fft.forward(a)
    let (br, bi) = fft.forward(b)
    let pr = zip(zip(ar, ai), zip(br, bi)).map { $0.0 * $1.0 - $0.1 * $1.1 }
    let pi = zip(zip(ar, ai), zip(br, bi)).map { $0.0 * $1.1 + $0.1 * $1.0 }
    let out = fft.inverse(re: pr, im: pi)
    for k in direct.indices { #expect(abs(out[k] - direct[k]) < 1e-12) }
    for k in direct.count..<fft.length { #expect(abs(out[k]) < 1e-12) }
}

/// A transform larger than the in-cache block (recursive radix-2² path) round-trips and convolves correctly.
@Test func realFFTLargeConvolutionMatchesDirectSum() {
    var generator = InsecureSeededGeneratorForTestsOnly(seed: 4)
    let a = (0..<9000).map { _ in Double.random(in: 0...1, using: &generator) }
    let b = (0..<9001).map { _ in Double.random(in: 0...1, using: &generator) }
    let fft = RealFFT(length: RealFFT.size(atLeast: a.count + b.count - 1))
    #expect(fft.length == 1 << 15)
    let (ar, ai) = fft.forward(a)
    let (br, bi) = fft.forward(b)
    var pr = ar, pi = ai
    for k in ar.indices { pr[k] = ar[k] * br[k] - ai[k] * bi[k]; pi[k] = ar[k] * bi[k] + ai[k] * br[k] }
    let out = fft.inverse(re: pr, im: pi)
    var worst = 0.0
    for k in stride(from: 0, to: a.count + b.count - 1, by: 97) {
        var direct = 0.0
        for i in max(0, k - b.count + 1)...min(k, a.count - 1) { direct += a[i] * b[k - i] }
        worst = max(worst, abs(out[k] - direct))
    }
    #expect(worst < 1e-9)
    let roundTrip = fft.inverse(re: ar, im: ai)
    #expect(zip(roundTrip, a).allSatisfy { abs($0 - $1) < 1e-13 })
}
