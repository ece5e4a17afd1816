import BulwarkExtraction
import Foundation
import Testing

@Test func binomialUpperTailMatchesSciPy() {
    for c in scipyBinomialUpperTails {
        let log = BinomialTail.logUpperTail(atLeast: c.k, trials: c.n, probability: c.p)
        let tail = BinomialTail.upperTail(atLeast: c.k, trials: c.n, probability: c.p)
        if c.logTail.isFinite {
            #expect(abs(log - c.logTail) <= 1e-9 * max(1, abs(c.logTail)), "log P[X ≥ \(c.k)], n \(c.n), p \(c.p): \(log) vs \(c.logTail)")
            #expect(abs(tail - c.tail) <= 1e-9 * c.tail, "P[X ≥ \(c.k)], n \(c.n), p \(c.p): \(tail) vs \(c.tail)")
        } else {
            // SciPy's logsf underflows to -inf; the one-term tail k = n is n·log p exactly.
            #expect(c.k == c.n && tail == 0)
            #expect(abs(log - Double(c.n) * Foundation.log(c.p)) <= 1e-9 * abs(log))
        }
    }
}

@Test func binomialUpperTailEdges() {
    #expect(BinomialTail.upperTail(atLeast: 0, trials: 5, probability: 0.3) == 1)
    #expect(BinomialTail.upperTail(atLeast: 6, trials: 5, probability: 0.3) == 0)
    #expect(BinomialTail.upperTail(atLeast: 1, trials: 5, probability: 0) == 0)
    #expect(BinomialTail.upperTail(atLeast: 5, trials: 5, probability: 1) == 1)
    // Far below Double's range the logarithm stays finite: 2000 matches of 2000 at p0 = 0.1.
    #expect(abs(BinomialTail.logUpperTail(atLeast: 2000, trials: 2000, probability: 0.1) - 2000 * log(0.1)) < 1e-6)
}

@Test func ownershipTestVerifiesOnlyBelowThreshold() {
    let strong = OwnershipVerifier.test(matches: 20, keySize: 20, chanceAgreement: 0.1, threshold: 1e-6, method: .triggerSet)
    #expect(strong.verified && strong.pValue < 1e-19)
    let weak = OwnershipVerifier.test(matches: 5, keySize: 20, chanceAgreement: 0.1, threshold: 1e-6, method: .triggerSet)
    #expect(!weak.verified && weak.pValue > 0.01)
}

@Test func chanceAgreementTakesTheLargestOfFloorMaximumAndBound() {
    #expect(ChanceAgreement.estimate(rates: [], keySize: 100, floor: 0.1) == 0.1)
    let p0 = ChanceAgreement.estimate(rates: [0.08, 0.12, 0.10], keySize: 100, floor: 0.1)
    #expect(p0 > 0.12 && p0 < 0.2)   // the Wilson bound of 30/300 lies above the largest single rate
}
