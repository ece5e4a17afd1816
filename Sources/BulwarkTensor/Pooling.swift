import CBulwarkKernels
/// Max and average pooling over N×C×H×W tensors.
public enum Pooling {
    /// Max pooling; also returns, per output element, the flat input index of its maximum
    /// (−1 when the window covers only padding) for the backward pass.
    public static func maxForward(_ x: Tensor, geometry g: Conv2DGeometry) -> (Tensor, [Int32]) {
        precondition(x.rank == 4, "maxPool2d needs N×C×H×W, got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = g.outputSize(height: h, width: w)
        precondition(oh > 0 && ow > 0, "maxPool2d: window larger than padded input \(x.shape)")
        precondition(x.count < Int(Int32.max), "maxPool2d: tensor too large")
        var indices = [Int32](repeating: -1, count: n * c * oh * ow)
        let out = Tensor(shape: [n, c, oh, ow], unsafeUninitializedCapacity: { out in
            let sharedOut = SharedPointer(out.baseAddress!)
            indices.withUnsafeMutableBufferPointer { pi in
                let idx = UncheckedBox(pi.baseAddress!)
                x.scalars.withUnsafeBufferPointer { px in
                    let px = UncheckedBox(px.baseAddress!)
                    parallelChunks(n * c, costPerItem: oh * ow * g.kernelHeight * g.kernelWidth) { range in
                        for plane in range {
                            maxPlane(px.value + plane * h * w, height: h, width: w, bias: nil, geometry: g, oh: oh, ow: ow,
                                     into: sharedOut.base + plane * oh * ow, indices: idx.value + plane * oh * ow,
                                     planeBase: plane * h * w)
                        }
                    }
                }
            }
        })
        return (out, indices)
    }

    /// Max-pools one `height`×`width` plane into `oh`×`ow` outputs at `dst` and writes, per
    /// output, the flat index of its maximum (`planeBase` + offset in the plane; −1 when the
    /// window covers only padding) to `indices`. The values pooled are `src[k]`, or
    /// `src[k] + bias` when a bias is given (a fused convolution's product still in cache: the
    /// same values, bit for bit, as pooling the biased plane it would have written).
    @inline(__always)
    static func maxPlane(_ src: UnsafePointer<Float>, height h: Int, width w: Int, bias: Float?, geometry g: Conv2DGeometry,
                         oh: Int, ow: Int, into dst: UnsafeMutablePointer<Float>, indices di: UnsafeMutablePointer<Int32>,
                         planeBase base: Int) {
        let b = bias ?? 0, hasBias = bias != nil
        if g.kernelHeight == 2 && g.kernelWidth == 2 && g.strideHeight == 2 && g.strideWidth == 2
            && g.padTop == 0 && g.padLeft == 0 && g.dilationHeight == 1 && g.dilationWidth == 1
            && 2 * oh <= h && 2 * ow <= w {  // bottom/right padding may add a partial window
            // the common 2×2/2 window: no bounds checks, branch-free selection
            let lanes = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
            let b16 = SIMD16<Float>(repeating: b)
            for i in 0..<oh {
                let r0 = src + 2 &* i &* w, r1 = r0 + w
                let o0 = base &+ 2 &* i &* w, o1 = o0 &+ w
                // 8 outputs at a time from 16 inputs of each row: the same
                // comparisons as the scalar loop below, lane by lane
                var j = 0
                while j &+ 8 <= ow {
                    let j2 = 2 &* j
                    var top = UnsafeRawPointer(r0 + j2).loadUnaligned(as: SIMD16<Float>.self)
                    var bottom = UnsafeRawPointer(r1 + j2).loadUnaligned(as: SIMD16<Float>.self)
                    if hasBias { top += b16; bottom += b16 }
                    let (a, b, c, d) = (top.evenHalf, top.oddHalf, bottom.evenHalf, bottom.oddHalf)
                    let mab = b .> a, mcd = d .> c
                    let ab = a.replacing(with: b, where: mab), cd = c.replacing(with: d, where: mcd)
                    let m = cd .> ab
                    let i0 = lanes &+ Int32(truncatingIfNeeded: o0 &+ j2), i1 = lanes &+ Int32(truncatingIfNeeded: o1 &+ j2)
                    let iab = i0.replacing(with: i0 &+ 1, where: mab), icd = i1.replacing(with: i1 &+ 1, where: mcd)
                    UnsafeMutableRawPointer(dst + (i &* ow &+ j)).storeBytes(of: ab.replacing(with: cd, where: m), as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(di + (i &* ow &+ j)).storeBytes(of: iab.replacing(with: icd, where: m), as: SIMD8<Int32>.self)
                    j &+= 8
                }
                for j in j..<ow {
                    let j2 = 2 &* j
                    var a = r0[j2], bb = r0[j2 &+ 1], c = r1[j2], d = r1[j2 &+ 1]
                    if hasBias { a += b; bb += b; c += b; d += b }
                    let ab = bb > a ? bb : a, iab = bb > a ? o0 &+ j2 &+ 1 : o0 &+ j2
                    let cd = d > c ? d : c, icd = d > c ? o1 &+ j2 &+ 1 : o1 &+ j2
                    dst[i &* ow &+ j] = cd > ab ? cd : ab
                    di[i &* ow &+ j] = Int32(truncatingIfNeeded: cd > ab ? icd : iab)
                }
            }
            return
        }
        for i in 0..<oh {
            for j in 0..<ow {
                let (m, at) = windowMax(src, height: h, width: w, bias: bias, geometry: g, row: i, column: j)
                dst[i * ow + j] = m
                di[i * ow + j] = at < 0 ? -1 : Int32(base + at)
            }
        }
    }

    /// The maximum of `src[k]` (+ `bias` when given) over the window of output (`row`,
    /// `column`), the first one in window order on ties, and its offset in the plane; (0, −1)
    /// when the window covers only padding. The general path of both pooling kernels.
    @inline(__always)
    static func windowMax(_ src: UnsafePointer<Float>, height h: Int, width w: Int, bias: Float?, geometry g: Conv2DGeometry,
                          row i: Int, column j: Int) -> (value: Float, offset: Int) {
        var best = -Float.infinity
        var at = -1
        for ki in 0..<g.kernelHeight {
            let y = i * g.strideHeight - g.padTop + ki * g.dilationHeight
            if y < 0 || y >= h { continue }
            for kj in 0..<g.kernelWidth {
                let xx = j * g.strideWidth - g.padLeft + kj * g.dilationWidth
                if xx < 0 || xx >= w { continue }
                let v = bias.map { src[y * w + xx] + $0 } ?? src[y * w + xx]
                if v > best || at < 0 { best = v; at = y * w + xx }
            }
        }
        return at < 0 ? (0, -1) : (best, at)
    }

    /// Inference-mode max pooling: the values of ``maxForward(_:geometry:)`` (see `poolPlane`
    /// for the one exception, a zero's sign) without the indices
    /// a backward pass needs, optionally followed by ReLU (`relu`: max(·, 0) of each output,
    /// as ReLU after pooling — the same values as ReLU before it, since ReLU is monotone).
    public static func maxValues(_ x: Tensor, geometry g: Conv2DGeometry, relu: Bool = false) -> Tensor {
        precondition(x.rank == 4, "maxPool2d needs N×C×H×W, got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = g.outputSize(height: h, width: w)
        precondition(oh > 0 && ow > 0, "maxPool2d: window larger than padded input \(x.shape)")
        return Tensor(shape: [n, c, oh, ow], unsafeUninitializedCapacity: { out in
            let sharedOut = SharedPointer(out.baseAddress!)
            x.scalars.withUnsafeBufferPointer { px in
                let px = UncheckedBox(px.baseAddress!)
                parallelChunks(n * c, costPerItem: oh * ow * g.kernelHeight * g.kernelWidth) { range in
                    for plane in range {
                        poolPlane(px.value + plane * h * w, height: h, width: w, bias: 0, relu: relu, geometry: g,
                                  oh: oh, ow: ow, into: sharedOut.base + plane * oh * ow)
                    }
                }
            }
        })
    }

    /// Max-pools one `height`×`width` plane whose values are `plane[k] + bias` into `oh`×`ow`
    /// outputs at `dst`, then clamps them at 0 when `relu`. The comparisons are those of
    /// ``maxForward(_:geometry:)`` (a window over padding only gives 0), so the values agree
    /// with pooling the biased plane there (bit for bit except, on even planes pooled 2×2, the
    /// sign of a zero or which NaN wins). Fused convolution epilogues call this on a product
    /// still in cache.
    @inline(__always)
    static func poolPlane(_ src: UnsafePointer<Float>, height h: Int, width w: Int, bias: Float, relu: Bool,
                          geometry g: Conv2DGeometry, oh: Int, ow: Int, into dst: UnsafeMutablePointer<Float>) {
        let twoByTwo = g.kernelHeight == 2 && g.kernelWidth == 2 && g.strideHeight == 2 && g.strideWidth == 2
            && g.padTop == 0 && g.padLeft == 0 && g.dilationHeight == 1 && g.dilationWidth == 1
        if twoByTwo && 2 * oh <= h && 2 * ow <= w {
            // In C, eight outputs at a time in AVX2 where the CPU has it (Swift's SIMD selects
            // compiled to per-lane mask extraction here): the comparisons of the scalar loop
            // below, pairs within a row first, then the rows.
            bulwark_max_pool_2x2(src, w, oh, ow, bias, relu ? 1 : 0, dst)
            return
        }
        for i in 0..<oh {
            for j in 0..<ow {
                let m = windowMax(src, height: h, width: w, bias: bias, geometry: g, row: i, column: j).value
                dst[i * ow + j] = relu ? (m > 0 ? m : 0) : m
            }
        }
    }

    /// Routes each output gradient to the input position that held the maximum.
    ///
    /// For N×C×H×W inputs each plane's maxima lie in that plane, so planes are zeroed and
    /// filled in parallel (one pass over the input gradient instead of a memset and a scatter).
    public static func maxBackward(_ dy: Tensor, indices: [Int32], inputShape: [Int]) -> Tensor {
        let total = Tensor.elementCount(inputShape)
        let planes = inputShape.count == 4 ? inputShape[0] * inputShape[1] : 0
        guard planes > 0, dy.count == indices.count, dy.count % planes == 0 else {
            var dx = [Float](repeating: 0, count: total)
            dy.scalars.withUnsafeBufferPointer { pdy in
                dx.withUnsafeMutableBufferPointer { pdx in
                    for k in 0..<pdy.count {
                        let at = Int(indices[k])
                        if at >= 0 { pdx[at] += pdy[k] }
                    }
                }
            }
            return Tensor(shape: inputShape, scalars: dx)
        }
        let inPlane = total / planes, outPlane = dy.count / planes
        return Tensor(shape: inputShape, unsafeUninitializedCapacity: { out in
            let dx = SharedPointer(out.baseAddress!)
            dy.scalars.withUnsafeBufferPointer { pdy in
                indices.withUnsafeBufferPointer { pi in
                    let (g, idx) = (UncheckedBox(pdy.baseAddress!), UncheckedBox(pi.baseAddress!))
                    parallelChunks(planes, costPerItem: inPlane) { range in
                        // plane by plane, so the zeroed plane is still in cache when the scatter lands
                        for plane in range {
                            let lo = plane * inPlane, hi = lo + inPlane
                            (dx.base + lo).initialize(repeating: 0, count: inPlane)
                            for k in (plane * outPlane)..<((plane + 1) * outPlane) {
                                let at = Int(idx.value[k])
                                // an index outside the plane's own range would be a bug in maxForward
                                if at >= lo && at < hi { dx.base[at] += g.value[k] }
                            }
                        }
                    }
                }
            }
        })
    }

    /// Average pooling. With `countIncludePad` the divisor is the full window size, otherwise
    /// the number of window positions inside the input.
    public static func averageForward(_ x: Tensor, geometry g: Conv2DGeometry, countIncludePad: Bool) -> Tensor {
        precondition(x.rank == 4, "avgPool2d needs N×C×H×W, got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = g.outputSize(height: h, width: w)
        precondition(oh > 0 && ow > 0, "avgPool2d: window larger than padded input \(x.shape)")
        let divisors = averageDivisors(h: h, w: w, g: g, countIncludePad: countIncludePad)
        return Tensor(shape: [n, c, oh, ow], unsafeUninitializedCapacity: { out in
            x.scalars.withUnsafeBufferPointer { px in
                for plane in 0..<(n * c) {
                    let src = px.baseAddress! + plane * h * w
                    for i in 0..<oh {
                        for j in 0..<ow {
                            var s: Float = 0
                            for ki in 0..<g.kernelHeight {
                                let y = i * g.strideHeight - g.padTop + ki * g.dilationHeight
                                if y < 0 || y >= h { continue }
                                for kj in 0..<g.kernelWidth {
                                    let xx = j * g.strideWidth - g.padLeft + kj * g.dilationWidth
                                    if xx >= 0 && xx < w { s += src[y * w + xx] }
                                }
                            }
                            out[plane * oh * ow + i * ow + j] = s / divisors[i * ow + j]
                        }
                    }
                }
            }
        })
    }

    /// Spreads each output gradient evenly over its window.
    public static func averageBackward(_ dy: Tensor, inputShape: [Int], geometry g: Conv2DGeometry, countIncludePad: Bool) -> Tensor {
        let (n, c, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let (oh, ow) = (dy.shape[2], dy.shape[3])
        let divisors = averageDivisors(h: h, w: w, g: g, countIncludePad: countIncludePad)
        var dx = [Float](repeating: 0, count: n * c * h * w)
        dy.scalars.withUnsafeBufferPointer { pdy in
            dx.withUnsafeMutableBufferPointer { pdx in
                for plane in 0..<(n * c) {
                    let dst = pdx.baseAddress! + plane * h * w
                    for i in 0..<oh {
                        for j in 0..<ow {
                            let gval = pdy[plane * oh * ow + i * ow + j] / divisors[i * ow + j]
                            for ki in 0..<g.kernelHeight {
                                let y = i * g.strideHeight - g.padTop + ki * g.dilationHeight
                                if y < 0 || y >= h { continue }
                                for kj in 0..<g.kernelWidth {
                                    let xx = j * g.strideWidth - g.padLeft + kj * g.dilationWidth
                                    if xx >= 0 && xx < w { dst[y * w + xx] += gval }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: inputShape, scalars: dx)
    }

    static func averageDivisors(h: Int, w: Int, g: Conv2DGeometry, countIncludePad: Bool) -> [Float] {
        let (oh, ow) = g.outputSize(height: h, width: w)
        var d = [Float](repeating: 0, count: oh * ow)
        for i in 0..<oh {
            for j in 0..<ow {
                if countIncludePad {
                    // PyTorch/ONNX: window clipped to the padded extent
                    var cnt = 0
                    for ki in 0..<g.kernelHeight {
                        let y = i * g.strideHeight - g.padTop + ki * g.dilationHeight
                        if y < -g.padTop || y >= h + g.padBottom { continue }
                        for kj in 0..<g.kernelWidth {
                            let xx = j * g.strideWidth - g.padLeft + kj * g.dilationWidth
                            if xx >= -g.padLeft && xx < w + g.padRight { cnt += 1 }
                        }
                    }
                    d[i * ow + j] = Float(Swift.max(cnt, 1))
                } else {
                    var cnt = 0
                    for ki in 0..<g.kernelHeight {
                        let y = i * g.strideHeight - g.padTop + ki * g.dilationHeight
                        if y < 0 || y >= h { continue }
                        for kj in 0..<g.kernelWidth {
                            let xx = j * g.strideWidth - g.padLeft + kj * g.dilationWidth
                            if xx >= 0 && xx < w { cnt += 1 }
                        }
                    }
                    d[i * ow + j] = Float(Swift.max(cnt, 1))
                }
            }
        }
        return d
    }
}

extension Conv2DGeometry {
    /// Whether this pooling window, over a `height` × `width` map, is 2×2 with stride 2, no
    /// padding or dilation and floor rounding: each output the maximum of one aligned pair of
    /// rows and columns (a Winograd F(2×2, 3×3) output tile, or two rows of a direct
    /// convolution, pooled before it is written).
    func poolsPairs(height: Int, width: Int) -> Bool {
        kernelHeight == 2 && kernelWidth == 2 && strideHeight == 2 && strideWidth == 2
            && dilationHeight == 1 && dilationWidth == 1
            && padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0
            && outputSize(height: height, width: width) == (height / 2, width / 2)
    }
}
