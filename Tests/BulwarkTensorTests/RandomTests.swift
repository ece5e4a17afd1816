import Testing
import BulwarkTensor

@Suite struct RandomTests {
    @Test func sameSeedSameStream() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let xa = (0..<16).map { _ in a.next() }
        #expect(xa == (0..<16).map { _ in b.next() })
        #expect(xa != (0..<16).map { _ in c.next() })
    }

    @Test func normalMoments() {
        var g = SeededGenerator(seed: 7)
        let t = Tensor.normal([20_000], mean: 1, standardDeviation: 2, using: &g)
        let mean = t.scalars.reduce(0, +) / Float(t.count)
        let variance = t.scalars.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(t.count)
        #expect(abs(mean - 1) < 0.05)
        #expect(abs(variance - 4) < 0.15)
    }

    @Test func permutationIsAPermutation() {
        var g = SeededGenerator(seed: 1)
        let p = randomPermutation(1000, using: &g)
        #expect(p.sorted() == Array(0..<1000))
        #expect(p != Array(0..<1000))
    }
}
