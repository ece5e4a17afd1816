import Testing
@testable import BulwarkTensor

/// 3×3 convolutions with stride 1 and padding 1 and at least eight channels each way run through
/// Winograd F(2×2, 3×3): forward values, input and weight gradients against direct sums in
/// double precision, on shapes that exercise partial tiles (odd sides), partial groups of eight tiles,
/// rows under eight floats, blocks of images split between workers, and channel counts that leave
/// partial blocks of rows in the products.
@Suite struct WinogradTests {
    /// (images, channels in, out, height, width)
    static let shapes: [(Int, Int, Int, Int, Int)] = [
        (7, 8, 12, 14, 14), (3, 9, 8, 7, 9), (2, 16, 8, 1, 5), (1, 8, 8, 2, 2), (5, 8, 16, 28, 28), (2, 8, 8, 33, 17),
        (3, 9, 13, 10, 6),
    ]

    /// y[n, o, i, j] = b[o] + Σ x[n, c, i + ki − 1, j + kj − 1]·w[o, c, ki, kj], in double precision.
    static func directForward(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> [Double] {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let o = w.shape[0]
        var y = [Double](repeating: 0, count: n * o * h * wd)
        for ni in 0..<n { for oc in 0..<o { for i in 0..<h { for j in 0..<wd {
            var s = Double(b.scalars[oc])
            for ci in 0..<c { for ki in 0..<3 { for kj in 0..<3 {
                let (yy, xx) = (i + ki - 1, j + kj - 1)
                guard yy >= 0, yy < h, xx >= 0, xx < wd else { continue }
                s += Double(x.scalars[((ni * c + ci) * h + yy) * wd + xx]) * Double(w.scalars[((oc * c + ci) * 3 + ki) * 3 + kj])
            } } }
            y[((ni * o + oc) * h + i) * wd + j] = s
        } } } }
        return y
    }

    /// dx[n, c, y, x] = Σ dy[n, o, y − ki + 1, x − kj + 1]·w[o, c, ki, kj], in double precision.
    static func directInputGradient(_ dy: Tensor, _ w: Tensor, channels c: Int) -> [Double] {
        let (n, o, h, wd) = (dy.shape[0], dy.shape[1], dy.shape[2], dy.shape[3])
        var dx = [Double](repeating: 0, count: n * c * h * wd)
        for ni in 0..<n { for ci in 0..<c { for y in 0..<h { for x in 0..<wd {
            var s = 0.0
            for oc in 0..<o { for ki in 0..<3 { for kj in 0..<3 {
                let (i, j) = (y - ki + 1, x - kj + 1)
                guard i >= 0, i < h, j >= 0, j < wd else { continue }
                s += Double(dy.scalars[((ni * o + oc) * h + i) * wd + j]) * Double(w.scalars[((oc * c + ci) * 3 + ki) * 3 + kj])
            } } }
            dx[((ni * c + ci) * h + y) * wd + x] = s
        } } } }
        return dx
    }

    /// dw[o, c, ki, kj] = Σ dy[n, o, i, j]·x[n, c, i + ki − 1, j + kj − 1], in double precision.
    static func directWeightGradient(_ dy: Tensor, _ x: Tensor) -> [Double] {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let o = dy.shape[1]
        var dw = [Double](repeating: 0, count: o * c * 9)
        for ni in 0..<n { for oc in 0..<o { for ci in 0..<c { for ki in 0..<3 { for kj in 0..<3 {
            var s = 0.0
            for i in 0..<h { for j in 0..<wd {
                let (yy, xx) = (i + ki - 1, j + kj - 1)
                guard yy >= 0, yy < h, xx >= 0, xx < wd else { continue }
                s += Double(dy.scalars[((ni * o + oc) * h + i) * wd + j]) * Double(x.scalars[((ni * c + ci) * h + yy) * wd + xx])
            } }
            dw[((oc * c + ci) * 3 + ki) * 3 + kj] += s
        } } } } }
        return dw
    }

    static func maxError(_ a: Tensor, _ e: [Double]) -> Double {
        zip(a.scalars, e).map { abs(Double($0) - $1) }.max() ?? 0
    }

    @Test(arguments: 0..<7)
    func forwardAndInputGradientEqualTheDirectSums(shape: Int) {
        let (n, c, o, h, wd) = Self.shapes[shape]
        let g = Conv2DGeometry(kernel: (3, 3), padding: (1, 1))
        #expect(Winograd.applies(g, groups: 1, inputChannels: c, outputChannels: o))
        #expect(Winograd.applies(g, groups: 1, inputChannels: o, outputChannels: c))
        var rng = SeededGenerator(seed: UInt64(90 + shape))
        let x = Tensor.normal([n, c, h, wd], using: &rng), w = Tensor.normal([o, c, 3, 3], using: &rng)
        let b = Tensor.normal([o], using: &rng), dy = Tensor.normal([n, o, h, wd], using: &rng)
        // sums of up to 9·16 products of unit normals: float rounding is a few 1e-6
        let y = Convolution.forward(x, w, bias: b, geometry: g)
        #expect(y.shape == [n, o, h, wd])
        #expect(Self.maxError(y, Self.directForward(x, w, b)) < 1e-4, "forward, shape \(shape)")
        let dx = Convolution.backward(dy, x, w, geometry: g, needInput: true, needWeight: false).dx
        #expect(dx?.shape == [n, c, h, wd])
        if let dx { #expect(Self.maxError(dx, Self.directInputGradient(dy, w, channels: c)) < 1e-4, "input gradient, shape \(shape)") }
        // the weight gradient sums over every image and pixel: up to 5·28·28 products
        let dw = Convolution.backward(dy, x, w, geometry: g, needInput: false, needWeight: true).dw
        #expect(dw?.shape == [o, c, 3, 3])
        if let dw { #expect(Self.maxError(dw, Self.directWeightGradient(dy, x)) < 2e-3, "weight gradient, shape \(shape)") }
        // per-example weight gradients (DP-SGD): example i's own direct sums
        let perExample = Convolution.perExampleWeightGradients(dy, x, weightShape: w.shape, geometry: g)
        #expect(perExample.shape == [n, o, c * 9])
        for i in 0..<n {
            let one = Self.directWeightGradient(dy.rows(i..<(i + 1)), x.rows(i..<(i + 1)))
            let got = Tensor(shape: [o * c * 9], scalars: Array(perExample.scalars[(i * o * c * 9)..<((i + 1) * o * c * 9)]))
            #expect(Self.maxError(got, one) < 1e-3, "per-example weight gradient \(i), shape \(shape)")
        }
    }

    @Test func otherConvolutionsKeepTheDirectPath() {
        let same = Conv2DGeometry(kernel: (3, 3), padding: (1, 1))
        #expect(!Winograd.applies(same, groups: 1, inputChannels: 1, outputChannels: 32))   // the zoo cnn's first layer
        #expect(!Winograd.applies(same, groups: 1, inputChannels: 32, outputChannels: 1))   // and its input gradient
        #expect(!Winograd.applies(same, groups: 2, inputChannels: 16, outputChannels: 16))
        #expect(!Winograd.applies(Conv2DGeometry(kernel: (3, 3), stride: (2, 2), padding: (1, 1)), groups: 1, inputChannels: 16, outputChannels: 16))
        #expect(!Winograd.applies(Conv2DGeometry(kernel: (3, 3)), groups: 1, inputChannels: 16, outputChannels: 16))
        #expect(!Winograd.applies(Conv2DGeometry(kernel: (5, 5), padding: (2, 2)), groups: 1, inputChannels: 16, outputChannels: 16))
        #expect(!Winograd.applies(Conv2DGeometry(kernel: (3, 3), padding: (2, 2), dilation: (2, 2)), groups: 1, inputChannels: 16, outputChannels: 16))
    }
}
