import Testing
import BulwarkTensor

/// The training-mode convolution + max pooling (`conv2dMaxPool`) against `conv2d` then
/// `maxPool2d` on a tape: the same values, indices and gradients, bit for bit.
@Suite struct FusedConvPoolTrainingTests {
    /// (channels in, out, groups, image side, kernel, padding, stride): the single-image path
    /// (28×28), the block path (14×14), the small-map path (7×7), groups, an odd side whose last
    /// row and column no 2×2 window covers, a strided convolution, and one with enough channels
    /// for the Winograd path.
    static let convolutions: [(Int, Int, Int, Int, Int, Int, Int)] = [
        (1, 8, 1, 28, 3, 1, 1), (4, 6, 1, 14, 3, 1, 1), (4, 6, 2, 7, 3, 1, 1), (3, 5, 1, 13, 3, 1, 1), (2, 4, 1, 11, 3, 0, 2),
        (8, 9, 1, 14, 3, 1, 1),
    ]
    /// The 2×2/2 fast path, and overlapping padded 3×3/2 windows (one input feeds several outputs).
    static let pools = [Conv2DGeometry(kernel: (2, 2), stride: (2, 2)), Conv2DGeometry(kernel: (3, 3), stride: (2, 2), padding: (1, 1))]

    static func bits(_ t: Tensor?) -> [UInt32] { t?.scalars.map(\.bitPattern) ?? [] }

    @Test(arguments: 0..<6)
    func fusedEqualsConvolutionThenPooling(config: Int) {
        let (c, o, groups, side, k, pad, stride) = Self.convolutions[config]
        var rng = SeededGenerator(seed: UInt64(70 + config))
        let n = 9  // several blocks per worker, and an uneven split between workers
        let x = Tensor.normal([n, c, side, side], using: &rng)
        let w = Tensor.normal([o, c / groups, k, k], using: &rng)
        let b = Tensor.normal([o], using: &rng)
        let g = Conv2DGeometry(kernel: (k, k), stride: (stride, stride), padding: (pad, pad))
        for pool in Self.pools {
            for bias in [b, nil] {
                let (y, indices) = Convolution.forwardMaxPool(x, w, bias: bias, geometry: g, groups: groups, pool: pool)
                let (reference, referenceIndices) = Pooling.maxForward(Convolution.forward(x, w, bias: bias, geometry: g, groups: groups),
                                                                       geometry: pool)
                #expect(y.shape == reference.shape)
                #expect(Self.bits(y) == Self.bits(reference), "values, config \(config), pool \(pool.kernelHeight)")
                #expect(indices == referenceIndices, "indices, config \(config), pool \(pool.kernelHeight)")

                // gradients of Σ r ⊙ relu(y) for a random r, through both graphs
                let r = Tensor.normal(y.shape, using: &rng)
                func gradients(fused: Bool) -> [Tensor] {
                    let tape = Tape()
                    let (vx, vw) = (tape.variable(x), tape.variable(w))
                    let vb = bias.map { tape.variable($0) }
                    let out = fused
                        ? conv2dMaxPool(vx, weight: vw, bias: vb, geometry: g, groups: groups, pool: pool)
                        : maxPool2d(conv2d(vx, weight: vw, bias: vb, geometry: g, groups: groups), geometry: pool)
                    return tape.gradients(of: out.relu(), seed: r, wrt: [vx, vw] + (vb.map { [$0] } ?? []))
                }
                let (fused, unfused) = (gradients(fused: true), gradients(fused: false))
                #expect(fused.count == unfused.count)
                for (a, e) in zip(fused, unfused) {
                    #expect(a.shape == e.shape)
                    #expect(Self.bits(a) == Self.bits(e), "gradient \(e.shape), config \(config), pool \(pool.kernelHeight)")
                }
            }
        }
    }

    @Test func onlyTheAskedGradientsAreComputed() {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.normal([3, 2, 8, 8], using: &rng), w = Tensor.normal([4, 2, 3, 3], using: &rng)
        let g = Conv2DGeometry(kernel: (3, 3), padding: (1, 1)), pool = Conv2DGeometry(kernel: (2, 2), stride: (2, 2))
        let (y, indices) = Convolution.forwardMaxPool(x, w, bias: nil, geometry: g, pool: pool)
        let dy = Tensor.normal(y.shape, using: &rng)
        let (dx, dw, db) = Convolution.backward(pooled: dy, indices: indices, x, w, geometry: g,
                                                needInput: false, needWeight: true, needBias: true)
        #expect(dx == nil && dw != nil && db?.shape == [4])
        let dense = Pooling.maxBackward(dy, indices: indices, inputShape: [3, 4, 8, 8])
        #expect(Self.bits(db) == Self.bits(Convolution.biasGradient(dense)))
        #expect(Self.bits(dw) == Self.bits(Convolution.backward(dense, x, w, geometry: g, needInput: false, needWeight: true).dw))
    }

    @Test func anEmptyBatchGivesEmptyOutputsAndZeroGradients() {
        var rng = SeededGenerator(seed: 6)
        let x = Tensor.zeros([0, 2, 8, 8]), w = Tensor.normal([4, 2, 3, 3], using: &rng)
        let g = Conv2DGeometry(kernel: (3, 3), padding: (1, 1)), pool = Conv2DGeometry(kernel: (2, 2), stride: (2, 2))
        let (y, indices) = Convolution.forwardMaxPool(x, w, bias: Tensor.zeros([4]), geometry: g, pool: pool)
        #expect(y.shape == [0, 4, 4, 4] && indices.isEmpty)
        let (dx, dw, db) = Convolution.backward(pooled: y, indices: indices, x, w, geometry: g,
                                                needInput: true, needWeight: true, needBias: true)
        #expect(dx?.shape == [0, 2, 8, 8])
        #expect(dw?.scalars.allSatisfy { $0 == 0 } == true && db?.scalars == [0, 0, 0, 0])
    }
}
