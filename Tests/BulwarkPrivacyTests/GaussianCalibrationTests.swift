import Foundation
import Testing
@testable import BulwarkPrivacy

private struct GaussianFixture: Decodable {
    struct Row: Decodable { let sigma, epsilon, delta: Double }
    let rows: [Row]
}

@Test func gaussianDeltaAgreesWithDPAccounting() throws {
    let url = try #require(Bundle.module.url(forResource: "gaussian_fixtures", withExtension: "json", subdirectory: "Fixtures"))
    let fixture = try JSONDecoder().decode(GaussianFixture.self, from: Data(contentsOf: url))
    #expect(fixture.rows.count == 20)
    for row in fixture.rows {
        let delta = try GaussianCalibration.delta(sigma: row.sigma, epsilon: row.epsilon)
        #expect(abs(delta - row.delta) <= 1e-9 * max(row.delta, 1e-300), "σ=\(row.sigma) ε=\(row.epsilon): \(delta) vs \(row.delta)")
    }
}

@Test func analyticSigmaReachesDeltaAndBeatsClassic() throws {
    let sigma = try GaussianCalibration.analyticSigma(epsilon: 1, delta: 1e-5)
    // Balle & Wang (2018) report σ ≈ 3.73 for ε = 1, δ = 1e-5, Δ = 1.
    #expect(abs(sigma - 3.73) < 0.01)
    #expect(try GaussianCalibration.delta(sigma: sigma, epsilon: 1) <= 1e-5)
    #expect(try GaussianCalibration.delta(sigma: sigma * (1 - 1e-6), epsilon: 1) > 1e-5)
    #expect(try GaussianCalibration.classicSigma(epsilon: 0.9, delta: 1e-5) > (try GaussianCalibration.analyticSigma(epsilon: 0.9, delta: 1e-5)))
    #expect(throws: PrivacyError.self) { try GaussianCalibration.classicSigma(epsilon: 2, delta: 1e-5) }
}
