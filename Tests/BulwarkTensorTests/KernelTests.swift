import Testing
import BulwarkTensor

/// Forward kernels against direct (naive) definitions.
@Suite struct KernelTests {
    @Test func broadcastingShapes() {
        #expect(Tensor.broadcastShape([2, 3, 4], [3, 1]) == [2, 3, 4])
        #expect(Tensor.broadcastShape([5], [2, 1]) == [2, 5])
        #expect(Tensor.broadcastShape([2, 3], [4]) == nil)
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(a + Tensor([10, 20, 30]) == Tensor(shape: [2, 3], scalars: [11, 22, 33, 14, 25, 36]))
        #expect(a * Tensor(shape: [2, 1], scalars: [2, 3]) == Tensor(shape: [2, 3], scalars: [2, 4, 6, 12, 15, 18]))
    }

    @Test func reductions() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(a.sum() == Tensor(21))
        #expect(a.sum(axes: [0]) == Tensor([5, 7, 9]))
        #expect(a.sum(axes: [1], keepDims: true) == Tensor(shape: [2, 1], scalars: [6, 15]))
        #expect(a.mean(axes: [1]) == Tensor([2, 5]))
        #expect(a.max(axis: 1) == Tensor([3, 6]))
        #expect(a.argmaxRows() == [2, 2])
        #expect(a.transposed([1, 0]) == Tensor(shape: [3, 2], scalars: [1, 4, 2, 5, 3, 6]))
    }

    @Test func matmulAgainstNaive() {
        var rng = SeededGenerator(seed: 3)
        let a = Tensor.normal([7, 5], using: &rng), b = Tensor.normal([5, 9], using: &rng)
        let c = Tensor.matmul(a, b)
        var naive = Tensor.zeros([7, 9])
        for i in 0..<7 { for j in 0..<9 { for k in 0..<5 { naive.scalars[i * 9 + j] += a.scalars[i * 5 + k] * b.scalars[k * 9 + j] } } }
        #expect(c.isApproximatelyEqual(to: naive, absoluteTolerance: 1e-5))
    }

    @Test func convolutionAgainstNaive() {
        var rng = SeededGenerator(seed: 4)
        let x = Tensor.normal([3, 4, 7, 6], using: &rng)
        let w = Tensor.normal([4, 2, 3, 3], using: &rng)
        let b = Tensor.normal([4], using: &rng)
        let g = Conv2DGeometry(kernel: (3, 3), stride: (2, 1), padding: (1, 2), dilation: (1, 2))
        let y = Convolution.forward(x, w, bias: b, geometry: g, groups: 2)
        let (oh, ow) = g.outputSize(height: 7, width: 6)
        #expect(y.shape == [3, 4, oh, ow])
        for n in 0..<3 { for o in 0..<4 { for i in 0..<oh { for j in 0..<ow {
            var s = b.scalars[o]
            let grp = o / 2
            for c in 0..<2 { for ki in 0..<3 { for kj in 0..<3 {
                let yy = i * 2 - 1 + ki, xx = j - 2 + kj * 2
                if yy >= 0 && yy < 7 && xx >= 0 && xx < 6 {
                    s += x.scalars[((n * 4 + grp * 2 + c) * 7 + yy) * 6 + xx] * w.scalars[((o * 2 + c) * 3 + ki) * 3 + kj]
                }
            } } }
            #expect(abs(y.scalars[((n * 4 + o) * oh + i) * ow + j] - s) < 1e-4)
        } } } }
    }

    /// Single-channel stride-1 convolutions (the direct kernel): rectangular kernels, uneven
    /// padding, one image and several, with and without bias, against a double-precision sum.
    /// (images, height, width, kernel height, kernel width, padding top, left, bottom, right)
    static let singleChannelShapes = [(1, 9, 11, 3, 3, 1, 1, 1, 1), (3, 28, 28, 3, 3, 1, 1, 1, 1), (2, 10, 7, 2, 5, 0, 2, 1, 1),
                                      (1, 8, 8, 4, 2, 3, 0, 0, 1)]

    @Test(arguments: 0..<4)
    func singleChannelConvolutionAgainstNaive(shape: Int) {
        let (n, h, w, kh, kw, top, left, bottom, right) = Self.singleChannelShapes[shape]
        var rng = SeededGenerator(seed: UInt64(h * 100 + kw))
        let o = 5
        let x = Tensor.normal([n, 1, h, w], using: &rng)
        let k = Tensor.normal([o, 1, kh, kw], using: &rng)
        let b = Tensor.normal([o], using: &rng)
        let g = Conv2DGeometry(kernel: (kh, kw), stride: (1, 1), padding: (top: top, left: left, bottom: bottom, right: right))
        let (oh, ow) = g.outputSize(height: h, width: w)
        for bias in [b, nil] {
            let y = Convolution.forward(x, k, bias: bias, geometry: g)
            #expect(y.shape == [n, o, oh, ow])
            var worst = 0.0
            for image in 0..<n { for oc in 0..<o { for i in 0..<oh { for j in 0..<ow {
                var s = Double(bias?.scalars[oc] ?? 0)
                for ki in 0..<kh { for kj in 0..<kw {
                    let (yy, xx) = (i - top + ki, j - left + kj)
                    if yy >= 0 && yy < h && xx >= 0 && xx < w {
                        s += Double(x.scalars[(image * h + yy) * w + xx]) * Double(k.scalars[(oc * kh + ki) * kw + kj])
                    }
                } }
                worst = max(worst, abs(Double(y.scalars[((image * o + oc) * oh + i) * ow + j]) - s))
            } } } }
            #expect(worst < 1e-4, "\(n)×\(h)×\(w), kernel \(kh)×\(kw)")
        }
    }

    @Test func poolingValues() {
        let x = Tensor(shape: [1, 1, 2, 4], scalars: [1, 5, 2, 0, 3, 4, 8, 7])
        let g = Conv2DGeometry(kernel: (2, 2), stride: (2, 2))
        #expect(Pooling.maxForward(x, geometry: g).0 == Tensor(shape: [1, 1, 1, 2], scalars: [5, 8]))
        #expect(Pooling.averageForward(x, geometry: g, countIncludePad: true) == Tensor(shape: [1, 1, 1, 2], scalars: [3.25, 4.25]))
    }

    @Test func softmaxIsStableAndNormalised() {
        let x = Tensor(shape: [2, 3], scalars: [1000, 1001, 1002, -5, 0, 5])
        let s = x.softmax(axis: 1)
        #expect(s.scalars.allSatisfy { $0.isFinite })
        #expect(s.sum(axes: [1]).isApproximatelyEqual(to: Tensor([1, 1]), absoluteTolerance: 1e-6))
        #expect(x.logSoftmax(axis: 1).exp().isApproximatelyEqual(to: s, absoluteTolerance: 1e-5))
    }

    @Test func validatingInitRejectsBadShapes() {
        #expect(throws: TensorError.self) { try Tensor(validatingShape: [2, -1], scalars: []) }
        #expect(throws: TensorError.self) { try Tensor(validatingShape: [2, 3], scalars: [1]) }
        #expect(throws: TensorError.self) { try Tensor(validatingShape: [Int.max, 3], scalars: [1]) }
    }
}
