import Foundation
import Testing
import BulwarkTensor

/// The vectorised tanh against the C library's, ulp by ulp.
@Suite struct TanhTests {
    /// Distance in float ulps (same sign assumed; 0 for equal values).
    private func ulps(_ a: Float, _ b: Float) -> Int {
        abs(Int(Int32(bitPattern: a.bitPattern)) - Int(Int32(bitPattern: b.bitPattern)))
    }

    @Test func withinAFewUlpsOfTheCLibraryEverywhere() {
        var values: [Float] = []
        // a fine grid over [-12, 12], every branch boundary (0.3, 9) and its neighbours, tiny values
        for k in -24_000...24_000 { values.append(Float(k) / 2000) }
        for edge: Float in [0.3, 9, 1e-3, 1e-10, 0.625, 4] {
            for v in [edge.nextDown, edge, edge.nextUp] { values += [v, -v] }
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { values.append(Float.random(in: -20...20, using: &rng)) }
        let y = Tensor(shape: [values.count], scalars: values).tanh()
        var worst = 0
        for (x, t) in zip(values, y.scalars) {
            let expected = Foundation.tanh(x)
            #expect(t.sign == expected.sign || expected == 0, "\(x)")
            worst = max(worst, ulps(t, expected))
        }
        #expect(worst <= 4, "worst \(worst) ulps")
    }

    @Test func specialValuesAndPositionIndependence() {
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 100, -100, .leastNonzeroMagnitude, -.greatestFiniteMagnitude]
        let y = Tensor(shape: [specials.count], scalars: specials).tanh().scalars
        #expect(y[0] == 0 && y[0].sign == .plus && y[1] == 0 && y[1].sign == .minus)
        #expect(y[2] == 1 && y[3] == -1 && y[4].isNaN && y[5] == 1 && y[6] == -1)
        #expect(y[7] == .leastNonzeroMagnitude && y[8] == -1)
        // a value's tanh is the same whether it falls in a full group of eight or in the tail
        let x = (0..<21).map { Float($0) * 0.173 - 1.7 }
        let whole = Tensor(shape: [21], scalars: x).tanh().scalars
        for start in [0, 3, 13] {
            let part = Tensor(shape: [21 - start], scalars: Array(x[start...])).tanh().scalars
            #expect(part == Array(whole[start...]))
        }
    }
}
