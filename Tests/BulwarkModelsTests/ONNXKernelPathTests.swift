import Testing
import BulwarkTensor

/// The fast paths the ONNX benchmark added to BulwarkTensor's convolution must agree with the
/// per-image path they replace: a batch of N small images (batched im2col + one product per block)
/// against the same images run one at a time (the per-image path).
@Suite struct ONNXKernelPathTests {
    static func perImage(_ x: Tensor, _ w: Tensor, bias: Tensor?, _ g: Conv2DGeometry, groups: Int) -> [Float] {
        var out: [Float] = []
        for i in 0..<x.shape[0] {
            out += Convolution.forward(x.rows(i..<(i + 1)), w, bias: bias, geometry: g, groups: groups).scalars
        }
        return out
    }

    @Test(arguments: [
        (Conv2DGeometry(kernel: (3, 3), stride: (1, 1), padding: (top: 1, left: 0, bottom: 2, right: 1)), 1, true),
        (Conv2DGeometry(kernel: (3, 2), stride: (2, 1), padding: (top: 0, left: 1, bottom: 1, right: 0), dilation: (1, 2)), 2, false),
        (Conv2DGeometry(kernel: (2, 2), stride: (2, 2)), 4, true),
    ])
    func smallImageBatchMatchesPerImage(_ g: Conv2DGeometry, _ groups: Int, _ withBias: Bool) {
        var rng = SeededGenerator(seed: 11)
        // 67 images: more than one block of images, and an uneven split across workers.
        let x = Tensor.normal([67, 4, 5, 6], using: &rng)
        let w = Tensor.normal([8, 4 / groups, g.kernelHeight, g.kernelWidth], using: &rng)
        let b = withBias ? Tensor.normal([8], using: &rng) : nil
        let y = Convolution.forward(x, w, bias: b, geometry: g, groups: groups)
        let reference = Self.perImage(x, w, bias: b, g, groups: groups)
        #expect(y.scalars.count == reference.count)
        let worst = zip(y.scalars, reference).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-4)
    }

    /// Regression: the 2×2/2 max-pool fast path ignored bottom/right padding (ONNX pads [0,0,1,1]
    /// on an odd input), reading past each row into the next (and past the end of the tensor).
    @Test func maxPoolPartialWindowFromBottomRightPadding() {
        var scalars = (0..<25).map { Float($0 % 5) - Float($0 / 5) }  // small values
        scalars[5] = 100  // x[1, 0]: the fast path wrongly pulled it into window (0, 2)
        let x = Tensor(shape: [1, 1, 5, 5], scalars: scalars)
        let g = Conv2DGeometry(kernel: (2, 2), stride: (2, 2), padding: (top: 0, left: 0, bottom: 1, right: 1))
        let (y, _) = Pooling.maxForward(x, geometry: g)
        #expect(y.shape == [1, 1, 3, 3])
        for i in 0..<3 { for j in 0..<3 {
            var best = -Float.infinity
            for yy in (2 * i)..<min(2 * i + 2, 5) { for xx in (2 * j)..<min(2 * j + 2, 5) { best = max(best, scalars[yy * 5 + xx]) } }
            #expect(y.scalars[i * 3 + j] == best)
        } }
    }
}
