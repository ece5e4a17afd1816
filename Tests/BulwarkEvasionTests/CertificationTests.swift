import Testing
import Foundation
import BulwarkTensor
import BulwarkModels
import BulwarkEvasion

struct CertificationSpecialFunctionTests {
    @Test func incompleteBetaMatchesSciPy() {
        for r in scipyIncompleteBeta {
            let v = BetaDistribution.regularizedIncompleteBeta(r.x, a: r.a, b: r.b)
            #expect(abs(v - r.value) <= 1e-10 + 1e-8 * abs(r.value), "I_\(r.x)(\(r.a), \(r.b)) = \(v), SciPy \(r.value)")
        }
    }

    @Test func betaQuantileMatchesSciPy() {
        for r in scipyBetaQuantile {
            let v = BetaDistribution.quantile(r.q, a: r.a, b: r.b)
            #expect(abs(v - r.value) <= 1e-10 + 1e-8 * abs(r.value), "Beta(\(r.a), \(r.b)).ppf(\(r.q)) = \(v), SciPy \(r.value)")
        }
    }

    @Test func clopperPearsonLowerMatchesSciPy() {
        for r in scipyClopperPearsonLower {
            let v = BetaDistribution.clopperPearsonLower(successes: r.k, trials: r.n, alpha: r.alpha)
            #expect(abs(v - r.value) <= 1e-10, "CP lower(\(r.k)/\(r.n), α=\(r.alpha)) = \(v), SciPy \(r.value)")
        }
        #expect(BetaDistribution.clopperPearsonLower(successes: 0, trials: 10, alpha: 0.05) == 0)
    }

    @Test func binomialTestMatchesSciPy() {
        for r in scipyBinomialTestHalf {
            let v = BetaDistribution.binomialTestHalf(r.k, n: r.n)
            #expect(abs(v - r.pValue) <= 1e-10 + 1e-8 * r.pValue, "binomtest(\(r.k), \(r.n)) = \(v), SciPy \(r.pValue)")
        }
    }

    @Test func normalQuantileMatchesSciPy() {
        for r in scipyNormalQuantile {
            let v = BetaDistribution.normalQuantile(r.p)
            #expect(abs(v - r.value) <= 1e-9, "Φ⁻¹(\(r.p)) = \(v), SciPy \(r.value)")
        }
    }

    @Test func upperBoundIsAboveLowerBound() {
        let lo = BetaDistribution.clopperPearsonLower(successes: 30, trials: 100, alpha: 0.025)
        let hi = BetaDistribution.clopperPearsonUpper(successes: 30, trials: 100, alpha: 0.025)
        #expect(lo < 0.3 && 0.3 < hi)
    }
}

/// Two classes split by the hyperplane `x₀ = 0.5` in 8 dimensions: the distance of `x` to the
/// boundary is `|x₀ − 0.5|`, the exact L2 robustness radius of the base (and, at the boundary's
/// symmetric noise, of the smoothed) classifier.
struct HalfSpaceClassifier: DifferentiableClassifier {
    var inputShape: [Int] { [8] }
    var classCount: Int { 2 }
    func logits(_ input: Variable) -> Variable {
        let tape = input.tape
        var w = [Float](repeating: 0, count: 16)
        w[8] = 10  // class 1 logit = 10 x₀
        let b = Tensor([5, 0])  // class 0 logit = 5, so class 1 wins iff x₀ > 0.5
        return matmul(input, tape.constant(Tensor(shape: [2, 8], scalars: w)), transposeB: true) + tape.constant(b)
    }
}

struct RandomizedSmoothingTests {
    @Test func certifiedRadiusIsSoundAndNearTheTrueRadius() throws {
        let model = HalfSpaceClassifier()
        let smoothing = try RandomizedSmoothing(base: model, sigma: 0.25, n0: 100, n: 10_000, alpha: 0.001)
        for x0: Float in [0.9, 0.7, 0.2] {
            var x = [Float](repeating: 0.5, count: 8)
            x[0] = x0
            let c = smoothing.certify(Tensor(shape: [8], scalars: x), seed: 3)
            let expectedClass = x0 > 0.5 ? 1 : 0
            let trueRadius = Double(abs(x0 - 0.5))
            #expect(c.prediction == expectedClass)
            // For a half-space, g's true radius equals the distance to the plane; the certificate
            // can only be smaller (soundness) but should be close with 10 000 draws.
            #expect(c.radius <= trueRadius + 1e-9)
            #expect(c.radius >= trueRadius * 0.85, "radius \(c.radius) far below \(trueRadius)")
        }
    }

    @Test func abstainsAtTheBoundaryAndPredictsAwayFromIt() throws {
        let smoothing = try RandomizedSmoothing(base: HalfSpaceClassifier(), sigma: 0.25, n0: 100, n: 2000, alpha: 0.001)
        var x = [Float](repeating: 0.5, count: 8)
        x[0] = 0.5
        #expect(smoothing.certify(Tensor(shape: [8], scalars: x), seed: 1).prediction == nil)
        #expect(smoothing.predict(Tensor(shape: [8], scalars: x), seed: 1) == nil)
        x[0] = 0.8
        #expect(smoothing.predict(Tensor(shape: [8], scalars: x), seed: 1) == 1)
    }

    @Test func curveIsMonotoneAndReproducible() throws {
        let (x, y) = blobs(count: 30, seed: 5)
        let smoothing = try RandomizedSmoothing(base: trainedMLP, sigma: 0.1, n0: 50, n: 300, alpha: 0.01)
        let a = try smoothing.certify(inputs: x, labels: y, radii: [0, 0.05, 0.1, 0.2, 1], seed: 9)
        let b = try smoothing.certify(inputs: x, labels: y, radii: [0, 0.05, 0.1, 0.2, 1], seed: 9)
        #expect(a.examples == b.examples)
        #expect(zip(a.curve, a.curve.dropFirst()).allSatisfy { $0.certifiedAccuracy >= $1.certifiedAccuracy })
        #expect(a.curve[0].certifiedAccuracy > 0.8)
        // Radius is capped by σ Φ⁻¹ of the best possible bound with n = 300 draws: nothing at radius 1.
        #expect(a.curve.last?.certifiedAccuracy == 0)
        let data = try JSONEncoder().encode(a)
        #expect(try JSONDecoder().decode(CertificationResult.self, from: data) == a)
    }

    @Test func rejectsBadInput() throws {
        #expect(throws: EvasionError.self) { try RandomizedSmoothing(base: trainedMLP, sigma: 0) }
        let s = try RandomizedSmoothing(base: trainedMLP, sigma: 0.1, n0: 10, n: 10)
        #expect(throws: EvasionError.self) { try s.certify(inputs: Tensor.zeros([2, 16]), labels: [0], radii: [0], seed: 0) }
        #expect(throws: EvasionError.self) { try s.certify(inputs: Tensor.zeros([1, 16]), labels: [7], radii: [0], seed: 0) }
    }
}
