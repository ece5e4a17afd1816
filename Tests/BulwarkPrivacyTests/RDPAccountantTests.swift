import Foundation
import Testing
@testable import BulwarkPrivacy

private struct Fixture: Decodable {
    struct Row: Decodable { let noiseMultiplier, samplingRate: Double; let steps: Int; let delta, epsilon: Double }
    let rows: [Row]
}

@Test func rdpAgreesWithDPAccounting() throws {
    let url = try #require(Bundle.module.url(forResource: "rdp_fixtures", withExtension: "json", subdirectory: "Fixtures"))
    let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    #expect(fixture.rows.count > 50)
    for row in fixture.rows {
        var acc = try RDPAccountant()
        try acc.compose(.poissonSubsampledGaussian(noiseMultiplier: row.noiseMultiplier, samplingRate: row.samplingRate, steps: row.steps))
        let eps = try acc.epsilon(delta: row.delta)
        let rel = abs(eps - row.epsilon) / max(abs(row.epsilon), 1e-12)
        #expect(rel < 1e-6, "σ=\(row.noiseMultiplier) q=\(row.samplingRate) T=\(row.steps) δ=\(row.delta): \(eps) vs \(row.epsilon)")
    }
}

@Test func defaultOrdersMatchDPAccounting() {
    #expect(RDPAccountant.defaultOrders.count == 99 + 53 + 4)
    #expect(RDPAccountant.defaultOrders.first == 1.1)
    #expect(RDPAccountant.defaultOrders.last == 1024)
}

@Test func invalidParametersThrow() throws {
    var acc = try RDPAccountant()
    #expect(throws: PrivacyError.self) { try acc.compose(.poissonSubsampledGaussian(noiseMultiplier: 1, samplingRate: 1.5, steps: 1)) }
    #expect(throws: PrivacyError.self) { try acc.compose(.poissonSubsampledGaussian(noiseMultiplier: -1, samplingRate: 0.1, steps: 1)) }
    #expect(throws: PrivacyError.self) { try acc.epsilon(delta: 0) }
    #expect(throws: PrivacyError.self) { try acc.epsilon(delta: .nan) }
}

@Test func zeroNoiseGivesInfiniteEpsilonNotNaN() throws {
    var acc = try RDPAccountant()
    try acc.compose(.poissonSubsampledGaussian(noiseMultiplier: 0, samplingRate: 0.1, steps: 10))
    #expect(try acc.epsilon(delta: 1e-5) == .infinity)
}

@Test func noiseCalibrationInvertsEpsilon() throws {
    let sigma = try PrivacyCalibration.noiseMultiplier(targetEpsilon: 1, samplingRate: 0.01, steps: 1000, delta: 1e-5)
    let eps = try PrivacyCalibration.epsilon(noiseMultiplier: sigma, samplingRate: 0.01, steps: 1000, delta: 1e-5)
    #expect(eps <= 1)
    let epsBelow = try PrivacyCalibration.epsilon(noiseMultiplier: sigma * (1 - 1e-5), samplingRate: 0.01, steps: 1000, delta: 1e-5)
    #expect(epsBelow > 1 - 1e-3)
    #expect(epsBelow > eps)
}

@Test func stepsCalibrationIsTheLargestWithinTarget() throws {
    let steps = try PrivacyCalibration.steps(targetEpsilon: 2, noiseMultiplier: 1.1, samplingRate: 0.01, delta: 1e-5)
    #expect(steps > 0)
    #expect(try PrivacyCalibration.epsilon(noiseMultiplier: 1.1, samplingRate: 0.01, steps: steps, delta: 1e-5) <= 2)
    #expect(try PrivacyCalibration.epsilon(noiseMultiplier: 1.1, samplingRate: 0.01, steps: steps + 1, delta: 1e-5) > 2)
}
