@testable import BulwarkExtraction
import Testing
import BulwarkTensor

@Test func shapiroWilkMatchesSciPy() throws {
    for answer in shapiroKnownAnswers {
        let result = try ShapiroWilk.test(answer.sample)
        #expect(abs(result.w - answer.w) < 1e-8, "\(answer.name): W \(result.w) vs SciPy \(answer.w)")
        #expect(abs(result.pValue - answer.pValue) <= 1e-6 * answer.pValue, "\(answer.name): p \(result.pValue) vs SciPy \(answer.pValue)")
    }
}

@Test func shapiroWilkCoefficientsHaveUnitNormAndOrderDoesNotMatter() throws {
    for n in [3, 4, 5, 6, 11, 50, 999] {
        let a = ShapiroWilk.coefficients(n)
        #expect(abs(2 * a.reduce(0) { $0 + $1 * $1 } - 1) < 1e-9, "n=\(n)")
        #expect(zip(a, a.dropFirst()).allSatisfy { $0 > $1 }, "n=\(n): coefficients decrease")
    }
    let sample = shapiroKnownAnswers[7].sample
    #expect(try ShapiroWilk.test(sample) == ShapiroWilk.test(sample.reversed()))
}

@Test func normalQuantileKnownValues() {
    // Φ⁻¹ values from standard tables (to 15 digits).
    #expect(abs(ShapiroWilk.normalQuantile(0.975) - 1.959963984540054) < 1e-12)
    #expect(abs(ShapiroWilk.normalQuantile(0.5)) < 1e-15)
    #expect(abs(ShapiroWilk.normalQuantile(0.001) + 3.090232306167814) < 1e-11)
    #expect(abs(ShapiroWilk.normalQuantile(1e-10) + 6.361340902404056) < 1e-9)
}

@Test func shapiroWilkRefusesTooFewOrNonFiniteValuesAndAnswersOneForAConstant() throws {
    #expect(throws: ExtractionError.self) { try ShapiroWilk.test([1, 2]) }
    #expect(throws: ExtractionError.self) { try ShapiroWilk.test([1, .nan, 3, 4]) }
    #expect(try ShapiroWilk.test([2, 2, 2, 2, 2]) == ShapiroWilk.Result(w: 1, pValue: 1))
}

@Test func shapiroWilkOnASortedSliceMatchesTheTestOfItsValues() throws {
    var rng = SeededGenerator(seed: 11)
    let values = (0..<400).map { _ in Double.random(in: 0...10, using: &rng) }.sorted()
    for range in [0..<400, 37..<291, 100..<103] {
        #expect(try ShapiroWilk.test(sorted: values[range]) == ShapiroWilk.test(Array(values[range]).shuffled(using: &rng)), "\(range)")
    }
    #expect(throws: ExtractionError.self) { try ShapiroWilk.test(sorted: values[5..<7]) }
    #expect(throws: ExtractionError.self) { try ShapiroWilk.test(sorted: ([1, 2, .infinity] as [Double])[...]) }
}
