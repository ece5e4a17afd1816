import Testing
import BulwarkTensor

/// The inference-only kernels (convolution with a fused max-pool/ReLU epilogue, max pooling
/// without indices) against the training kernels run one after another: equal bit for bit.
@Suite struct FusedInferenceTests {
    /// (channels in, out, groups, image side, kernel, padding, stride): the single-image path
    /// (28×28), the block path (14×14), the small-map path (7×7), groups and a 1×1 kernel; then the
    /// direct single-channel path and Winograd.
    static let convolutions: [(Int, Int, Int, Int, Int, Int, Int)] = [
        (1, 8, 1, 28, 3, 1, 1), (4, 6, 1, 14, 3, 1, 1), (4, 6, 2, 7, 3, 1, 1), (3, 5, 1, 9, 1, 0, 1), (2, 4, 1, 11, 3, 0, 2),
        // single-channel stride-1 convolutions (the direct path): a 5×5 kernel, no padding, and stride 2 (not direct)
        (1, 5, 1, 13, 5, 2, 1), (1, 3, 1, 10, 3, 0, 1), (1, 4, 1, 9, 3, 1, 2),
        // a 3×3 single-channel layer with odd sides (its 2×2 pooling drops the last row and column)
        (1, 5, 1, 19, 3, 1, 1),
        // Winograd (eight channels or more): 2×2 pooling of whole output tiles, on even and odd sides
        (8, 13, 1, 14, 3, 1, 1), (9, 8, 1, 11, 3, 1, 1),
    ]
    /// No pooling, the 2×2/2 fast path, and a padded 3×3/2 window (the general path).
    static let pools: [Conv2DGeometry?] = [
        nil, Conv2DGeometry(kernel: (2, 2), stride: (2, 2)), Conv2DGeometry(kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
    ]

    @Test(arguments: 0..<11)
    func fusedConvolutionEqualsConvolutionPoolReLU(config: Int) {
        let (c, o, groups, side, k, pad, stride) = Self.convolutions[config]
        var rng = SeededGenerator(seed: UInt64(40 + config))
        let n = 3
        let x = Tensor.normal([n, c, side, side], using: &rng)
        let w = Tensor.normal([o, c / groups, k, k], using: &rng)
        let b = Tensor.normal([o], using: &rng)
        let g = Conv2DGeometry(kernel: (k, k), stride: (stride, stride), padding: (pad, pad))
        for bias in [b, nil] {
            let conv = Convolution.forward(x, w, bias: bias, geometry: g, groups: groups)
            for pool in Self.pools {
                let pooled = pool.map { Pooling.maxForward(conv, geometry: $0).0 } ?? conv
                for relu in [false, true] {
                    let fused = Convolution.fusedForward(x, w, bias: bias, geometry: g, groups: groups, maxPool: pool, relu: relu)
                    #expect(fused == (relu ? pooled.relu() : pooled), "config \(config), pool \(String(describing: pool)), relu \(relu)")
                }
            }
        }
    }

    @Test(arguments: [(9, 23), (16, 16), (7, 7)])
    func maxValuesEqualMaxForward(height: Int, width: Int) {
        var rng = SeededGenerator(seed: UInt64(height * 31 + width))
        let x = Tensor.normal([2, 3, height, width], using: &rng)
        for pool in Self.pools.compactMap({ $0 }) {
            let (y, _) = Pooling.maxForward(x, geometry: pool)
            #expect(Pooling.maxValues(x, geometry: pool) == y)
            #expect(Pooling.maxValues(x, geometry: pool, relu: true) == y.relu())
            // ReLU before pooling (the order a model lists them in) gives the same values
            #expect(Pooling.maxValues(x, geometry: pool, relu: true) == Pooling.maxForward(x.relu(), geometry: pool).0)
        }
    }
}
