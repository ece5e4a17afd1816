import Testing
import BulwarkTensor

/// The 2×2 / stride-2 max-pool path (8 outputs at a time) against a direct definition, with
/// ties (values quantised to a few levels) and odd sizes (a dropped last row and column).
@Suite struct MaxPoolFastPathTests {
    @Test(arguments: [(9, 23), (16, 16), (4, 34)])
    func valuesIndicesAndGradientMatchTheDefinition(height: Int, width: Int) {
        var rng = SeededGenerator(seed: UInt64(height * 100 + width))
        let (n, c) = (2, 3)
        let x = Tensor(shape: [n, c, height, width], scalars: (0..<(n * c * height * width)).map { _ in
            Float(Int(rng.nextUniform() * 4)) - 1.5  // four levels: many ties
        })
        let g = Conv2DGeometry(kernel: (2, 2), stride: (2, 2))
        let (y, indices) = Pooling.maxForward(x, geometry: g)
        let (oh, ow) = (height / 2, width / 2)
        #expect(y.shape == [n, c, oh, ow])
        for p in 0..<(n * c) { for i in 0..<oh { for j in 0..<ow {
            // first maximum in the order the scalar path compares: (0,0),(0,1) then (1,0),(1,1)
            let base = p * height * width
            let cand = [base + 2 * i * width + 2 * j, base + 2 * i * width + 2 * j + 1,
                        base + (2 * i + 1) * width + 2 * j, base + (2 * i + 1) * width + 2 * j + 1]
            let v = cand.map { x.scalars[$0] }
            let top = v[1] > v[0] ? 1 : 0, bottom = v[3] > v[2] ? 3 : 2
            let best = v[bottom] > v[top] ? bottom : top
            let k = (p * oh + i) * ow + j
            #expect(y.scalars[k] == v[best])
            #expect(Int(indices[k]) == cand[best])
        } } }
        let dy = Tensor.normal(y.shape, using: &rng)
        let dx = Pooling.maxBackward(dy, indices: indices, inputShape: x.shape)
        var expected = [Float](repeating: 0, count: x.count)
        for k in 0..<dy.count { expected[Int(indices[k])] += dy.scalars[k] }
        #expect(dx == Tensor(shape: x.shape, scalars: expected))
    }
}
