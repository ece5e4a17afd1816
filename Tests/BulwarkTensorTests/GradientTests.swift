import Testing
import BulwarkTensor

/// Every differentiable op against finite differences (tolerance for Float32 central differences).
@Suite struct GradientTests {
    static let tolerance: Float = 2e-2
    var rng = SeededGenerator(seed: 2024)

    mutating func normal(_ shape: [Int]) -> Tensor { Tensor.normal(shape, using: &rng) }
    /// Values bounded away from 0, so kinks (ReLU, abs) are not straddled by the finite difference.
    mutating func awayFromZero(_ shape: [Int]) -> Tensor {
        normal(shape).map { $0 >= 0 ? $0 + 0.2 : $0 - 0.2 }
    }
    mutating func positive(_ shape: [Int]) -> Tensor { Tensor.uniform(shape, low: 0.5, high: 2, using: &rng) }

    @Test mutating func broadcastingArithmetic() {
        let a = normal([2, 3, 4]), b = normal([3, 1]), c = positive([4])
        #expect(maxGradientError([a, b]) { _, v in v[0] + v[1] } < Self.tolerance)
        #expect(maxGradientError([a, b]) { _, v in v[0] - v[1] } < Self.tolerance)
        #expect(maxGradientError([a, b]) { _, v in v[0] * v[1] } < Self.tolerance)
        #expect(maxGradientError([a, c]) { _, v in v[0] / v[1] } < Self.tolerance)
        #expect(maxGradientError([a]) { _, v in (-v[0] * 3 + 1) / 2 - 0.5 } < Self.tolerance)
    }

    @Test mutating func elementwiseFunctions() {
        let x = awayFromZero([3, 5]), p = positive([3, 5])
        #expect(maxGradientError([x]) { _, v in v[0].relu() } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].leakyRelu(alpha: 0.1) } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].elu() } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].sigmoid() } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].tanh() } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].exp() } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].abs() } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].erf() } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].clipped(min: -0.7, max: 0.9) } < Self.tolerance)
        #expect(maxGradientError([p]) { _, v in v[0].log() } < Self.tolerance)
        #expect(maxGradientError([p]) { _, v in v[0].squareRoot() } < Self.tolerance)
        #expect(maxGradientError([p]) { _, v in v[0].pow(3) } < Self.tolerance)
    }

    @Test mutating func reductionsAndShapes() {
        let x = normal([2, 3, 4])
        #expect(maxGradientError([x]) { _, v in v[0].sum() } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].sum(axes: [1]) } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].mean(axes: [0, 2], keepDims: true) } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].transposed([2, 0, 1]) } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].reshaped([6, 4]).transposed([1, 0]) } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].softmax(axis: 1) } < Self.tolerance)
        #expect(maxGradientError([x]) { _, v in v[0].logSoftmax(axis: -1) } < Self.tolerance)
    }

    @Test mutating func matrixProducts() {
        let a = normal([3, 4]), b = normal([4, 5]), at = normal([4, 3]), bt = normal([5, 4]), bias = normal([5])
        #expect(maxGradientError([a, b]) { _, v in matmul(v[0], v[1]) } < Self.tolerance)
        #expect(maxGradientError([at, b]) { _, v in matmul(v[0], v[1], transposeA: true) } < Self.tolerance)
        #expect(maxGradientError([a, bt]) { _, v in matmul(v[0], v[1], transposeB: true) } < Self.tolerance)
        #expect(maxGradientError([at, bt]) { _, v in matmul(v[0], v[1], transposeA: true, transposeB: true) } < Self.tolerance)
        #expect(maxGradientError([a, bt, bias]) { _, v in dense(v[0], weight: v[1], bias: v[2]) } < Self.tolerance)
    }

    @Test(arguments: [
        Conv2DGeometry(kernel: (3, 3), padding: (1, 1)),
        Conv2DGeometry(kernel: (3, 2), stride: (2, 1), padding: (0, 1)),
        Conv2DGeometry(kernel: (2, 2), stride: (1, 2), padding: (top: 1, left: 0, bottom: 0, right: 2), dilation: (2, 1)),
    ])
    func convolution(_ g: Conv2DGeometry) {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.normal([2, 4, 6, 5], using: &rng)
        let w = Tensor.normal([6, 4, g.kernelHeight, g.kernelWidth], using: &rng)
        let wg = Tensor.normal([6, 2, g.kernelHeight, g.kernelWidth], using: &rng)
        let b = Tensor.normal([6], using: &rng)
        #expect(maxGradientError([x, w, b]) { _, v in conv2d(v[0], weight: v[1], bias: v[2], geometry: g) } < Self.tolerance)
        #expect(maxGradientError([x, wg]) { _, v in conv2d(v[0], weight: v[1], bias: nil, geometry: g, groups: 2) } < Self.tolerance)
    }

    @Test mutating func pooling() {
        // distinct values so the max is unique in every window
        var values = (0..<(2 * 3 * 6 * 6)).map { Float($0) * 0.37 }
        values.shuffle(using: &rng)
        let x = Tensor(shape: [2, 3, 6, 6], scalars: values)
        let g = Conv2DGeometry(kernel: (2, 2), stride: (2, 2))
        let g3 = Conv2DGeometry(kernel: (3, 3), stride: (2, 2), padding: (1, 1))
        #expect(maxGradientError([x], epsilon: 1e-2) { _, v in maxPool2d(v[0], geometry: g) } < Self.tolerance)
        #expect(maxGradientError([x], epsilon: 1e-2) { _, v in maxPool2d(v[0], geometry: g3) } < Self.tolerance)
        let y = normal([2, 3, 5, 5])
        #expect(maxGradientError([y]) { _, v in avgPool2d(v[0], geometry: g3, countIncludePad: true) } < Self.tolerance)
        #expect(maxGradientError([y]) { _, v in avgPool2d(v[0], geometry: g3, countIncludePad: false) } < Self.tolerance)
        #expect(maxGradientError([y]) { _, v in globalAvgPool2d(v[0]) } < Self.tolerance)
    }

    @Test mutating func batchNormBothModes() {
        let x = normal([4, 3, 2, 2]), gamma = positive([3]), beta = normal([3])
        for training in [true, false] {
            let err = maxGradientError([x, gamma, beta]) { _, v in
                batchNorm(v[0], scale: v[1], offset: v[2], runningMean: [0.1, -0.2, 0.3],
                          runningVariance: [1.5, 0.5, 2], epsilon: 1e-5, training: training).output
            }
            #expect(err < Self.tolerance, "training: \(training)")
        }
    }

    @Test mutating func losses() {
        let logits = normal([5, 4])
        let labels = [0, 3, 1, 1, 2]
        #expect(maxGradientError([logits]) { _, v in softmaxCrossEntropy(logits: v[0], labels: labels) } < Self.tolerance)
        let target = normal([5, 4])
        #expect(maxGradientError([logits]) { _, v in meanSquaredError(v[0], target: target) } < Self.tolerance)
    }

    @Test func gradientAccumulatesOverReuse() {
        let tape = Tape()
        let x = tape.variable(Tensor([1, 2, 3]))
        let y = (x * x + x).sum()
        let g = tape.gradients(of: y, wrt: [x])[0]
        #expect(g == Tensor([3, 5, 7]))
    }

    @Test func constantsGetNoGradientAndRecordNothing() {
        let tape = Tape()
        let c = tape.constant(Tensor([1, 2]))
        let y = (c * c).sum()
        #expect(!y.requiresGradient)
        #expect(tape.gradients(of: y, wrt: [c])[0] == Tensor.zeros([2]))
    }
}

/// Pullbacks must not capture variables (which own their tape): that cycle leaked every
/// training step's activations.
@Suite struct TapeLifetimeTests {
    @Test func tapeIsFreedAfterUse() {
        weak var weakTape: Tape?
        do {
            var rng = SeededGenerator(seed: 1)
            let tape = Tape()
            weakTape = tape
            let x = tape.variable(Tensor.normal([2, 3, 5, 5], using: &rng))
            let w = tape.variable(Tensor.normal([4, 3, 3, 3], using: &rng)), b = tape.variable(Tensor.zeros([4]))
            let h = conv2d(x, weight: w, bias: b, geometry: Conv2DGeometry(kernel: (3, 3))).relu()
            let f = h.flattened()
            let dw = tape.variable(Tensor.normal([3, f.shape[1]], using: &rng)), db = tape.variable(Tensor.zeros([3]))
            let loss = softmaxCrossEntropy(logits: dense(f, weight: dw, bias: db), labels: [0, 2])
            let bn = batchNorm(x, scale: tape.variable(.ones([3])), offset: tape.variable(.zeros([3])),
                               runningMean: [0, 0, 0], runningVariance: [1, 1, 1], epsilon: 1e-5, training: true).output
            _ = tape.gradients(of: loss + bn.sum() + maxPool2d(x, geometry: Conv2DGeometry(kernel: (2, 2))).sum(), wrt: [x, w])
        }
        #expect(weakTape == nil)
    }
}
