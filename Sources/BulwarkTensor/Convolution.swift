/// Geometry of a 2-D convolution or pooling window over an N×C×H×W input.
public struct Conv2DGeometry: Sendable, Equatable {
    public var kernelHeight: Int, kernelWidth: Int
    public var strideHeight: Int, strideWidth: Int
    /// Zero padding added to the top, left, bottom and right edges.
    public var padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    public var dilationHeight: Int, dilationWidth: Int

    /// A window of `kernel` with the given stride, symmetric padding and dilation.
    public init(kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                dilation: (Int, Int) = (1, 1)) {
        self.init(kernel: kernel, stride: stride,
                  padding: (top: padding.0, left: padding.1, bottom: padding.0, right: padding.1),
                  dilation: dilation)
    }

    /// A window with asymmetric padding (as ONNX `pads` or `auto_pad` produce).
    public init(kernel: (Int, Int), stride: (Int, Int), padding: (top: Int, left: Int, bottom: Int, right: Int),
                dilation: (Int, Int) = (1, 1)) {
        precondition(kernel.0 > 0 && kernel.1 > 0 && stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0,
                     "kernel, stride and dilation must be positive")
        precondition(padding.top >= 0 && padding.left >= 0 && padding.bottom >= 0 && padding.right >= 0,
                     "padding must be non-negative")
        (kernelHeight, kernelWidth) = kernel
        (strideHeight, strideWidth) = stride
        (padTop, padLeft, padBottom, padRight) = padding
        (dilationHeight, dilationWidth) = dilation
    }

    /// Output height and width for an input of `height`×`width`.
    public func outputSize(height: Int, width: Int) -> (Int, Int) {
        let h = (height + padTop + padBottom - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1
        let w = (width + padLeft + padRight - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1
        return (h, w)
    }
}

/// im2col / col2im lowering: convolution becomes one matrix product per group.
enum Im2Col {
    /// Writes the patches of images `n0..<n1`, channels `c0..<c0+cg`, into `cols`, a
    /// (cg·kh·kw) × ((n1−n0)·oh·ow) row-major matrix.
    static func lower(_ x: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                      n0: Int, n1: Int, c0: Int, cg: Int, g: Conv2DGeometry, oh: Int, ow: Int,
                      cols: UnsafeMutablePointer<Float>) {
        let kh = g.kernelHeight, kw = g.kernelWidth
        let columns = (n1 - n0) * oh * ow
        let rows = cg * kh * kw
        let shared = SharedPointer(cols)
        parallelChunks(rows, costPerItem: columns) { range in
            let cols = shared.base
            for row in range {
                let c = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw
                let dst = cols + row * columns
                for n in n0..<n1 {
                    let plane = x + ((n * channels) + c0 + c) * height * width
                    let base = dst + (n - n0) * oh * ow
                    for i in 0..<oh {
                        let y = i * g.strideHeight - g.padTop + ki * g.dilationHeight
                        let rowOut = base + i * ow
                        if y < 0 || y >= height {
                            for j in 0..<ow { rowOut[j] = 0 }
                            continue
                        }
                        let src = plane + y * width
                        let xOffset = kj * g.dilationWidth - g.padLeft
                        if g.strideWidth == 1 {
                            // contiguous run with zero borders
                            let jLo = Swift.max(0, -xOffset), jHi = Swift.min(ow, width - xOffset)
                            if jLo >= jHi { for j in 0..<ow { rowOut[j] = 0 }; continue }
                            for j in 0..<jLo { rowOut[j] = 0 }
                            for j in jLo..<jHi { rowOut[j] = src[j + xOffset] }
                            for j in jHi..<ow { rowOut[j] = 0 }
                        } else {
                            for j in 0..<ow {
                                let xx = j * g.strideWidth + xOffset
                                rowOut[j] = (xx >= 0 && xx < width) ? src[xx] : 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds the columns back into image gradients (the adjoint of `lower`).
    static func raise(_ cols: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                      n0: Int, n1: Int, c0: Int, cg: Int, g: Conv2DGeometry, oh: Int, ow: Int,
                      dx: UnsafeMutablePointer<Float>) {
        let kh = g.kernelHeight, kw = g.kernelWidth
        let columns = (n1 - n0) * oh * ow
        let shared = SharedPointer(dx)
        // Parallel over (image, channel) planes: each plane is written by one chunk only.
        let planes = (n1 - n0) * cg
        parallelChunks(planes, costPerItem: kh * kw * oh * ow) { range in
            let dx = shared.base
            for p in range {
                let n = n0 + p / cg, c = p % cg
                let plane = dx + ((n * channels) + c0 + c) * height * width
                for ki in 0..<kh {
                    for kj in 0..<kw {
                        let row = (c * kh + ki) * kw + kj
                        let src = cols + row * columns + (n - n0) * oh * ow
                        for i in 0..<oh {
                            let y = i * g.strideHeight - g.padTop + ki * g.dilationHeight
                            if y < 0 || y >= height { continue }
                            let dst = plane + y * width
                            let s = src + i * ow
                            for j in 0..<ow {
                                let xx = j * g.strideWidth - g.padLeft + kj * g.dilationWidth
                                if xx >= 0 && xx < width { dst[xx] += s[j] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Batched 2-D convolution (cross-correlation, as in every deep-learning framework).
public enum Convolution {
    /// Images per im2col chunk so that the column buffer stays near 32 MB.
    static func chunkSize(rows: Int, outPixels: Int, batch: Int) -> Int {
        let budget = 8 * 1024 * 1024  // floats
        return Swift.max(1, Swift.min(batch, budget / Swift.max(1, rows * outPixels)))
    }

    /// y = conv(x, w) + b. `x`: N×C×H×W, `w`: O×(C/groups)×kh×kw, `bias`: O.
    public static func forward(_ x: Tensor, _ w: Tensor, bias: Tensor?, geometry g: Conv2DGeometry, groups: Int = 1) -> Tensor {
        precondition(x.rank == 4 && w.rank == 4, "conv2d needs N×C×H×W input and O×C×kh×kw weight, got \(x.shape), \(w.shape)")
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let o = w.shape[0]
        precondition(groups > 0 && c % groups == 0 && o % groups == 0 && w.shape[1] == c / groups,
                     "conv2d: \(c) channels, weight \(w.shape), groups \(groups) do not agree")
        precondition(w.shape[2] == g.kernelHeight && w.shape[3] == g.kernelWidth, "conv2d: kernel does not match weight \(w.shape)")
        if let bias { precondition(bias.shape == [o], "conv2d: bias \(bias.shape) should be [\(o)]") }
        let (oh, ow) = g.outputSize(height: h, width: wd)
        precondition(oh > 0 && ow > 0, "conv2d: window larger than padded input \(x.shape)")
        let cg = c / groups, og = o / groups
        let rows = cg * g.kernelHeight * g.kernelWidth
        let pixels = oh * ow
        let chunk = chunkSize(rows: rows, outPixels: pixels, batch: n)
        var cols = [Float](repeating: 0, count: rows * chunk * pixels)
        var tmp = [Float](repeating: 0, count: og * chunk * pixels)
        return Tensor(shape: [n, o, oh, ow], unsafeUninitializedCapacity: { out in
            x.scalars.withUnsafeBufferPointer { px in
                w.scalars.withUnsafeBufferPointer { pw in
                    cols.withUnsafeMutableBufferPointer { pc in
                        tmp.withUnsafeMutableBufferPointer { pt in
                            for n0 in stride(from: 0, to: n, by: chunk) {
                                let n1 = Swift.min(n, n0 + chunk), cn = n1 - n0
                                for grp in 0..<groups {
                                    Im2Col.lower(px.baseAddress!, channels: c, height: h, width: wd, n0: n0, n1: n1,
                                                 c0: grp * cg, cg: cg, g: g, oh: oh, ow: ow, cols: pc.baseAddress!)
                                    // tmp[og × cn·pixels] = W_g[og × rows] · cols[rows × cn·pixels]
                                    BLAS.gemm(transposeA: false, transposeB: false, m: og, n: cn * pixels, k: rows,
                                              a: pw.baseAddress! + grp * og * rows, b: pc.baseAddress!, c: pt.baseAddress!)
                                    // scatter to N×O×P with bias
                                    for oc in 0..<og {
                                        let bv = bias?.scalars[grp * og + oc] ?? 0
                                        for ni in 0..<cn {
                                            let src = pt.baseAddress! + oc * cn * pixels + ni * pixels
                                            let dst = out.baseAddress! + ((n0 + ni) * o + grp * og + oc) * pixels
                                            for p in 0..<pixels { dst[p] = src[p] + bv }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        })
    }

    /// Gradients of `forward` with respect to the input and the weight (each only when asked).
    public static func backward(_ dy: Tensor, _ x: Tensor, _ w: Tensor, geometry g: Conv2DGeometry, groups: Int = 1,
                                needInput: Bool, needWeight: Bool) -> (dx: Tensor?, dw: Tensor?) {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let o = w.shape[0]
        let (oh, ow) = (dy.shape[2], dy.shape[3])
        let cg = c / groups, og = o / groups
        let rows = cg * g.kernelHeight * g.kernelWidth
        let pixels = oh * ow
        let chunk = chunkSize(rows: rows, outPixels: pixels, batch: n)
        var dx = needInput ? [Float](repeating: 0, count: x.count) : []
        var dw = needWeight ? [Float](repeating: 0, count: w.count) : []
        var cols = [Float](repeating: 0, count: rows * chunk * pixels)
        var dyT = [Float](repeating: 0, count: og * chunk * pixels)
        x.scalars.withUnsafeBufferPointer { px in
            w.scalars.withUnsafeBufferPointer { pw in
                dy.scalars.withUnsafeBufferPointer { pdy in
                    cols.withUnsafeMutableBufferPointer { pc in
                        dyT.withUnsafeMutableBufferPointer { pt in
                            dx.withUnsafeMutableBufferPointer { pdx in
                                dw.withUnsafeMutableBufferPointer { pdw in
                                    for n0 in stride(from: 0, to: n, by: chunk) {
                                        let n1 = Swift.min(n, n0 + chunk), cn = n1 - n0
                                        for grp in 0..<groups {
                                            // gather dy of this group as og × (cn·pixels)
                                            for oc in 0..<og {
                                                for ni in 0..<cn {
                                                    let src = pdy.baseAddress! + ((n0 + ni) * o + grp * og + oc) * pixels
                                                    let dst = pt.baseAddress! + oc * cn * pixels + ni * pixels
                                                    dst.update(from: src, count: pixels)
                                                }
                                            }
                                            if needWeight {
                                                Im2Col.lower(px.baseAddress!, channels: c, height: h, width: wd, n0: n0, n1: n1,
                                                             c0: grp * cg, cg: cg, g: g, oh: oh, ow: ow, cols: pc.baseAddress!)
                                                // dW_g[og × rows] += dyT[og × P] · colsᵀ[P × rows]
                                                BLAS.gemm(transposeA: false, transposeB: true, m: og, n: rows, k: cn * pixels,
                                                          a: pt.baseAddress!, b: pc.baseAddress!, beta: 1,
                                                          c: pdw.baseAddress! + grp * og * rows)
                                            }
                                            if needInput {
                                                // dcols[rows × P] = W_gᵀ[rows × og] · dyT[og × P]
                                                BLAS.gemm(transposeA: true, transposeB: false, m: rows, n: cn * pixels, k: og,
                                                          a: pw.baseAddress! + grp * og * rows, b: pt.baseAddress!,
                                                          c: pc.baseAddress!)
                                                Im2Col.raise(pc.baseAddress!, channels: c, height: h, width: wd, n0: n0, n1: n1,
                                                             c0: grp * cg, cg: cg, g: g, oh: oh, ow: ow, dx: pdx.baseAddress!)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (needInput ? Tensor(shape: x.shape, scalars: dx) : nil,
                needWeight ? Tensor(shape: w.shape, scalars: dw) : nil)
    }

    /// Gradient of the bias: dy summed over batch and pixels.
    public static func biasGradient(_ dy: Tensor) -> Tensor {
        let (n, o) = (dy.shape[0], dy.shape[1])
        let pixels = dy.shape[2] * dy.shape[3]
        return Tensor(shape: [o], unsafeUninitializedCapacity: { out in
            out.initialize(repeating: 0)
            dy.scalars.withUnsafeBufferPointer { p in
                for ni in 0..<n {
                    for oc in 0..<o {
                        let base = (ni * o + oc) * pixels
                        var s: Float = 0
                        for q in 0..<pixels { s += p[base + q] }
                        out[oc] += s
                    }
                }
            }
        })
    }
}
