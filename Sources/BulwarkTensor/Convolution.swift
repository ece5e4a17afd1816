import CBulwarkKernels
import Foundation

/// Geometry of a 2-D convolution or pooling window over an N×C×H×W input.
public struct Conv2DGeometry: Sendable, Equatable {
    /// Window height and width, in input pixels (before dilation).
    public var kernelHeight: Int, kernelWidth: Int
    /// Step between neighbouring windows, vertically and horizontally.
    public var strideHeight: Int, strideWidth: Int
    /// Zero padding added to the top, left, bottom and right edges.
    public var padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    /// Spacing between the window's taps (1: contiguous), vertically and horizontally.
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

/// im2col / col2im lowering for one image: convolution becomes one matrix product per group.
///
/// For stride 1 and "same" width a patch row is the image plane shifted and is one copy. Otherwise
/// rows are short on small feature maps (14 floats on a 14×14 map), so the copies are inline
/// loops the compiler vectorises, not `memmove` calls whose overhead would dominate.
enum Im2Col {
    /// Writes the patches of channels `c0..<c0+cg` of one C×H×W image into `cols`, a
    /// (cg·kh·kw) × (oh·ow) matrix whose rows are `ldc` floats apart (`ldc ≥ oh·ow`; a block of
    /// images is lowered side by side with `ldc` = images·pixels).
    static func lower(_ image: UnsafePointer<Float>, height: Int, width: Int, c0: Int, cg: Int,
                      g: Conv2DGeometry, oh: Int, ow: Int, cols: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
        let kh = g.kernelHeight, kw = g.kernelWidth
        let ldc = ldc ?? oh * ow
        let contiguous = isContiguous(g, width: width, ow: ow)
        for row in 0..<(cg * kh * kw) {
            let c = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw
            let plane = image + (c0 + c) * height * width
            let dst = cols + row * ldc
            let xOffset = kj * g.dilationWidth - g.padLeft
            let (jLo, jHi) = columnRange(xOffset: xOffset, width: width, ow: ow, stride: g.strideWidth)
            if contiguous {
                // The row is the image plane shifted by (yOffset, xOffset): one copy of the valid
                // output rows, then zeros where the window covers padding.
                let yOffset = ki * g.dilationHeight - g.padTop
                let (iLo, iHi) = rowRange(yOffset: yOffset, height: height, oh: oh)
                for q in 0..<(iLo * ow) { dst[q] = 0 }
                for q in (iHi * ow)..<(oh * ow) { dst[q] = 0 }
                if iHi > iLo && jHi > jLo {
                    let from = iLo * ow + jLo, to = (iHi - 1) * ow + jHi
                    (dst + from).update(from: plane + (from + yOffset * width + xOffset), count: to - from)
                    for i in iLo..<iHi {
                        let line = dst + i * ow
                        zeroFew(line, jLo)
                        zeroFew(line + jHi, ow - jHi)
                    }
                } else {
                    for q in (iLo * ow)..<(iHi * ow) { dst[q] = 0 }
                }
                continue
            }
            for i in 0..<oh {
                let y = i * g.strideHeight - g.padTop + ki * g.dilationHeight
                let rowOut = dst + i * ow
                if y < 0 || y >= height {
                    for j in 0..<ow { rowOut[j] = 0 }
                    continue
                }
                let src = plane + y * width + xOffset
                for j in 0..<jLo { rowOut[j] = 0 }
                if g.strideWidth == 1 {
                    for j in jLo..<jHi { rowOut[j] = src[j] }
                } else {
                    for j in jLo..<jHi { rowOut[j] = src[j * g.strideWidth] }
                }
                for j in jHi..<ow { rowOut[j] = 0 }
            }
        }
    }

    /// Adds `cols` (rows `ldc` floats apart) back into the gradient of one image (the adjoint of `lower`).
    /// `cols` is scratch: entries that fall on padding may be overwritten with zeros.
    static func raise(_ cols: UnsafeMutablePointer<Float>, height: Int, width: Int, c0: Int, cg: Int,
                      g: Conv2DGeometry, oh: Int, ow: Int, dx: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
        let kh = g.kernelHeight, kw = g.kernelWidth
        let ldc = ldc ?? oh * ow
        let contiguous = isContiguous(g, width: width, ow: ow)
        for row in 0..<(cg * kh * kw) {
            let c = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw
            let plane = dx + (c0 + c) * height * width
            let src = cols + row * ldc
            let xOffset = kj * g.dilationWidth - g.padLeft
            let (jLo, jHi) = columnRange(xOffset: xOffset, width: width, ow: ow, stride: g.strideWidth)
            if contiguous {
                // Zero the entries that lie on left/right padding, then add the valid output rows
                // to the shifted plane in one pass (the zeros land on neighbouring pixels: no-ops).
                let yOffset = ki * g.dilationHeight - g.padTop
                let (iLo, iHi) = rowRange(yOffset: yOffset, height: height, oh: oh)
                guard iHi > iLo && jHi > jLo else { continue }
                for i in iLo..<iHi {
                    let line = src + i * ow
                    zeroFew(line, jLo)
                    zeroFew(line + jHi, ow - jHi)
                }
                let from = iLo * ow + jLo, to = (iHi - 1) * ow + jHi
                let dst = plane + (yOffset * width + xOffset)
                for q in from..<to { dst[q] += src[q] }
                continue
            }
            for i in 0..<oh {
                let y = i * g.strideHeight - g.padTop + ki * g.dilationHeight
                if y < 0 || y >= height { continue }
                let dst = plane + y * width + xOffset
                let s = src + i * ow
                if g.strideWidth == 1 {
                    for j in jLo..<jHi { dst[j] += s[j] }
                } else {
                    for j in jLo..<jHi { dst[j * g.strideWidth] += s[j] }
                }
            }
        }
    }

    /// Zeroes `count` floats at `p`. The runs here are a padding column or two per output row,
    /// so short ones are plain stores: the compiler turns a zeroing loop into a `memset` call,
    /// and thousands of calls per image showed up in profiles.
    @inline(__always)
    static func zeroFew(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        switch count {
        case ..<1: break
        case 1: p[0] = 0
        case 2: p[0] = 0; p[1] = 0
        default: p.update(repeating: 0, count: count)
        }
    }

    /// Stride 1 with output width = input width ("same" padding along x): consecutive output rows
    /// of one patch row then read consecutive input rows, so a patch row is a shifted copy of the
    /// whole plane.
    @inline(__always)
    static func isContiguous(_ g: Conv2DGeometry, width: Int, ow: Int) -> Bool {
        g.strideWidth == 1 && g.strideHeight == 1 && ow == width
    }

    /// Output rows `iLo..<iHi` whose input row `i + yOffset` (stride 1) lies inside the image.
    @inline(__always)
    static func rowRange(yOffset: Int, height: Int, oh: Int) -> (Int, Int) {
        let iLo = Swift.min(oh, Swift.max(0, -yOffset))
        return (iLo, Swift.max(iLo, Swift.min(oh, height - yOffset)))
    }

    /// Output columns `jLo..<jHi` whose input column `j·stride + xOffset` lies inside the image.
    @inline(__always)
    static func columnRange(xOffset: Int, width: Int, ow: Int, stride: Int) -> (Int, Int) {
        let jLo = xOffset >= 0 ? 0 : Swift.min(ow, (-xOffset + stride - 1) / stride)
        let jHi = Swift.max(jLo, Swift.min(ow, width - xOffset <= 0 ? 0 : (width - xOffset - 1) / stride + 1))
        return (jLo, jHi)
    }

    /// A work buffer that every user writes in full before reading (lowered patches, products
    /// with β = 0, gathered blocks), so it is not zeroed: at 1 MB per call the memset showed up
    /// in profiles.
    static func scratch(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Images lowered side by side into one matrix so that each product has about 1 024
    /// columns (at most 8 images): products with few columns (a 7×7 map gives 49) run OpenBLAS
    /// far below its speed on wide ones.
    static func imageBlock(pixels: Int) -> Int { Swift.max(1, Swift.min(8, 1024 / Swift.max(pixels, 1))) }

    /// Copies rows `o0..<o0+og` of images `first..<first+count` of an N×O×P tensor side by side
    /// into an og × (count·P) matrix.
    static func gatherBlock(_ t: UnsafePointer<Float>, first: Int, count: Int, channels o: Int, o0: Int, og: Int,
                            pixels: Int, into dst: UnsafeMutablePointer<Float>) {
        let width = count * pixels
        for b in 0..<count {
            for oc in 0..<og {
                let src = t + ((first + b) * o + o0 + oc) * pixels
                let d = dst + oc * width + b * pixels
                for p in 0..<pixels { d[p] = src[p] }
            }
        }
    }

    /// The full-resolution error of channels `o0..<o0+og` of images `first..<first+count`,
    /// side by side as in ``gatherBlock(_:first:count:channels:o0:og:pixels:into:)``, rebuilt from
    /// the error of their max-pooled output: zeros, plus each pooled element's error at the
    /// position of its maximum (`indices`: flat N×O×pixels offsets; −1 or out of the plane:
    /// none), in the order ``Pooling/maxBackward(_:indices:inputShape:)`` adds them.
    static func scatterPooledBlock(_ dy: UnsafePointer<Float>, indices: UnsafePointer<Int32>, first: Int, count: Int,
                                   channels o: Int, o0: Int, og: Int, pixels: Int, pooledPixels: Int,
                                   into dst: UnsafeMutablePointer<Float>) {
        let width = count * pixels
        for oc in 0..<og { (dst + oc * width).update(repeating: 0, count: width) }
        for b in 0..<count {
            for oc in 0..<og {
                let plane = (first + b) * o + o0 + oc
                let base = plane * pixels
                let d = dst + oc * width + b * pixels
                let src = dy + plane * pooledPixels, idx = indices + plane * pooledPixels
                for k in 0..<pooledPixels {
                    let at = Int(idx[k]) &- base
                    if at >= 0 && at < pixels { d[at] += src[k] }
                }
            }
        }
    }
}

/// Batched 2-D convolution (cross-correlation, as in every deep-learning framework).
public enum Convolution {
    /// y = conv(x, w) + b. `x`: N×C×H×W, `w`: O×(C/groups)×kh×kw, `bias`: O.
    ///
    /// Images are processed in parallel; each worker lowers one image at a time into a
    /// cache-sized buffer and multiplies it straight into the N×O×H×W output (no scatter pass).
    public static func forward(_ x: Tensor, _ w: Tensor, bias: Tensor?, geometry g: Conv2DGeometry, groups: Int = 1) -> Tensor {
        forward(x, w, bias: bias, geometry: g, groups: groups, epilogue: nil)
    }

    /// Inference-mode convolution fused with the layers that follow it in a network:
    /// y = conv(x, w) + b, then max pooling over `maxPool` windows (when given), then ReLU (when
    /// `relu`).
    ///
    /// The values are those of ``forward(_:_:bias:geometry:groups:)`` followed by
    /// ``Pooling/maxForward(_:geometry:)`` and ``Tensor/relu()`` (bit for bit with ReLU;
    /// without it a pooled zero's sign may differ), but the
    /// full-resolution output is never written to memory: each worker pools a block's product
    /// while it is still in cache. No gradient can be taken through it.
    public static func fusedForward(_ x: Tensor, _ w: Tensor, bias: Tensor?, geometry g: Conv2DGeometry, groups: Int = 1,
                                    maxPool: Conv2DGeometry? = nil, relu: Bool = false) -> Tensor {
        precondition(x.rank == 4, "conv2d needs N×C×H×W input, got \(x.shape)")
        let (oh, ow) = g.outputSize(height: x.shape[2], width: x.shape[3])
        var e = Epilogue(pool: maxPool, relu: relu, inHeight: oh, inWidth: ow, height: oh, width: ow)
        if let maxPool {
            (e.height, e.width) = maxPool.outputSize(height: oh, width: ow)
            precondition(e.height > 0 && e.width > 0, "maxPool2d: window larger than the convolution's \(oh)×\(ow) output")
        }
        return forward(x, w, bias: bias, geometry: g, groups: groups, epilogue: e)
    }

    /// Training-mode convolution fused with the max pooling that follows it:
    /// y = maxPool(conv(x, w) + b), with, per pooled output, the flat index of its maximum in
    /// the N×O×H×W convolution output, for ``backward(pooled:indices:_:_:geometry:groups:needInput:needWeight:needBias:)``.
    ///
    /// The values and indices are bit for bit those of ``forward(_:_:bias:geometry:groups:)``
    /// followed by ``Pooling/maxForward(_:geometry:)``, but the full-resolution output (four
    /// times the pooled one for 2×2 windows) is never written or read back: each worker pools a
    /// block's product while it is in cache.
    /// - Precondition: the convolution's output has fewer than 2³¹ elements.
    public static func forwardMaxPool(_ x: Tensor, _ w: Tensor, bias: Tensor?, geometry g: Conv2DGeometry, groups: Int = 1,
                                      pool: Conv2DGeometry) -> (Tensor, [Int32]) {
        precondition(x.rank == 4 && w.rank == 4, "conv2d needs N×C×H×W input and O×C×kh×kw weight, got \(x.shape), \(w.shape)")
        let (oh, ow) = g.outputSize(height: x.shape[2], width: x.shape[3])
        let (ph, pw) = pool.outputSize(height: oh, width: ow)
        precondition(ph > 0 && pw > 0, "maxPool2d: window larger than the convolution's \(oh)×\(ow) output")
        precondition(x.shape[0] * w.shape[0] * oh * ow < Int(Int32.max), "conv2d + maxPool2d: output too large")
        let count = x.shape[0] * w.shape[0] * ph * pw
        if count == 0 { return (fusedForward(x, w, bias: bias, geometry: g, groups: groups, maxPool: pool), []) }
        // every pooled output's index is written by its plane's epilogue
        var indices = [Int32](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        let y = indices.withUnsafeMutableBufferPointer { pi in
            let e = Epilogue(pool: pool, relu: false, inHeight: oh, inWidth: ow, height: ph, width: pw,
                             indices: UncheckedBox(pi.baseAddress!))
            return forward(x, w, bias: bias, geometry: g, groups: groups, epilogue: e)
        }
        return (y, indices)
    }

    /// The N×O×H×W output of a forward path — H×W the epilogue's size when there is one, else
    /// `height`×`width` — written by `body` from the input's and the weights' storage (boxed for
    /// the parallel workers), into the output, whose plane size it is given.
    static func forwardOutput(_ x: Tensor, weights: [Float], outputs o: Int, height: Int, width: Int, epilogue: Epilogue?,
                              _ body: (_ input: UncheckedBox<UnsafePointer<Float>>, _ weights: UncheckedBox<UnsafePointer<Float>>,
                                       _ output: SharedPointer, _ outPixels: Int) -> Void) -> Tensor {
        let (outH, outW) = epilogue.map { ($0.height, $0.width) } ?? (height, width)
        return Tensor(shape: [x.shape[0], o, outH, outW], unsafeUninitializedCapacity: { out in
            x.scalars.withUnsafeBufferPointer { px in
                weights.withUnsafeBufferPointer { pw in
                    body(UncheckedBox(px.baseAddress!), UncheckedBox(pw.baseAddress!), SharedPointer(out.baseAddress!), outH * outW)
                }
            }
        })
    }

    /// Writes one product plane of `pixels` values to the output: through the epilogue when
    /// there is one (`plane` is its index in the N×O output), else with `bias` added.
    @inline(__always)
    static func finishPlane(_ src: UnsafePointer<Float>, bias: Float, plane: Int, pixels: Int, epilogue: Epilogue?,
                            into dst: UnsafeMutablePointer<Float>) {
        if let epilogue {
            epilogue.apply(src, bias: bias, plane: plane, into: dst)
        } else {
            for q in 0..<pixels { dst[q] = src[q] + bias }
        }
    }

    /// What a fused inference convolution does to each output plane after the bias: max
    /// pooling (optional), then ReLU (optional). `height`×`width` is the size it writes.
    struct Epilogue {
        var pool: Conv2DGeometry?
        var relu: Bool
        var inHeight: Int, inWidth: Int
        var height: Int, width: Int
        /// With a pool: where to write, per pooled output, the flat index of its maximum in the
        /// N×O×inHeight×inWidth output the convolution did not write (for a training pass's
        /// backward; `relu` is then false).
        var indices: UncheckedBox<UnsafeMutablePointer<Int32>>? = nil

        /// Whether this is an inference 2×2/2 max pooling (no indices to record) of a `height` ×
        /// `width` map, which the fused kernels apply to pairs of rows and columns before writing.
        func poolsPairs(height: Int, width: Int) -> Bool {
            indices == nil && pool?.poolsPairs(height: height, width: width) == true
        }

        /// Writes the epilogue of one product plane (`src[q] + bias`, or `src[q]` when `bias` is
        /// nil) to `dst`. `plane` is the plane's index in the N×O output (image · O + channel).
        @inline(__always)
        func apply(_ src: UnsafePointer<Float>, bias: Float?, plane: Int, into dst: UnsafeMutablePointer<Float>) {
            if let indices, let pool {
                Pooling.maxPlane(src, height: inHeight, width: inWidth, bias: bias, geometry: pool, oh: height, ow: width,
                                 into: dst, indices: indices.value + plane * height * width, planeBase: plane * inHeight * inWidth)
                return
            }
            let bias = bias ?? 0
            if let pool {
                Pooling.poolPlane(src, height: inHeight, width: inWidth, bias: bias, relu: relu, geometry: pool,
                                  oh: height, ow: width, into: dst)
            } else if relu {
                for q in 0..<(inHeight * inWidth) { let v = src[q] + bias; dst[q] = v > 0 ? v : 0 }
            } else {
                for q in 0..<(inHeight * inWidth) { dst[q] = src[q] + bias }
            }
        }
    }

    static func forward(_ x: Tensor, _ w: Tensor, bias: Tensor?, geometry g: Conv2DGeometry, groups: Int,
                        epilogue: Epilogue?) -> Tensor {
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
        let pointwise = g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1
            && g.padTop == 0 && g.padLeft == 0 && g.padBottom == 0 && g.padRight == 0
        let biasValues = bias?.scalars
        if !pointwise && pixels < 64 && n > 1 && c * h * wd < Int(Int32.max) {
            return smallImageForward(x, w, biasValues: biasValues, geometry: g, groups: groups, oh: oh, ow: ow, epilogue: epilogue)
        }
        if Winograd.applies(g, groups: groups, inputChannels: c, outputChannels: o) {
            return winogradForward(x, w, biasValues: biasValues, epilogue: epilogue)
        }
        if c == 1, groups == 1, !pointwise, g.strideHeight == 1, g.strideWidth == 1, g.dilationHeight == 1, g.dilationWidth == 1 {
            return singleChannelForward(x, w, biasValues: biasValues, geometry: g, oh: oh, ow: ow, epilogue: epilogue)
        }
        let block = pointwise ? 1 : Im2Col.imageBlock(pixels: pixels)
        return forwardOutput(x, weights: w.scalars, outputs: o, height: oh, width: ow, epilogue: epilogue) { px, pw, pout, outPixels in
            parallelChunks(n, costPerItem: o * rows * pixels) { range in
                var cols = Im2Col.scratch(pointwise ? 0 : rows * pixels * block)
                var prod = Im2Col.scratch(block > 1 || epilogue != nil ? og * pixels * block : 0)
                cols.withUnsafeMutableBufferPointer { pc in
                    prod.withUnsafeMutableBufferPointer { pp in
                        var start = range.lowerBound
                        while start < range.upperBound {
                            let count = Swift.min(block, range.upperBound - start)
                            let width = count * pixels
                            for grp in 0..<groups {
                                let weights = pw.value + grp * og * rows
                                if count == 1 {
                                    // one image: multiply straight into the output (or, with an
                                    // epilogue, into the product buffer), bias pre-filled
                                    let image = px.value + start * c * h * wd
                                    let dst = epilogue == nil ? pout.base + (start * o + grp * og) * pixels : pp.baseAddress!
                                    let b: UnsafePointer<Float>
                                    if pointwise {
                                        b = image + grp * cg * h * wd
                                    } else {
                                        Im2Col.lower(image, height: h, width: wd, c0: grp * cg, cg: cg, g: g, oh: oh, ow: ow,
                                                     cols: pc.baseAddress!)
                                        b = UnsafePointer(pc.baseAddress!)
                                    }
                                    if let biasValues {
                                        for oc in 0..<og { (dst + oc * pixels).update(repeating: biasValues[grp * og + oc], count: pixels) }
                                    }
                                    BLAS.serialGemm(false, false, og, pixels, rows, 1, weights, rows,
                                                    b, pixels, biasValues == nil ? 0 : 1, dst, pixels)
                                    if let epilogue {
                                        for oc in 0..<og {
                                            epilogue.apply(dst + oc * pixels, bias: nil, plane: start * o + grp * og + oc,
                                                           into: pout.base + (start * o + grp * og + oc) * outPixels)
                                        }
                                    }
                                    continue
                                }
                                // a block of images side by side: one og × (count·pixels) product, then scatter
                                for k in 0..<count {
                                    Im2Col.lower(px.value + (start + k) * c * h * wd, height: h, width: wd, c0: grp * cg, cg: cg,
                                                 g: g, oh: oh, ow: ow, cols: pc.baseAddress! + k * pixels, ldc: width)
                                }
                                BLAS.serialGemm(false, false, og, width, rows, 1, weights, rows,
                                                pc.baseAddress!, width, 0, pp.baseAddress!, width)
                                for k in 0..<count {
                                    for oc in 0..<og {
                                        let src = pp.baseAddress! + oc * width + k * pixels
                                        let dst = pout.base + ((start + k) * o + grp * og + oc) * outPixels
                                        let bv = biasValues?[grp * og + oc] ?? 0
                                        finishPlane(src, bias: bv, plane: (start + k) * o + grp * og + oc, pixels: pixels, epilogue: epilogue, into: dst)
                                    }
                                }
                            }
                            start += count
                        }
                    }
                }
            }
        }
    }

    /// `forward` of a single-channel input with stride 1 and no dilation — a grayscale model's
    /// first layer — as a direct convolution in C: with one input channel, im2col's product has
    /// an inner dimension of kh·kw (9), too thin for a matrix product to pay for lowering. Each
    /// worker convolves one image at a time into a buffer, then adds the bias (or runs the
    /// epilogue) while it is in cache. Every forward path of such a layer (plain, fused for
    /// inference, fused with argmax indices for training) comes here, so they agree bit for bit.
    static func singleChannelForward(_ x: Tensor, _ w: Tensor, biasValues: [Float]?, geometry g: Conv2DGeometry,
                                     oh: Int, ow: Int, epilogue: Epilogue?) -> Tensor {
        let (n, h, wd) = (x.shape[0], x.shape[2], x.shape[3])
        let o = w.shape[0], pixels = oh * ow
        let (kh, kw) = (g.kernelHeight, g.kernelWidth)
        return forwardOutput(x, weights: w.scalars, outputs: o, height: oh, width: ow, epilogue: epilogue) { px, pw, pout, outPixels in
            (biasValues ?? []).withUnsafeBufferPointer { pb in
                let pb = UncheckedBox(biasValues == nil ? nil : pb.baseAddress)
                // a 3×3 kernel pooled 2×2 (inference): each pair of output rows pooled in L1
                let pooledPairs = kh == 3 && kw == 3 && epilogue?.poolsPairs(height: oh, width: ow) == true
                parallelChunks(n, costPerItem: o * kh * kw * pixels) { range in
                    var rows = Im2Col.scratch(pooledPairs ? 2 * ow : 0)
                    let paddedCount = (oh + kh - 1) * (ow + kw - 1)
                    var scratch = Im2Col.scratch(paddedCount + (epilogue == nil ? 0 : o * pixels))
                    scratch.withUnsafeMutableBufferPointer { ps in
                        let padded = ps.baseAddress!, product = padded + paddedCount
                        for image in range {
                            let input = px.value + image * h * wd
                            if pooledPairs, let epilogue, rows.withUnsafeMutableBufferPointer({ pr in
                                bulwark_conv3x3_single_channel_pool(input, h, wd, pw.value, pb.value, o, g.padTop, g.padLeft, oh, ow,
                                                                    epilogue.relu ? 1 : 0, padded, pr.baseAddress!,
                                                                    pout.base + image * o * outPixels)
                            }) != 0 {
                                continue
                            }
                            guard let epilogue else {
                                // straight into the output, the bias added in the kernel
                                bulwark_conv_single_channel(input, h, wd, pw.value, pb.value, o, kh, kw, g.padTop, g.padLeft,
                                                            oh, ow, padded, pout.base + image * o * pixels)
                                continue
                            }
                            bulwark_conv_single_channel(input, h, wd, pw.value, nil, o, kh, kw, g.padTop, g.padLeft,
                                                        oh, ow, padded, product)
                            for oc in 0..<o {
                                epilogue.apply(product + oc * pixels, bias: biasValues?[oc] ?? 0, plane: image * o + oc,
                                               into: pout.base + (image * o + oc) * outPixels)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `forward` for a 3×3 convolution with stride 1 and padding 1 (``Winograd/applies(_:groups:inputChannels:outputChannels:)``):
    /// each worker convolves a block of images at a time through ``Winograd`` into a buffer, then
    /// adds the bias (or runs the epilogue) while the block is in cache.
    static func winogradForward(_ x: Tensor, _ w: Tensor, biasValues: [Float]?, epilogue: Epilogue?) -> Tensor {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let o = w.shape[0]
        let pixels = h * wd
        let block = Im2Col.imageBlock(pixels: pixels)
        let u = Winograd.kernels(w, flipped: false)
        if let epilogue, epilogue.poolsPairs(height: h, width: wd) {
            // the pooling's windows are the output tiles: pooled as the tiles are transformed
            return forwardOutput(x, weights: u, outputs: o, height: h, width: wd, epilogue: epilogue) { px, pu, pout, outPixels in
                (biasValues ?? []).withUnsafeBufferPointer { pb in
                    let pooled = UncheckedBox(Winograd.Pooled(bias: biasValues == nil ? nil : pb.baseAddress, relu: epilogue.relu))
                    parallelChunks(n, costPerItem: o * c * 9 * pixels) { range in
                        let scratch = Winograd.Scratch(images: block, height: h, width: wd, inputs: c, outputs: o)
                        var start = range.lowerBound
                        while start < range.upperBound {
                            let count = Swift.min(block, range.upperBound - start)
                            Winograd.convolve(px.value + start * c * pixels, imageStride: c * pixels, channelStride: pixels,
                                              images: count, inputs: c, height: h, width: wd, kernels: pu.value, outputs: o,
                                              scratch: scratch, pooled: pooled.value,
                                              into: pout.base + start * o * outPixels, imageStride: o * outPixels, channelStride: outPixels)
                            start += count
                        }
                    }
                }
            }
        }
        return forwardOutput(x, weights: u, outputs: o, height: h, width: wd, epilogue: epilogue) { px, pu, pout, outPixels in
            parallelChunks(n, costPerItem: o * c * 9 * pixels) { range in
                let scratch = Winograd.Scratch(images: block, height: h, width: wd, inputs: c, outputs: o)
                var prod = Im2Col.scratch(o * pixels * block)
                prod.withUnsafeMutableBufferPointer { pp in
                    let pp = pp.baseAddress!
                    var start = range.lowerBound
                    while start < range.upperBound {
                        let count = Swift.min(block, range.upperBound - start)
                        let width = count * pixels
                        Winograd.convolve(px.value + start * c * pixels, imageStride: c * pixels, channelStride: pixels,
                                          images: count, inputs: c, height: h, width: wd, kernels: pu.value, outputs: o,
                                          scratch: scratch, into: pp, imageStride: pixels, channelStride: width)
                        for k in 0..<count {
                            for oc in 0..<o {
                                let src = pp + oc * width + k * pixels
                                let dst = pout.base + ((start + k) * o + oc) * outPixels
                                let bv = biasValues?[oc] ?? 0
                                finishPlane(src, bias: bv, plane: (start + k) * o + oc, pixels: pixels, epilogue: epilogue, into: dst)
                            }
                        }
                        start += count
                    }
                }
            }
        }
    }

    /// `forward` for small feature maps (under 64 output pixels), where per-image im2col and
    /// matrix products cost more in loop and call overhead than in arithmetic. The patch layout is
    /// computed once as an offset table, a block of images is lowered side by side into one
    /// rows × (images·pixels) matrix, multiplied once per group, and scattered with the bias into
    /// the N×O×H×W output. Same arithmetic per output as `forward` (sums may differ by rounding).
    static func smallImageForward(_ x: Tensor, _ w: Tensor, biasValues: [Float]?, geometry g: Conv2DGeometry,
                                  groups: Int, oh: Int, ow: Int, epilogue: Epilogue? = nil) -> Tensor {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let o = w.shape[0]
        let cg = c / groups, og = o / groups
        let kh = g.kernelHeight, kw = g.kernelWidth
        let rows = cg * kh * kw
        let pixels = oh * ow
        // offset of each (row, pixel) patch entry inside channel group 0 of an image; -1 is padding
        // (Int32: the caller sends images of 2³¹ values or more to `forward`'s own path)
        var table = [Int32](repeating: -1, count: rows * pixels)
        for row in 0..<rows {
            let ch = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw
            for i in 0..<oh {
                let y = i * g.strideHeight - g.padTop + ki * g.dilationHeight
                guard y >= 0 && y < h else { continue }
                for j in 0..<ow {
                    let xx = j * g.strideWidth - g.padLeft + kj * g.dilationWidth
                    if xx >= 0 && xx < wd { table[row * pixels + i * ow + j] = Int32((ch * h + y) * wd + xx) }
                }
            }
        }
        let block = Swift.max(1, 512 / pixels)  // images lowered together: about 512 columns
        return forwardOutput(x, weights: w.scalars, outputs: o, height: oh, width: ow, epilogue: epilogue) { px, pw, pout, outPixels in
            table.withUnsafeBufferPointer { pt in
                let pt = UncheckedBox(pt.baseAddress!)
                parallelChunks(n, costPerItem: o * rows * pixels) { range in
                    let columns = block * pixels
                    var cols = [Float](repeating: 0, count: rows * columns)
                    var prod = [Float](repeating: 0, count: og * columns)
                    cols.withUnsafeMutableBufferPointer { pc in
                        prod.withUnsafeMutableBufferPointer { pp in
                            let pc = pc.baseAddress!, pp = pp.baseAddress!
                            var start = range.lowerBound
                            while start < range.upperBound {
                                let count = Swift.min(block, range.upperBound - start)
                                let width = count * pixels
                                for grp in 0..<groups {
                                    bulwark_patch_gather(px.value + start * c * h * wd + grp * cg * h * wd, c * h * wd, count,
                                                         pt.value, rows, pixels, pc)
                                    BLAS.serialGemm(false, false, og, width, rows, 1, pw.value + grp * og * rows, rows,
                                                    pc, width, 0, pp, width)
                                    for b in 0..<count {
                                        for oc in 0..<og {
                                            let src = pp + oc * width + b * pixels
                                            let dst = pout.base + ((start + b) * o + grp * og + oc) * outPixels
                                            let bv = biasValues?[grp * og + oc] ?? 0
                                            finishPlane(src, bias: bv, plane: (start + b) * o + grp * og + oc, pixels: pixels, epilogue: epilogue, into: dst)
                                        }
                                    }
                                }
                                start += count
                            }
                        }
                    }
                }
            }
        }
    }

    /// Gradients of `forward` with respect to the input and the weight (each only when asked).
    public static func backward(_ dy: Tensor, _ x: Tensor, _ w: Tensor, geometry g: Conv2DGeometry, groups: Int = 1,
                                needInput: Bool, needWeight: Bool) -> (dx: Tensor?, dw: Tensor?) {
        let (dx, dw, _) = dy.scalars.withUnsafeBufferPointer { pdy in
            backward(.dense(UncheckedBox(pdy.baseAddress!)), x, w, geometry: g, groups: groups, outputHeight: dy.shape[2],
                     outputWidth: dy.shape[3], needInput: needInput, needWeight: needWeight, needBias: false)
        }
        return (dx, dw)
    }

    /// Gradients of ``forwardMaxPool(_:_:bias:geometry:groups:pool:)`` with respect to the input,
    /// the weight and the bias (each only when asked), from the error `dy` of the pooled output
    /// and the `indices` the forward pass returned.
    ///
    /// The same values, bit for bit, as ``Pooling/maxBackward(_:indices:inputShape:)`` followed by
    /// ``backward(_:_:_:geometry:groups:needInput:needWeight:)`` and ``biasGradient(_:)``, but
    /// the full-resolution error is rebuilt block by block in cache, never as a whole tensor.
    public static func backward(pooled dy: Tensor, indices: [Int32], _ x: Tensor, _ w: Tensor, geometry g: Conv2DGeometry,
                                groups: Int = 1, needInput: Bool, needWeight: Bool, needBias: Bool)
        -> (dx: Tensor?, dw: Tensor?, db: Tensor?) {
        precondition(dy.rank == 4 && dy.count == indices.count && dy.shape[0] == x.shape[0] && dy.shape[1] == w.shape[0],
                     "conv2d + maxPool2d backward: error \(dy.shape) and \(indices.count) indices do not fit input \(x.shape), weight \(w.shape)")
        let (oh, ow) = g.outputSize(height: x.shape[2], width: x.shape[3])
        if dy.count == 0 {  // an empty batch: the dense path handles it
            let dense = Tensor.zeros([x.shape[0], w.shape[0], oh, ow])
            let (dx, dw) = backward(dense, x, w, geometry: g, groups: groups, needInput: needInput, needWeight: needWeight)
            return (dx, dw, needBias ? biasGradient(dense) : nil)
        }
        return dy.scalars.withUnsafeBufferPointer { pdy in
            indices.withUnsafeBufferPointer { pi in
                backward(.pooled(UncheckedBox(pdy.baseAddress!), UncheckedBox(pi.baseAddress!), pooledPixels: dy.shape[2] * dy.shape[3]),
                         x, w, geometry: g, groups: groups, outputHeight: oh, outputWidth: ow,
                         needInput: needInput, needWeight: needWeight, needBias: needBias)
            }
        }
    }

    /// Where a convolution backward pass reads the error of the convolution's output.
    enum OutputError {
        /// The N×O×H×W error itself.
        case dense(UncheckedBox<UnsafePointer<Float>>)
        /// The error of its max-pooled output (`pooledPixels` per plane) and, per pooled element,
        /// the flat index of the maximum it came from (−1: none).
        case pooled(UncheckedBox<UnsafePointer<Float>>, UncheckedBox<UnsafePointer<Int32>>, pooledPixels: Int)
    }

    /// The backward pass over a block of images at a time. Each worker builds the block's output
    /// error (gathering it side by side, or scattering a pooled error into zeros), then adds
    /// dy·colsᵀ into its weight-gradient accumulator and raises Wᵀ·dy into dx. With `needBias`
    /// each image's channel sums are taken from the block while it is in cache and summed in
    /// batch order at the end, as ``biasGradient(_:)`` sums them.
    static func backward(_ error: OutputError, _ x: Tensor, _ w: Tensor, geometry g: Conv2DGeometry, groups: Int,
                         outputHeight oh: Int, outputWidth ow: Int, needInput: Bool, needWeight: Bool, needBias: Bool)
        -> (dx: Tensor?, dw: Tensor?, db: Tensor?) {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let o = w.shape[0]
        let cg = c / groups, og = o / groups
        let rows = cg * g.kernelHeight * g.kernelWidth
        let pixels = oh * ow
        // each worker zeroes its own blocks' part of dx just before adding into it
        var dx = needInput ? [Float](unsafeUninitializedCapacity: x.count) { _, initialized in initialized = x.count } : []
        let workers = Swift.max(1, Swift.min(currentWorkerCount, n))
        // one weight-gradient accumulator per worker, summed at the end
        // (for a Winograd weight gradient, of the transformed kernels: 16 × O × C)
        let winogradWeight = needWeight && oh == h && ow == wd && Winograd.applies(g, groups: groups, inputChannels: c, outputChannels: o)
        let partCount = winogradWeight ? 16 * o * c : w.count
        var dwParts = needWeight ? [Float](repeating: 0, count: workers * partCount) : []
        // per image and channel: the sum of its output error (every entry written by its block)
        var biasParts = needBias ? [Float](unsafeUninitializedCapacity: n * o) { _, initialized in initialized = n * o } : []
        let wCount = partCount
        let block = Im2Col.imageBlock(pixels: pixels)
        // the input gradient of a 3×3, stride 1, padding 1 convolution is one too (of dy, with
        // the kernels rotated and the channels swapped): Winograd when it applies
        let winograd = needInput && oh == h && ow == wd && Winograd.applies(g, groups: groups, inputChannels: o, outputChannels: c)
        let flipped = winograd ? Winograd.kernels(w, flipped: true) : []
        var pooledInput = false
        if case .pooled = error { pooledInput = true }
        x.scalars.withUnsafeBufferPointer { px in
            w.scalars.withUnsafeBufferPointer { pw in
                biasParts.withUnsafeMutableBufferPointer { pbias in
                    dx.withUnsafeMutableBufferPointer { pdx in
                        dwParts.withUnsafeMutableBufferPointer { pdw in
                            let px = UncheckedBox(px.baseAddress!), pw = UncheckedBox(pw.baseAddress!)
                            let pdx = UncheckedBox(pdx.baseAddress), pdw = UncheckedBox(pdw.baseAddress)
                            let pbias = UncheckedBox(pbias.baseAddress)
                            let chunks = workers
                            let run = { (chunk: Int) in
                                let lo = n * chunk / chunks, hi = n * (chunk + 1) / chunks
                                let scratch = winograd || winogradWeight ? Winograd.Scratch(images: block, height: h, width: wd, inputs: o, outputs: c) : nil
                                var cols = Im2Col.scratch(rows * pixels * block)
                                var gathered = Im2Col.scratch(block > 1 || pooledInput ? og * pixels * block : 0)
                                cols.withUnsafeMutableBufferPointer { pc in
                                    gathered.withUnsafeMutableBufferPointer { pg in
                                        let pc = pc.baseAddress!
                                        var start = lo
                                        while start < hi {
                                            let count = Swift.min(block, hi - start)
                                            let width = count * pixels
                                            // the block's part of dx, zeroed just before it is added into (still in cache)
                                            if needInput, !winograd, let dxBase = pdx.value {
                                                (dxBase + start * c * h * wd).update(repeating: 0, count: count * c * h * wd)
                                            }
                                            for grp in 0..<groups {
                                                // dy of the block's images for this group, og × (count·pixels)
                                                let dyg: UnsafePointer<Float>
                                                switch error {
                                                case .dense(let pdy):
                                                    if count == 1 {
                                                        dyg = pdy.value + (start * o + grp * og) * pixels
                                                    } else {
                                                        Im2Col.gatherBlock(pdy.value, first: start, count: count, channels: o, o0: grp * og,
                                                                           og: og, pixels: pixels, into: pg.baseAddress!)
                                                        dyg = UnsafePointer(pg.baseAddress!)
                                                    }
                                                case .pooled(let pdy, let pidx, let pooledPixels):
                                                    Im2Col.scatterPooledBlock(pdy.value, indices: pidx.value, first: start, count: count,
                                                                              channels: o, o0: grp * og, og: og, pixels: pixels,
                                                                              pooledPixels: pooledPixels, into: pg.baseAddress!)
                                                    dyg = UnsafePointer(pg.baseAddress!)
                                                }
                                                if needBias, let biasBase = pbias.value {
                                                    for k in 0..<count {
                                                        for oc in 0..<og {
                                                            biasBase[(start + k) * o + grp * og + oc] =
                                                                sumContiguous(dyg + oc * width + k * pixels, count: pixels)
                                                        }
                                                    }
                                                }
                                                if winogradWeight, let dwBase = pdw.value, let scratch {
                                                    Winograd.accumulateKernelGradients(
                                                        error: dyg, imageStride: pixels, channelStride: width,
                                                        input: px.value + start * c * h * wd, imageStride: c * h * wd, channelStride: h * wd,
                                                        images: count, inputs: c, outputs: o, height: h, width: wd, scratch: scratch,
                                                        into: dwBase + chunk * wCount)
                                                } else if needWeight, let dwBase = pdw.value {
                                                    for k in 0..<count {
                                                        Im2Col.lower(px.value + (start + k) * c * h * wd, height: h, width: wd, c0: grp * cg, cg: cg,
                                                                     g: g, oh: oh, ow: ow, cols: pc + k * pixels, ldc: width)
                                                    }
                                                    // dW_g[og × rows] += dy_g[og × width] · colsᵀ[width × rows]
                                                    BLAS.serialGemm(false, true, og, rows, width, 1, dyg, width, pc, width, 1,
                                                                    dwBase + chunk * wCount + grp * og * rows, rows)
                                                }
                                                if needInput, let dxBase = pdx.value, let scratch {
                                                    // dx of the block's images, written (not added: one group)
                                                    flipped.withUnsafeBufferPointer { pu in
                                                        Winograd.convolve(dyg, imageStride: pixels, channelStride: width, images: count,
                                                                          inputs: o, height: h, width: wd, kernels: pu.baseAddress!, outputs: c,
                                                                          scratch: scratch, into: dxBase + start * c * h * wd,
                                                                          imageStride: c * h * wd, channelStride: h * wd)
                                                    }
                                                } else if needInput, let dxBase = pdx.value {
                                                    // dcols[rows × width] = W_gᵀ[rows × og] · dy_g[og × width]
                                                    BLAS.serialGemm(true, false, rows, width, og, 1, pw.value + grp * og * rows, rows,
                                                                    dyg, width, 0, pc, width)
                                                    for k in 0..<count {
                                                        Im2Col.raise(pc + k * pixels, height: h, width: wd, c0: grp * cg, cg: cg, g: g, oh: oh, ow: ow,
                                                                     dx: dxBase + (start + k) * c * h * wd, ldc: width)
                                                    }
                                                }
                                            }
                                            start += count
                                        }
                                    }
                                }
                            }
                            if chunks == 1 {
                                run(0)
                            } else {
                                let box = UncheckedBox(run)
                                DispatchQueue.concurrentPerform(iterations: chunks) { box.value($0) }
                            }
                        }
                    }
                }
            }
        }
        var dw: Tensor?
        if needWeight {
            var total = [Float](dwParts[0..<wCount])
            for k in 1..<workers { for j in 0..<wCount { total[j] += dwParts[k * wCount + j] } }
            dw = Tensor(shape: w.shape, scalars: winogradWeight ? Winograd.kernelGradients(total, outputs: o, inputs: c) : total)
        }
        var db: Tensor?
        if needBias {
            // in batch order per channel, as biasGradient adds the planes
            var total = [Float](repeating: 0, count: o)
            for ni in 0..<n { for oc in 0..<o { total[oc] += biasParts[ni * o + oc] } }
            db = Tensor(shape: [o], scalars: total)
        }
        return (needInput ? Tensor(shape: x.shape, scalars: dx) : nil, dw, db)
    }

    /// Per-example weight gradients of `forward` with `groups` = 1: example i's `dy_i · U_iᵀ`
    /// (U_i its unfolded input, C·kh·kw × pixels), as an N × O × (C·kh·kw) tensor — what DP-SGD
    /// clips. The same arithmetic as one batched weight gradient, but it holds N·|w| floats.
    public static func perExampleWeightGradients(_ dy: Tensor, _ x: Tensor, weightShape: [Int],
                                                 geometry g: Conv2DGeometry) -> Tensor {
        precondition(x.rank == 4 && dy.rank == 4 && weightShape.count == 4 && weightShape[1] == x.shape[1]
                     && dy.shape[0] == x.shape[0] && dy.shape[1] == weightShape[0],
                     "per-example conv2d gradients: input \(x.shape), output error \(dy.shape), weight \(weightShape) do not agree")
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let o = weightShape[0]
        let (oh, ow) = (dy.shape[2], dy.shape[3])
        let rows = c * g.kernelHeight * g.kernelWidth
        let pixels = oh * ow
        return Tensor(shape: [n, o, rows], unsafeUninitializedCapacity: { out in
            let pout = SharedPointer(out.baseAddress!)
            x.scalars.withUnsafeBufferPointer { px in
                dy.scalars.withUnsafeBufferPointer { pdy in
                    let (px, pdy) = (UncheckedBox(px.baseAddress!), UncheckedBox(pdy.baseAddress!))
                    parallelChunks(n, costPerItem: o * rows * pixels) { range in
                        var cols = [Float](repeating: 0, count: rows * pixels)
                        cols.withUnsafeMutableBufferPointer { pc in
                            for i in range {
                                Im2Col.lower(px.value + i * c * h * wd, height: h, width: wd, c0: 0, cg: c, g: g, oh: oh, ow: ow,
                                             cols: pc.baseAddress!)
                                BLAS.serialGemm(false, true, o, rows, pixels, 1, pdy.value + i * o * pixels, pixels,
                                                pc.baseAddress!, pixels, 0, pout.base + i * o * rows, rows)
                            }
                        }
                    }
                }
            }
        })
    }

    /// Gradient of the bias: dy summed over batch and pixels.
    public static func biasGradient(_ dy: Tensor) -> Tensor {
        let (n, o) = (dy.shape[0], dy.shape[1])
        let pixels = dy.shape[2] * dy.shape[3]
        return Tensor(shape: [o], unsafeUninitializedCapacity: { out in
            let po = SharedPointer(out.baseAddress!)
            dy.scalars.withUnsafeBufferPointer { p in
                let p = UncheckedBox(p.baseAddress!)
                // channels in parallel; each channel's planes are added in batch order (as serially)
                parallelChunks(o, costPerItem: n * pixels) { range in
                    for oc in range {
                        var s: Float = 0
                        for ni in 0..<n { s += sumContiguous(p.value + (ni * o + oc) * pixels, count: pixels) }
                        po.base[oc] = s
                    }
                }
            }
        })
    }
}

/// Sum of `count` contiguous floats with 16 independent SIMD lanes (vectorised; the order of
/// additions differs from a sequential loop by rounding only).
@inlinable
public func sumContiguous(_ p: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD16<Float>()
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 16 <= count {
        acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    var s = acc.sum()
    while i < count { s += p[i]; i += 1 }
    return s
}
