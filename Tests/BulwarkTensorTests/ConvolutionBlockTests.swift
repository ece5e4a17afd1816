import Testing
import BulwarkTensor

/// The blocked convolution paths (several images lowered side by side into one product, split
/// across workers with partial blocks) and the per-example weight gradients, against direct sums.
@Suite struct ConvolutionBlockTests {
    /// x: N×C×H×W, w: O×(C/groups)×kh×kw; the direct definitions of y, dx and dw for a given dy.
    struct Naive {
        let n, c, h, wd, o, groups: Int
        let g: Conv2DGeometry
        let oh, ow: Int
        init(_ x: Tensor, _ w: Tensor, _ g: Conv2DGeometry, groups: Int) {
            (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            o = w.shape[0]
            self.groups = groups
            self.g = g
            (oh, ow) = g.outputSize(height: h, width: wd)
        }
        /// Calls body(image, output channel, output pixel, input offset, weight offset) for every product term.
        func forEachTerm(_ body: (Int, Int, Int, Int, Int) -> Void) {
            let cg = c / groups, og = o / groups
            for b in 0..<n { for oc in 0..<o { for i in 0..<oh { for j in 0..<ow {
                let grp = oc / og
                for ci in 0..<cg { for ki in 0..<g.kernelHeight { for kj in 0..<g.kernelWidth {
                    let y = i * g.strideHeight - g.padTop + ki * g.dilationHeight
                    let xx = j * g.strideWidth - g.padLeft + kj * g.dilationWidth
                    guard y >= 0, y < h, xx >= 0, xx < wd else { continue }
                    let xi = ((b * c + grp * cg + ci) * h + y) * wd + xx
                    let wi = ((oc * cg + ci) * g.kernelHeight + ki) * g.kernelWidth + kj
                    body(b, oc, i * ow + j, xi, wi)
                } } }
            } } } }
        }
    }

    static func check(n: Int, c: Int, o: Int, h: Int, w wd: Int, geometry g: Conv2DGeometry, groups: Int, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let x = Tensor.normal([n, c, h, wd], using: &rng)
        let w = Tensor.normal([o, c / groups, g.kernelHeight, g.kernelWidth], using: &rng)
        let bias = Tensor.normal([o], using: &rng)
        let ref = Naive(x, w, g, groups: groups)
        let pixels = ref.oh * ref.ow
        let dy = Tensor.normal([n, o, ref.oh, ref.ow], using: &rng)
        var y = [Float](repeating: 0, count: n * o * pixels)
        var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count)
        var perExample = [Float](repeating: 0, count: n * w.count)
        ref.forEachTerm { b, oc, p, xi, wi in
            let yi = (b * o + oc) * pixels + p
            y[yi] += x.scalars[xi] * w.scalars[wi]
            dx[xi] += dy.scalars[yi] * w.scalars[wi]
            dw[wi] += dy.scalars[yi] * x.scalars[xi]
            perExample[b * w.count + wi] += dy.scalars[yi] * x.scalars[xi]
        }
        for b in 0..<n { for oc in 0..<o { for p in 0..<pixels { y[(b * o + oc) * pixels + p] += bias.scalars[oc] } } }
        let out = Convolution.forward(x, w, bias: bias, geometry: g, groups: groups)
        #expect(out.isApproximatelyEqual(to: Tensor(shape: [n, o, ref.oh, ref.ow], scalars: y), absoluteTolerance: 1e-3))
        let grads = Convolution.backward(dy, x, w, geometry: g, groups: groups, needInput: true, needWeight: true)
        #expect(grads.dx?.isApproximatelyEqual(to: Tensor(shape: x.shape, scalars: dx), absoluteTolerance: 1e-3) == true)
        #expect(grads.dw?.isApproximatelyEqual(to: Tensor(shape: w.shape, scalars: dw), absoluteTolerance: 1e-2) == true)
        if groups == 1 {
            let pe = Convolution.perExampleWeightGradients(dy, x, weightShape: w.shape, geometry: g)
            #expect(pe.shape == [n, o, w.count / o])
            #expect(pe.isApproximatelyEqual(to: Tensor(shape: [n, o, w.count / o], scalars: perExample), absoluteTolerance: 1e-3))
        }
    }

    /// 96 output pixels: blocks of 8 images, 11 images split over the workers (partial blocks).
    @Test func blockedPathsWithGroupsAndDilation() {
        Self.check(n: 11, c: 4, o: 6, h: 12, w: 10, geometry: Conv2DGeometry(kernel: (3, 3), padding: (1, 1), dilation: (1, 2)),
                   groups: 2, seed: 21)
    }

    /// The zoo cnn's second convolution shape (14×14, pad 1) with a stride-2 variant and one image.
    @Test func blockedPathsStridedAndSingleImage() {
        Self.check(n: 5, c: 3, o: 4, h: 14, w: 14, geometry: Conv2DGeometry(kernel: (3, 3), padding: (1, 1)), groups: 1, seed: 22)
        Self.check(n: 7, c: 2, o: 3, h: 17, w: 19, geometry: Conv2DGeometry(kernel: (3, 2), stride: (2, 3), padding: (2, 1)),
                   groups: 1, seed: 23)
        Self.check(n: 1, c: 2, o: 3, h: 9, w: 9, geometry: Conv2DGeometry(kernel: (3, 3)), groups: 1, seed: 24)
    }

    /// One input channel (K = kh·kw rows in the lowered product): the zoo cnn's first layer
    /// (28×28, 3×3 pad 1), no padding, asymmetric and oversized padding, wide and even-sized
    /// windows, a map narrower than the window, and no bias.
    @Test func singleInputChannelShapes() {
        Self.check(n: 3, c: 1, o: 32, h: 28, w: 28, geometry: Conv2DGeometry(kernel: (3, 3), padding: (1, 1)), groups: 1, seed: 31)
        Self.check(n: 2, c: 1, o: 5, h: 11, w: 13, geometry: Conv2DGeometry(kernel: (3, 3)), groups: 1, seed: 32)
        Self.check(n: 4, c: 1, o: 3, h: 9, w: 20,
                   geometry: Conv2DGeometry(kernel: (2, 5), stride: (1, 1), padding: (top: 0, left: 3, bottom: 2, right: 1)),
                   groups: 1, seed: 33)
        Self.check(n: 2, c: 1, o: 4, h: 5, w: 3, geometry: Conv2DGeometry(kernel: (5, 5), padding: (3, 3)), groups: 1, seed: 34)
        Self.check(n: 1, c: 1, o: 2, h: 40, w: 37, geometry: Conv2DGeometry(kernel: (7, 7), padding: (3, 3)), groups: 1, seed: 35)
        var rng = SeededGenerator(seed: 36)
        let x = Tensor.normal([3, 1, 10, 10], using: &rng), w = Tensor.normal([4, 1, 3, 3], using: &rng)
        let g = Conv2DGeometry(kernel: (3, 3), padding: (1, 1))
        let withZeroBias = Convolution.forward(x, w, bias: Tensor.zeros([4]), geometry: g)
        #expect(Convolution.forward(x, w, bias: nil, geometry: g) == withZeroBias)
    }
}
