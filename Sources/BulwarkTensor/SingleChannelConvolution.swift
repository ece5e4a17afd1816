/// Direct (no im2col) forward convolution for a single input channel at stride 1 — the first
/// layer of an image model on grey-scale input (the zoo cnn: 1→32, 3×3, pad 1).
///
/// Lowered, such a layer is a product with K = kh·kw (9) rows: OpenBLAS runs that skinny shape
/// far below its speed, and the lowering writes kh·kw copies of every image. Here the padded
/// image (a few KB) stays in L1, each group of 8 outputs loads its kh·kw input vectors once for
/// all output channels, and the output is written once.
enum SingleChannelConvolution {
    /// Whether the direct kernel handles this layer: one input channel, one group, stride and
    /// dilation 1, a window of at most 64 taps.
    @inline(__always)
    static func applies(channels: Int, groups: Int, geometry g: Conv2DGeometry) -> Bool {
        channels == 1 && groups == 1 && g.strideHeight == 1 && g.strideWidth == 1
            && g.dilationHeight == 1 && g.dilationWidth == 1 && g.kernelHeight * g.kernelWidth <= 64
    }

    /// Floats of the per-worker scratch ``forwardImage`` needs for an H×W image: the image with
    /// its padding made explicit, plus 8 columns so a partial chunk of 8 outputs reads inside it.
    static func scratchCount(height h: Int, width w: Int, geometry g: Conv2DGeometry) -> Int {
        (h + g.padTop + g.padBottom) * (w + g.padLeft + g.padRight + 8)
    }

    /// Writes the O×oh×ow output of one H×W image: `out[oc, i, j] = bias[oc] + Σ w[oc, ki, kj]·x[i+ki−padTop, j+kj−padLeft]`
    /// (padding reads zero). `scratch` holds ``scratchCount(height:width:geometry:)`` floats.
    ///
    /// The image is copied once into `scratch` with its padding as zeros, so every tap is an
    /// unchecked load. Then for each chunk of 8 output columns of a row, the kh·kw shifted input
    /// vectors are loaded once and reused by every output channel: O·kh·kw FMAs and O stores
    /// per 8 outputs, with no lowered matrix.
    static func forwardImage(_ image: UnsafePointer<Float>, height h: Int, width w: Int,
                             weights: UnsafePointer<Float>, outputChannels o: Int, bias: UnsafePointer<Float>?,
                             geometry g: Conv2DGeometry, oh: Int, ow: Int, into out: UnsafeMutablePointer<Float>,
                             scratch: UnsafeMutablePointer<Float>, taps: UnsafeMutablePointer<SIMD8<Float>>) {
        let kh = g.kernelHeight, kw = g.kernelWidth, tapCount = kh * kw
        let padded = scratch
        let pw = w + g.padLeft + g.padRight + 8, ph = h + g.padTop + g.padBottom
        padded.update(repeating: 0, count: ph * pw)
        for y in 0..<h { (padded + (y + g.padTop) * pw + g.padLeft).update(from: image + y * w, count: w) }
        let pixels = oh * ow
        let raw = UnsafeRawPointer(padded)
        for i in 0..<oh {
            var j0 = 0
            while j0 < ow {
                for ki in 0..<kh {
                    let rowStart = (i &+ ki) &* pw &+ j0
                    for kj in 0..<kw {
                        taps[ki &* kw &+ kj] = raw.loadUnaligned(fromByteOffset: (rowStart &+ kj) &* 4, as: SIMD8<Float>.self)
                    }
                }
                let lanes = Swift.min(8, ow &- j0)
                let at = i &* ow &+ j0
                for oc in 0..<o {
                    let wk = weights + oc &* tapCount
                    var acc = SIMD8<Float>(repeating: bias?[oc] ?? 0)
                    for t in 0..<tapCount { acc += wk[t] * taps[t] }
                    let dst = out + (oc &* pixels &+ at)
                    if lanes == 8 {
                        UnsafeMutableRawPointer(dst).storeBytes(of: acc, as: SIMD8<Float>.self)
                    } else {
                        for l in 0..<lanes { dst[l] = acc[l] }
                    }
                }
                j0 &+= 8
            }
        }
    }
}
