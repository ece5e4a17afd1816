import Foundation
import Testing
@testable import BulwarkPrivacy

@Test func discreteLaplaceMomentsMatchTheory() throws {
    var generator = InsecureSeededGeneratorForTestsOnly(seed: 7)
    let t = 3, n = 50_000
    var sum = 0.0, squares = 0.0, zeros = 0
    for _ in 0..<n {
        let x = try DiscreteLaplace.sample(scaleNumerator: t, using: &generator)
        sum += Double(x); squares += Double(x * x)
        if x == 0 { zeros += 1 }
    }
    let p = exp(-1.0 / Double(t))
    let variance = 2 * p / ((1 - p) * (1 - p))
    #expect(abs(sum / Double(n)) < 0.1)
    #expect(abs(squares / Double(n) - variance) < 0.05 * variance)
    // P(0) = (1 − p)/(1 + p).
    #expect(abs(Double(zeros) / Double(n) - (1 - p) / (1 + p)) < 0.01)
}

@Test func discreteLaplaceRejectsBadScale() {
    #expect(throws: PrivacyError.self) { try DiscreteLaplace.sample(scaleNumerator: 0) }
}
